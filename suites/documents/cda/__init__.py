"""Checks `documents.cda.*`: a document conforms to the CDA XSD and its CI-SIS volet."""
