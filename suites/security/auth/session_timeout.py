"""Logout after the configured inactivity time (SSI/IE.39)."""

from __future__ import annotations

import time

from homolog import CheckError, HttpClient, Needs, Params, Response, Target, check, fail

from ..web_login import WebSession, protected_path, refused_web

#: Grace added to the declared timeout when neither the referential nor the target sets one.
DEFAULT_MARGIN_SECONDS = 2.0
#: Sessions opened before a system too slow to time is given up on (`error`).
ATTEMPTS = 3


class TimeoutParams(Params):
    """Grace added to the declared timeout, and the longest wait the check accepts.

    ``margin_seconds`` unset: the target's ``settings.security.session_timeout_margin_seconds``
    (how late its timer may end a session), else DEFAULT_MARGIN_SECONDS.
    """

    margin_seconds: float | None = None
    max_wait_seconds: float = 1800.0
    path: str | None = None


def idle_margin(target: Target, params: TimeoutParams) -> float:
    """The grace after the declared timeout: the referential's, else the target's, else 2 s.

    A smaller margin only makes the check stricter (the session must be gone sooner), so a
    target may declare the precision of its own timer, up to the default and not beyond:
    it may shorten the wait, never lengthen it. A referential value still wins.
    """
    if params.margin_seconds is not None:
        return params.margin_seconds
    declared = target.settings("security").get("session_timeout_margin_seconds")
    if declared is None:
        return DEFAULT_MARGIN_SECONDS
    if (
        not isinstance(declared, int | float)
        or isinstance(declared, bool)
        or not 0 <= declared <= DEFAULT_MARGIN_SECONDS
    ):
        raise CheckError(
            "settings.security.session_timeout_margin_seconds must be a number of seconds between 0 and "
            f"{DEFAULT_MARGIN_SECONDS:g}, not {declared!r}"
        )
    return float(declared)


@check("security.auth.session_timeout", params=TimeoutParams, needs=Needs(bases=("web",), auth=("web",)))
def session_timeout(http: HttpClient, target: Target, params: TimeoutParams) -> None:
    """An idle web session ends after the inactivity time the vendor configured.

    A single-page application whose scripts renew a lapsed access token (`api.refresh`)
    is asked for one after the idle period, as its script would: a session its refresh
    brings back has not ended.
    """
    kind = target.auth("web").type  # type: ignore[union-attr]  # needs auth.web
    if kind == "basic":
        # A browser keeps sending Basic credentials until it is closed: nothing can end
        # the access after inactivity, whatever the server is configured with.
        fail("the web UI logs users in with HTTP Basic: no session exists that inactivity could end")
    declared = target.settings("security").get("session_timeout_seconds")
    if not isinstance(declared, int | float) or declared <= 0:
        raise CheckError(
            "the target does not declare settings.security.session_timeout_seconds: "
            "the inactivity timeout cannot be measured"
        )
    wait = float(declared) + idle_margin(target, params)
    if wait > params.max_wait_seconds:
        raise CheckError(f"waiting {wait:.0f}s exceeds max_wait_seconds={params.max_wait_seconds}")
    path = params.path or protected_path(target)
    login_path = target.login_path("web")
    for _ in range(ATTEMPTS):
        ended = _activity_then_idle(http, target, path, login_path, float(declared), wait)
        if ended is not None:
            idle, renewal = ended
            break
    else:
        raise CheckError(
            f"each of {ATTEMPTS} sessions was refused before its idle period, each time more than the declared "
            f"{declared}s after the request that restarted the timer (the system was slow to answer): it may "
            "have been idle that long, so whether it ends sessions too early cannot be decided"
        )
    if idle.status_code >= 500:
        raise CheckError(
            f"after {wait:.1f}s idle {idle.describe()} answered {idle.status_code}: neither the page "
            "nor a refusal, so whether the session ended cannot be told"
        )
    if not refused_web(idle, login_path):
        fail(
            f"after {wait:.1f}s idle (declared timeout {declared}s) {idle.describe()} still answered {idle.status_code}"
        )
    if renewal is not None:
        fail(renewal)


def _activity_then_idle(
    http: HttpClient, target: Target, path: str, login_path: str | None, declared: float, wait: float
) -> tuple[Response, str | None] | None:
    """Log in, show activity, stay idle ``wait`` s: the answer to the request after, and
    how the session was renewed after it if it was (`_renewed`).

    The system's idle time between two requests lies within the span from sending the first
    to receiving the answer to the second. A refusal received within the declared timeout of
    sending the request that restarted the timer is a session ended too early, whatever the
    speed of the system; one received later (a request stalled by a slow system or machine)
    proves nothing: None is returned, for a new session to be tried. The idle period itself
    can only be lengthened by delays, which never favours the system.
    """
    with WebSession(http, target) as session:
        sent = time.monotonic()  # the login, then the page: the timer starts between the two
        session.open()
        restarted = time.monotonic()  # the page request restarts the timer after this
        active = session.request("GET", path)
        if active.status_code != 200:
            if refused_web(active, login_path) and time.monotonic() - sent > declared:
                return None
            raise CheckError(f"logged in, {active.describe()} answered {active.status_code}, not 200")
        # Activity just before the idle period, so the timer is known to restart here.
        pause = min(1.0, declared / 2)
        time.sleep(pause)
        probe = session.request("GET", path)
        if probe.status_code != 200:
            if not refused_web(probe, login_path):
                raise CheckError(
                    f"logged in, {probe.describe()} answered {probe.status_code} to a request after activity: "
                    "neither the page nor a refusal"
                )
            if time.monotonic() - restarted > declared:
                return None
            fail(
                f"the session ended before the declared {declared:g}s of inactivity: {probe.describe()} was refused "
                f"({probe.status_code}) after {pause:g}s, within {declared:g}s of the previous request"
            )
        time.sleep(wait)
        idle: Response = session.request("GET", path)
        renewal = _renewed(session, path, login_path, wait) if refused_web(idle, login_path) else None
        return idle, renewal


def _renewed(session: WebSession, path: str, login_path: str | None, wait: float) -> str | None:
    """After a refusal for idleness, ask for a new access token as the page's script would
    (`api.refresh`): a session its refresh brings back outlives the idle timeout, and this
    says how; None when none is declared or the refresh is refused."""
    spec = session.target.auth(session.auth)
    if spec is None or spec.api is None or spec.api.refresh is None:
        return None
    answer = session.refresh()
    if not 200 <= answer.status_code < 300:
        return None
    again = session.request("GET", path)
    if again.status_code != 200:
        return None
    return (
        f"after {wait:.1f}s idle {path} was refused, but the token refresh {answer.describe()} renewed the "
        f"session and {again.describe()} answered 200 again: the refresh token outlives the idle timeout"
    )
