"""Checks `fhir.rest.*`: the RESTful interactions read and vread."""
