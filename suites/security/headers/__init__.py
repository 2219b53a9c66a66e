"""HTTP hardening checks: security headers, cookies, error pages, CORS."""
