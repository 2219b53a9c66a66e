"""Checks `http.methods.*`: HEAD and OPTIONS as RFC 9110 defines them."""
