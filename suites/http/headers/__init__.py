"""Checks `http.headers.*`: header fields as RFC 9110 defines them."""
