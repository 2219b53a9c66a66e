"""`python -m homolog.suites.fhir.validate FILE…`: the FHIR validator as a command (see `cli`)."""

from homolog.suites.fhir.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
