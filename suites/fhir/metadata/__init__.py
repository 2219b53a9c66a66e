"""Checks `fhir.metadata.*`: the CapabilityStatement at [base]/metadata."""
