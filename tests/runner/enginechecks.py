"""Checks used by the engine's own tests (registered when this module is imported)."""

from __future__ import annotations

import os
import time

import pytest

from homolog import CheckError, Params, check, expect_status, fail


class StatusParams(Params):
    path: str = "/ok"
    status: int = 200


@check("engine.http.status", params=StatusParams)
def http_status(http, params: StatusParams) -> None:  # type: ignore[no-untyped-def]
    """The server answers the path with the expected status."""
    expect_status(http.get(params.path, base="web"), params.status)


@check("engine.outcome.fail")
def always_fail() -> None:
    """Fails on purpose."""
    fail("the SUT said no")


@check("engine.outcome.assert")
def plain_assert() -> None:
    """Fails with a bare assert."""
    value = 1
    assert value == 2


@check("engine.outcome.error")
def undecided() -> None:
    """Cannot decide."""
    raise CheckError("SUT unreachable")


@check("engine.outcome.crash")
def crash() -> None:
    """A bug in a check."""
    raise ZeroDivisionError("boom")


@check("engine.outcome.skip")
def skipper() -> None:
    """Precondition unmet."""
    pytest.skip("no account creation exposed")


class SleepParams(Params):
    seconds: float = 0.2
    visit: int = 0  # only tells executions apart (one execution per check and parameters)
    until: str = ""  # a file: wait until it exists instead of `seconds` (failed after 60 s)


@check("engine.outcome.sleep", params=SleepParams)
def sleeper(evidence, params: SleepParams) -> None:  # type: ignore[no-untyped-def]
    """Passes after a while (for resume tests)."""
    evidence.attach_text("note.txt", "slept")
    if not params.until:
        time.sleep(params.seconds)
        return
    deadline = time.monotonic() + 60
    while not os.path.exists(params.until):
        if time.monotonic() > deadline:
            fail(f"{params.until} did not appear within 60 s")
        time.sleep(0.05)


@check("engine.evidence.secret")
def leaks(evidence, target) -> None:  # type: ignore[no-untyped-def]
    """Writes a secret into its evidence (it must be redacted)."""
    token = target.secret_value("api", "token")
    evidence.attach_text("leak.txt", f"token={token} Authorization: Bearer {token}")
    fail(f"saw {token}")


class IssuerParams(Params):
    visit: int = 0  # only tells executions apart (one execution per check and parameters)


@check("engine.counterpart.psc_issuer", params=IssuerParams)
def psc_issuer(counterpart, evidence) -> None:  # type: ignore[no-untyped-def]
    """Reaches the PSC counterpart of the run through its control API."""
    import os

    from homolog.counterparts.psc import PscControl

    endpoint = counterpart("psc")
    issuer = PscControl(endpoint.control_url).issuer
    evidence.attach_json("psc.json", {"url": endpoint.url, "issuer": issuer, "pid": os.getpid()})
    if issuer != endpoint.url:
        fail(f"the control API serves {issuer}, the run recorded {endpoint.url}")


class SettingParams(Params):
    key: str  # <domain>.<key>
    expected: str | None = None


@check("engine.settings.value", params=SettingParams)
def setting_value(target, params: SettingParams) -> None:  # type: ignore[no-untyped-def]
    """The run gives the target setting the expected value."""
    domain, _, key = params.key.partition(".")
    got = target.settings(domain).get(key)
    if got != params.expected:
        fail(f"{params.key} = {got!r}, expected {params.expected!r}")


@check("engine.outcome.caveat")
def with_caveat(evidence) -> None:  # type: ignore[no-untyped-def]
    """Passes, with a reservation on what it could verify."""
    evidence.caveat(
        "missing-fhir-packages",
        "validated without acme.ig#1.0.0 (not found)",
        packages=["acme.ig#1.0.0"],
        weakens="acme bindings",
    )
    # the same reservation again: recorded once
    evidence.caveat(
        "missing-fhir-packages",
        "validated without acme.ig#1.0.0 (not found)",
        packages=["acme.ig#1.0.0"],
        weakens="acme bindings",
    )


