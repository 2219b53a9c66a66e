"""Security checks: TLS, HTTP hardening, authentication and sessions, Pro Santé Connect."""
