"""Checks `ui.keyboard.*`: the web interface can be used with the keyboard alone (RGAA 7.3, 10.7, 12.9)."""
