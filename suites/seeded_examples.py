"""Property-based checks that give the same verdict on the same system.

Hypothesis draws examples at random and, when an example raises, runs it again to report
it. Against a live server that second run is a new request, and its answer may differ:
a server that resets the connection after answering 500 answers the replay normally,
and hypothesis then reports a FlakyFailure ("failed on the first call but did not on a
subsequent one") instead of what the server did, dropping the 500s found before.

So the suites' property-based checks draw their examples first, from a seed they record,
with a function that never raises; then they send them one by one in plain Python, where
each answer - a transport error included - is that example's outcome. The same seed
gives the same examples, hence the same requests, verdict and message.

The seed comes from the target when it sets one (`settings.<domain>.robustness_seed`),
else from the check's parameters; the evidence says which, with hypothesis' version (the
same seed may give other examples under another version).

Hypothesis also mixes into its draws the constants it finds in the "local" modules
loaded at the time (the source files outside site-packages): the examples would then
depend on which modules the run happened to import before, and on whether homolog is
installed or checked out. That pool is emptied while the examples are drawn.

What hypothesis computes once and keeps (the characters each codec encodes: a second of
CPU) goes to homolog's cache (`$HOMOLOG_CACHE_DIR/hypothesis`, default
`~/.cache/homolog/hypothesis`) unless `HYPOTHESIS_STORAGE_DIRECTORY` names a place, not to
`.hypothesis/` in the current directory: a run leaves no folder in the user's project.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import hypothesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from homolog import CheckError, HttpError, Target, cache_root

__all__ = ["Delivery", "SeedChoice", "choose_seed", "draw_examples", "transport_outcome"]

T = TypeVar("T")
SEED_KEY = "robustness_seed"


@contextlib.contextmanager
def _no_local_constants() -> Iterator[None]:
    # hypothesis >= 6.131 draws some values from the constants of loaded local modules
    # (internal API, no public switch); without that feature there is nothing to do.
    try:
        from hypothesis.internal.conjecture import providers
    except ImportError:  # pragma: no cover - another layout of hypothesis' internals
        yield
        return
    original = getattr(providers, "_get_local_constants", None)
    cache = getattr(providers, "CONSTANTS_CACHE", None)
    if original is None or cache is None:  # pragma: no cover
        yield
        return
    empty = providers.Constants()  # type: ignore[attr-defined]
    providers._get_local_constants = lambda: empty
    cache.cache.clear()
    try:
        yield
    finally:
        providers._get_local_constants = original
        cache.cache.clear()


@contextlib.contextmanager
def _storage_in_cache() -> Iterator[None]:
    from hypothesis import configuration

    if os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
        yield
        return
    name = "__hypothesis_home_directory"  # module global of set_hypothesis_home_dir (no getter)
    before = getattr(configuration, name, None)
    configuration.set_hypothesis_home_dir(cache_root() / "hypothesis")
    try:
        yield
    finally:
        setattr(configuration, name, before)


def draw_examples(strategy: st.SearchStrategy[T], *, seed_value: int, count: int) -> list[T]:
    """Up to `count` examples of `strategy`, the same ones for the same seed.

    Generation only (no shrinking, no example database, no deadline): the test function
    just records each example, so hypothesis never replays anything. Fewer than `count`
    come back only when the strategy has no more distinct examples.
    """
    drawn: list[T] = []

    @seed(seed_value)
    @settings(
        max_examples=count,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        derandomize=False,
    )
    @given(strategy)
    def record(example: T) -> None:
        drawn.append(example)

    with _no_local_constants(), _storage_in_cache():
        record()
    return drawn


@dataclass(frozen=True)
class SeedChoice:
    """The seed a run uses and where it comes from (for evidence)."""

    value: int
    source: str

    def to_json(self) -> dict[str, Any]:
        """A JSON-friendly summary for evidence."""
        return {"seed": self.value, "seed_from": self.source, "hypothesis": hypothesis.__version__}


def choose_seed(target: Target, domain: str, default: int) -> SeedChoice:
    """`settings.<domain>.robustness_seed` when the target sets it, else `default`."""
    raw: Mapping[str, Any] = target.settings(domain)
    if SEED_KEY not in raw:
        return SeedChoice(default, "check parameter seed")
    value = raw[SEED_KEY]
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**64:
        raise CheckError(f"settings.{domain}.{SEED_KEY} of the target must be a whole number >= 0, not {value!r}")
    return SeedChoice(value, f"target settings.{domain}.{SEED_KEY}")


# The engine's HttpError messages, by what went wrong; the raw message goes to evidence,
# this stable wording to the verdict (the operating system's words vary between runs).
_KINDS = (
    ("timed out", "no answer within the time limit"),
    ("past the deadline", "answer still streaming at the deadline"),
    ("larger than", "answer larger than the size limit"),
    ("outside the target", "redirect outside the target's declared hosts"),
    ("redirects from", "too many redirects"),
    ("transport error", "connection broken before a complete answer"),
)


def transport_outcome(exc: HttpError) -> str:
    """A stable description of a transport problem (reset, timeout, truncated body...)."""
    text = str(exc)
    for needle, kind in _KINDS:
        if needle in text:
            return kind
    return "transport error"


@dataclass
class Delivery:
    """How the examples' requests went: answered, or broken off by a transport error.

    A server that stops answering is not sent the rest: after `max_broken_in_a_row`
    broken requests in a row the check stops (`broke()` returns True). A server that
    answered none could not be tested at all (`ensure_answered`).
    """

    max_broken_in_a_row: int = 3
    sent: int = 0
    answered: int = 0
    broken_in_a_row: int = 0

    def answer(self) -> None:
        """One request got an answer."""
        self.sent += 1
        self.answered += 1
        self.broken_in_a_row = 0

    def broke(self) -> bool:
        """One request was broken off; True when the check must stop sending."""
        self.sent += 1
        self.broken_in_a_row += 1
        return self.broken_in_a_row >= self.max_broken_in_a_row

    def stopped(self, drawn: int) -> str:
        """`; stopped after 3 broken requests in a row` when not every example was sent."""
        return f"; stopped after {self.max_broken_in_a_row} broken requests in a row" if self.sent < drawn else ""

    def ensure_answered(self, what: str, seed_value: int, first_problem: str | None) -> None:
        """CheckError when no request got an answer: nothing was tested."""
        if self.answered == 0:
            raise CheckError(
                f"none of the {self.sent} {what} (seed {seed_value}) got an answer: {first_problem or 'nothing sent'}"
            )
