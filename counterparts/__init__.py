"""Simulators of the national services a system under test calls (``homolog.counterparts``).

Each counterpart runs on 127.0.0.1, records what the SUT sends, judges it, and exposes a
JSON control API behind a secret path so checks in any process can read its records.
Counterparts import the standard library and third-party packages only: never the
engine nor the suites.
"""
