"""Checks `fhir.errors.*`: errors are OperationOutcome resources with the right status."""
