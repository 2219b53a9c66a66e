"""The version of homolog, in a module of its own so that engine modules read it without
importing the package `homolog` (whose __init__ imports them: that would be a cycle)."""

__version__ = "0.1.0"
