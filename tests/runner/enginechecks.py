"""Checks used by the engine's own tests (registered when this module is imported)."""

from __future__ import annotations

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


@check("engine.outcome.sleep", params=SleepParams)
def sleeper(evidence, params: SleepParams) -> None:  # type: ignore[no-untyped-def]
    """Passes after a while (for resume tests)."""
    evidence.attach_text("note.txt", "slept")
    time.sleep(params.seconds)


@check("engine.evidence.secret")
def leaks(evidence, target) -> None:  # type: ignore[no-untyped-def]
    """Writes a secret into its evidence (it must be redacted)."""
    token = target.secret_value("api", "token")
    evidence.attach_text("leak.txt", f"token={token} Authorization: Bearer {token}")
    fail(f"saw {token}")


@check("engine.counterpart.psc_issuer")
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
