"""What the authentication kinds and the clean-up use of an HTTP client, as protocols, and
the session a login leaves a client.

`homolog.http` holds the client and calls the authenticator and the cleanup ledger; typing
the other way through these protocols (which `HttpClient` and `Response` satisfy) keeps
the package's imports free of cycles (tests/test_layering.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from ..target import Target

__all__ = ["Client", "Reply", "Session"]


@dataclass(frozen=True)
class Session:
    """What a form or provider-button login leaves a client: its cookies, and the access
    token of a JSON login that answers one (sent as a bearer token)."""

    cookies: Mapping[str, str]
    bearer: str | None = None


class Reply(Protocol):
    """A response as `homolog.http.Response` gives it."""

    @property
    def url(self) -> str: ...

    @property
    def status_code(self) -> int: ...

    @property
    def headers(self) -> httpx.Headers: ...

    @property
    def content(self) -> bytes: ...

    @property
    def text(self) -> str: ...

    def json(self) -> Any: ...

    def describe(self) -> str: ...

    def header_values(self, name: str) -> list[str]: ...


class Client(Protocol):
    """An HTTP client bound to the target, as `homolog.http.HttpClient` is."""

    @property
    def target(self) -> Target: ...

    @property
    def cookies(self) -> httpx.Cookies: ...

    @property
    def sessions(self) -> dict[str, Session]: ...

    def fresh(self) -> Client: ...

    def __enter__(self) -> Client: ...

    def __exit__(self, *exc: object) -> None: ...

    def request(
        self,
        method: str,
        url: str,
        *,
        base: str | None = None,
        params: Mapping[str, Any] | list[tuple[str, Any]] | None = None,
        headers: Mapping[str, str] | None = None,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        content: bytes | str | None = None,
        auth: str | None = None,
        follow_redirects: bool = True,
        timeout: float | None = None,
        record: bool = True,
    ) -> Reply: ...
