"""Checks `imaging.qido.*`: the Search transaction (QIDO-RS, PS3.18 10.6)."""
