"""Checks `identity.ui.*`: what the web interface shows of an identity."""
