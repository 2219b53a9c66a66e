"""Showing documents to the professional: what a display page lets them read."""
