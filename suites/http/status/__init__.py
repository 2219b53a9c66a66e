"""Checks `http.status.*`: status codes that mean what RFC 9110 says."""
