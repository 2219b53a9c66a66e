"""Transport security checks: protocol versions, cipher suites, certificate, HTTPS redirect."""
