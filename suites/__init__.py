"""Checks of homolog, one folder per domain."""
