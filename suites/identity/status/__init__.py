"""Checks `identity.status.*`: the RNIV identity status and its history."""
