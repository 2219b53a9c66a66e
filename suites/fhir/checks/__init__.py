"""FHIR REST API checks (`fhir.*`), one module per behaviour."""
