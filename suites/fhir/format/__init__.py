"""Checks `fhir.format.*`: content negotiation and the FHIR JSON format."""
