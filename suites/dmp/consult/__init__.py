"""Consulting the patient's DMP from the patient record."""
