"""Checks `dmp.history.*`: which patients' documents may reach the DMP at all."""
