"""Checks `fhir.profiles.*`: resources conform to the profiles the system claims."""
