"""The HTTP client of the simulators' control APIs: one per process, shared by threads.

`httpx.request` builds a client for every call, and with it a TLS context that loads the
CA bundle (about 20 ms of CPU), even for plain http://127.0.0.1. Checks poll a
simulator's exchange log ten times a second while they wait for what the system sends,
so that was the largest CPU cost of a demo run. Control URLs are loopback only, so the
client ignores proxy settings from the environment.

The client keeps the connections of simulators that speak HTTP/1.1 (the PSC simulator and
the identity providers built on it); this process's client is closed when the process
exits, so that none of them is left for the interpreter's teardown to find unclosed.
"""

from __future__ import annotations

import atexit
import os
import threading

import httpx

__all__ = ["control_http"]

_lock = threading.Lock()
_clients: dict[int, httpx.Client] = {}


def control_http() -> httpx.Client:
    """This process's client for control calls (pass each call's timeout)."""
    pid = os.getpid()
    client = _clients.get(pid)
    if client is None:
        with _lock:
            client = _clients.get(pid)
            if client is None:
                # A client inherited through fork stays in the table, unused: its sockets
                # belong to the parent, and collecting it would close them under a check
                # (an "unclosed socket" warning the run reports as a harness fault).
                client = _clients[pid] = httpx.Client(trust_env=False)
    return client


def _close_own_client() -> None:
    """Close the client this process made (one inherited through fork is its parent's)."""
    client = _clients.pop(os.getpid(), None)  # no lock: a fork may have copied it held
    if client is not None:
        client.close()


atexit.register(_close_own_client)
