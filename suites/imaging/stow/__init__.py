"""Checks `imaging.stow.*`: the Store transaction (STOW-RS, PS3.18 10.5)."""
