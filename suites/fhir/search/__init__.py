"""Checks `fhir.search.*`: search-type, search parameters and paging."""
