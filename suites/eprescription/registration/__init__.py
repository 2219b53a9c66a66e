"""What the system registers with the e-prescription service."""
