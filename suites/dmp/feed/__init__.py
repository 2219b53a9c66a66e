"""Checks `dmp.feed.*`: what the system sends to the DMP when a document is validated."""
