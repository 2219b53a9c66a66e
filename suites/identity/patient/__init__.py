"""Checks `identity.patient.*`: the shape of the Patient resource the system exposes."""
