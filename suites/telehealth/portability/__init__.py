"""The patient takes all of their data away in an open, documented format."""
