"""Alerts raised by the device and what is recorded of their handling."""
