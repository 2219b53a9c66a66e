"""Checks `identity.robustness.*`: malformed identities never crash nor corrupt the system."""
