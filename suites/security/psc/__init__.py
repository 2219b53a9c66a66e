"""Pro Santé Connect checks: what the SUT asks the provider for and how it handles tokens.

The simulator they judge through is a counterpart (``homolog.counterparts.psc``),
started by the run or the demo before the SUT; checks reach it with the
``psc_simulator`` fixture (its control API).
"""
