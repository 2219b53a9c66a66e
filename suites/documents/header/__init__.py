"""Checks `documents.header.*`: the CDA header carries the patient and the actors as CI-SIS requires."""
