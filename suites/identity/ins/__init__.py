"""Checks `identity.ins.*`: how the system stores, searches and refuses INS."""