class CraftedParams(Params):
    path: str = "/crafted"


@check("engine.deadline.regex", params=CraftedParams)
def catastrophic_regex(http, params: CraftedParams) -> None:  # type: ignore[no-untyped-def]
    """Parses a crafted body with a pattern that backtracks for ever on it."""
    import re

    body = http.get(params.path, base="web").text
    if re.match(r"(a+)+$", body):  # exponential on "aaaa...!": never returns by itself
        fail("matched")


class NativeParams(Params):
    log: str | None = None  # a file each execution appends a line to


@check("engine.deadline.native", params=NativeParams, timeout=1)
def stuck_in_native_code(evidence, params: NativeParams) -> None:  # type: ignore[no-untyped-def]
    """Loops for ever in C code that never looks at signals."""
    import collections
    import itertools
    import os

    if params.log:
        with open(params.log, "a", encoding="utf-8") as log:
            log.write(f"{os.getpid()}\n")
    evidence.attach_text("before.txt", "written before the check got stuck")
    collections.deque(itertools.repeat(None), maxlen=0)


class AuthedParams(Params):
    path: str = "/private"
    auth: str = "api"


@check("engine.http.authed", params=AuthedParams)
def http_authed(http, params: AuthedParams) -> None:  # type: ignore[no-untyped-def]
    """The server opens the path to the target's credentials."""
    expect_status(http.get(params.path, base="web", auth=params.auth), 200)


class CountParams(Params):
    log: str  # a file each execution appends a line to
    fail: bool = False


@check("engine.outcome.count", params=CountParams)
def counted(evidence, params: CountParams) -> None:  # type: ignore[no-untyped-def]
    """Appends a line to its log at each execution (for the one-execution-per-parameters tests)."""
    import os

    with open(params.log, "a", encoding="utf-8") as log:
        log.write(f"{os.getpid()}\n")
    evidence.attach_text("seen.txt", f"execution in process {os.getpid()}")
    if params.fail:
        fail("counted and refused")


class TogetherParams(Params):
    log: str  # a file each execution appends its process id to
    n: int  # one case per value
    seconds: float = 0.3


@check("engine.outcome.count_together", params=TogetherParams, together="engine-together")
def counted_together(params: TogetherParams) -> None:
    """Appends its process id to its log after a moment (for the `together` tests)."""
    import os

    time.sleep(params.seconds)
    with open(params.log, "a", encoding="utf-8") as log:
        log.write(f"{os.getpid()}\n")


@check("engine.outcome.count_per_requirement", params=CountParams)
def counted_per_requirement(evidence, params: CountParams, requirement) -> None:  # type: ignore[no-untyped-def]
    """Like engine.outcome.count, and says which requirement it verifies."""
    with open(params.log, "a", encoding="utf-8") as log:
        log.write(f"{requirement.id}\n")
    evidence.attach_text("seen.txt", f"verifying {requirement.id}")


@check("engine.fixtures.every", params=StatusParams)
def every_engine_fixture(http, evidence, target, requirement, params: StatusParams) -> None:  # type: ignore[no-untyped-def]
    """Asks for every fixture the engine makes; writes what each gave as evidence."""
    resp = http.get(params.path, base="web")
    evidence.attach_json(
        "fixtures.json",
        {
            "requirement": requirement.id,
            "bases": sorted(target.base_urls),
            "status": resp.status_code,
            "path": params.path,
            "http_writes_to_evidence": http.evidence is evidence,
        },
    )


@check("engine.process.collector")
def collector_state(evidence) -> None:  # type: ignore[no-untyped-def]
    """Writes which process runs it and how many objects its garbage collector leaves frozen."""
    import gc
    import os

    evidence.attach_json("collector.json", {"pid": os.getpid(), "frozen": gc.get_freeze_count()})
