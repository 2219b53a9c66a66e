"""Checks `ui.a11y.*`: RGAA 4.1 criteria audited with axe-core."""
