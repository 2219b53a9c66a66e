"""Authentication and session checks: access control, lockout, password policy,
inactivity logout, login audit trail."""
