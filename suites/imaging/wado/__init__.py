"""Checks `imaging.wado.*`: the Retrieve transaction (WADO-RS, PS3.18 10.4)."""
