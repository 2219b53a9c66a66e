"""Referentials shipped with homolog (data only: YAML files and JSON Schemas)."""
