"""Simulated counterparts: the national services a system under test calls (INSi, DMP...).

Each counterpart runs on 127.0.0.1, records every exchange and offers a control API
(under a secret path) that checks in any process read through a small client.
"""
