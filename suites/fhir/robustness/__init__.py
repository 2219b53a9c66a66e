"""Checks `fhir.robustness.*`: malformed input never breaks the server."""
