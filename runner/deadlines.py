"""Deadlines a hostile system cannot stretch: one per HTTP exchange, one per check.

    with exchange_deadline(30.0):        # every socket operation of the exchange gets what is left
        ...                              # connect, TLS, headers, body: one wall-clock budget
    with check_deadline(120.0, check_id="security.tls.minimum_version"):
        run the check                    # past 120 s, CheckTimeout is raised inside it

The check deadline is a kernel interval timer (SIGALRM) whose handler raises
`CheckTimeout` in the main thread. Python code and the regular-expression engine (which
polls for signals while it backtracks) are stopped within milliseconds; the timer fires
again every second in case the check swallows the exception. Native code that neither
returns nor polls for signals is the supervisor's to stop (`homolog.supervisor`): it kills
the process a little after the deadline and the run goes on in a new one.

A timer already armed by someone else (pytest-timeout in our own tests) is put back when
the check ends, with the time it had left.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import FrameType
from typing import Any

__all__ = [
    "DEFAULT_CHECK_TIMEOUT",
    "CheckTimeout",
    "check_deadline",
    "check_timeout",
    "clamp",
    "exchange_deadline",
    "exchange_expired",
    "timeout_message",
]

#: Seconds a check may run when neither the check nor the target says otherwise.
DEFAULT_CHECK_TIMEOUT = 120.0
#: After its deadline, how often the timer fires again while the check has not stopped.
_REFIRE = 1.0


class CheckTimeout(BaseException):
    """Raised inside a check that ran past its deadline.

    A BaseException, so that a check's `except Exception` does not swallow it.
    """

    def __init__(self, seconds: float) -> None:
        super().__init__(timeout_message(seconds))
        self.seconds = seconds


def check_timeout(check_id: str, declared: float | None, timeouts: Mapping[str, Any]) -> float:
    """Seconds a check may run: the target's for this check (`timeouts.checks.<id>`), else
    the check's own (`@check(timeout=...)`), else the target's default (`timeouts.check`),
    else `DEFAULT_CHECK_TIMEOUT`."""
    per_check = timeouts.get("checks") or {}
    for value in (per_check.get(check_id), declared, timeouts.get("check")):
        if value:
            return float(value)
    return DEFAULT_CHECK_TIMEOUT


def timeout_message(seconds: float) -> str:
    return f"exceeded {seconds:g} s: the check was stopped at its deadline and decided nothing"


# --------------------------------------------------------------------------- check deadline


@dataclass
class _Armed:
    seconds: float
    deadline: float
    previous_handler: Any
    previous_timer: tuple[float, float]
    armed_at: float


_armed: _Armed | None = None


def _on_alarm(signum: int, frame: FrameType | None) -> None:
    armed = _armed
    if armed is None or time.monotonic() < armed.deadline - 0.05:
        return  # a late signal of a timer already put back, or not ours: nothing to stop
    raise CheckTimeout(armed.seconds)


@contextlib.contextmanager
def check_deadline(seconds: float | None) -> Iterator[None]:
    """Raise `CheckTimeout` inside the block once it has run `seconds` (main thread only).

    Outside the main thread (signals cannot be delivered there) the block runs without a
    soft deadline; the supervisor's watchdog still bounds it.
    """
    global _armed
    if not seconds or seconds <= 0 or threading.current_thread() is not threading.main_thread() or _armed:
        yield
        return
    now = time.monotonic()
    previous_handler = signal.signal(signal.SIGALRM, _on_alarm)
    previous_timer = signal.setitimer(signal.ITIMER_REAL, seconds, _REFIRE)
    _armed = _Armed(seconds, now + seconds, previous_handler, previous_timer, now)
    try:
        yield
    finally:
        armed, _armed = _armed, None
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, armed.previous_handler)
        left, interval = armed.previous_timer
        if left > 0:
            # someone else's timer (pytest-timeout...): give it back what it had left
            left -= time.monotonic() - armed.armed_at
            signal.setitimer(signal.ITIMER_REAL, max(left, 0.001), interval)


# --------------------------------------------------------------------------- exchange deadline


class _Exchange(threading.local):
    deadline: float | None = None
    expired: bool = False


_exchange = _Exchange()


@contextlib.contextmanager
def exchange_deadline(seconds: float) -> Iterator[None]:
    """Give the HTTP exchange in the block one wall-clock budget (this thread)."""
    saved = _exchange.deadline, _exchange.expired
    _exchange.deadline, _exchange.expired = time.monotonic() + seconds, False
    try:
        yield
    finally:
        _exchange.deadline, _exchange.expired = saved


def exchange_expired() -> bool:
    """Whether the exchange of this thread ran out of its budget."""
    deadline = _exchange.deadline
    return _exchange.expired or (deadline is not None and time.monotonic() >= deadline)


def clamp(timeout: float | None, expired: type[Exception]) -> float | None:
    """The timeout a socket operation may use: its own, cut to what the exchange has left.

    Raises `expired` (a transport timeout) when nothing is left.
    """
    deadline = _exchange.deadline
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        _exchange.expired = True
        raise expired("the exchange's deadline has passed")
    return left if timeout is None else min(timeout, left)
