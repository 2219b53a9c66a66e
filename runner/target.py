"""Targets: the vendor's description of the system under test (`homolog.target/1`).

Secrets never appear in a target file: it names environment variables, read only
when a check needs them (`Target.secret_value`). Besides addresses, authentication
(`homolog.auth` uses it), options, test data and the page map, a target says whether
the run may write to the system (`data_policy: readonly | create`) and which check
parameters it sets itself (`overrides:`, resolved by `homolog.plan` and shown in every
report).
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

from .errors import CheckError, Problem, TargetError
from .schemas import schema_problems
from .yamlsafe import load_yaml

__all__ = ["DATA_POLICIES", "AuthSpec", "CounterpartEndpoint", "LoginApi", "PageSpec", "Target", "load_target"]

#: What a run may do to the system's data: only read it, or create (and remove) its own.
DATA_POLICIES = ("readonly", "create")
#: Auth fields that name endpoints of an identity provider (in the run's scope).
_ENDPOINT_FIELDS = ("issuer", "token_url")


@dataclass(frozen=True)
class AuthSpec:
    """How to authenticate against one part of the SUT."""

    name: str
    type: str
    fields: Mapping[str, Any]

    @property
    def username(self) -> str | None:
        if "username" in self.fields:
            return str(self.fields["username"])
        env = self.fields.get("username_env")
        return os.environ.get(env) if env else None

    def get(self, key: str, default: Any = None) -> Any:
        """A field of the entry (`page`, `start`, `token_url` ...), `default` when absent."""
        return self.fields.get(key, default)

    @property
    def api(self) -> LoginApi | None:
        """The JSON login of a `form` entry whose page's scripts log in (`api:`), else None."""
        api = self.fields.get("api")
        if not isinstance(api, Mapping):
            return None
        return LoginApi(
            str(api["login"]),
            api.get("csrf"),
            api.get("session"),
            api.get("token"),
            api.get("password"),
            api.get("refresh"),
            api.get("refresh_token"),
            str(api.get("body") or "json"),
        )

    def env_names(self) -> list[str]:
        """Every environment variable the entry names (`*_env` fields, headers_env, cookies_env)."""
        names = [str(v) for k, v in self.fields.items() if k.endswith("_env") and isinstance(v, str)]
        for key in ("headers_env", "cookies_env"):
            extra = self.fields.get(key)
            if isinstance(extra, Mapping):
                names += [str(v) for v in extra.values()]
        return names


@dataclass(frozen=True)
class LoginApi:
    """A login sent as the login page's scripts send it: a JSON POST to `login`.

    `csrf`: a GET first, whose answer sets the CSRF cookie the POST echoes in a header
    (Django's `ensure_csrf_cookie` view, Laravel Sanctum's `/sanctum/csrf-cookie`);
    `session`: a GET that answers only within a session (`/api/me`), the resource HTTP
    checks ask for to tell a session from none; `token`: the key (dotted for a nested one,
    `data.access_token`) of the access token in the login's JSON answer, or `header:<name>`
    for one in a header of the answer, for a system whose scripts send it as a bearer token
    rather than holding the session in a cookie;
    `password`: the path the scripts POST a password change to, as JSON, within the session
    (`PATCH /users/me`: another method before it);
    `refresh`: the path they POST to for a new access token when one lapses, sending the
    refresh token the login answered at `refresh_token` (a key, or `header:<name>`) under
    that key's last part, or, without `refresh_token`, the cookies that hold it;
    `body`: `json`, or `form` for a login and refresh sent form-encoded (OAuth 2's password
    and refresh forms: FastAPI's `OAuth2PasswordRequestForm`, fastapi-users).
    """

    login: str
    csrf: str | None = None
    session: str | None = None
    token: str | None = None
    password: str | None = None
    refresh: str | None = None
    refresh_token: str | None = None
    body: str = "json"

    @property
    def password_change(self) -> tuple[str, str] | None:
        """(method, path) of the password change: `password` with its method, POST by default."""
        if self.password is None:
            return None
        method, _, path = self.password.strip().rpartition(" ")
        return (method.strip().upper() or "POST", path)

    def encode(self, fields: Mapping[str, str]) -> tuple[bytes, str]:
        """A login's or refresh's fields as the scripts send them: (body, content type)."""
        if self.body == "form":
            return urlencode(fields).encode(), "application/x-www-form-urlencoded"
        return json.dumps(dict(fields)).encode(), "application/json"


@dataclass(frozen=True)
class PageSpec:
    """A named page of the page map, with named locators."""

    name: str
    path: str
    base: str = "web"
    title: str | None = None
    locators: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    auth: str | None = None  # the auth entry that opens it; "none": a public page; None: the web login's
    audit: bool = True  # False: left out of page audits (a logout link, an action page)

    def url(self, base_url: str, **fmt: Any) -> str:
        try:
            path = self.path.format(**fmt)
        except KeyError as exc:
            raise CheckError(f"page {self.name!r}: no value for placeholder {exc} in path {self.path!r}") from None
        return base_url.rstrip("/") + path

    def locator(self, name: str) -> str:
        try:
            return self.locators[name]
        except KeyError:
            known = ", ".join(self.locators) or "none"
            raise CheckError(
                f"the target's page map has no locator {name!r} on page {self.name!r} (known: {known})"
            ) from None


@dataclass(frozen=True)
class CounterpartEndpoint:
    """Where a counterpart started for the run listens (`homolog.counterparts`)."""

    name: str
    url: str  # what the SUT calls
    control_url: str  # the control API: records and misbehaviour orders (its path holds a secret)


@dataclass(frozen=True)
class Target:
    """A loaded target file."""

    path: Path | None
    raw: Mapping[str, Any]
    # line of each key of the file (lint and override problems name it); not compared
    lines: Mapping[tuple[str | int, ...], int] = field(default_factory=dict, compare=False, repr=False)

    # -- identity
    @property
    def name(self) -> str:
        return str(self.raw["system"]["name"])

    @property
    def version(self) -> str:
        return str(self.raw["system"]["version"])

    @property
    def vendor(self) -> str | None:
        vendor = self.raw["system"].get("vendor")
        return None if vendor is None else str(vendor)

    # -- addresses
    @property
    def base_urls(self) -> Mapping[str, str]:
        return MappingProxyType(dict(self.raw["base_urls"]))

    def base_url(self, name: str) -> str:
        try:
            return str(self.raw["base_urls"][name])
        except KeyError:
            known = ", ".join(self.raw["base_urls"])
            raise CheckError(f"the target declares no base URL {name!r} (base_urls has: {known})") from None

    def url(self, path_or_url: str, base: str) -> str:
        """Absolute URL for a path relative to a named base (absolute URLs pass through)."""
        if urlsplit(path_or_url).scheme:
            return path_or_url
        root = self.base_url(base).rstrip("/") + "/"
        return urljoin(root, path_or_url.lstrip("/"))

    @property
    def hosts(self) -> frozenset[tuple[str, int]]:
        """(host, port) pairs in scope: the hosts of every declared base URL, and of the
        identity providers the target's auth entries name (issuer, token endpoint)."""
        out = set()
        urls = list(self.raw["base_urls"].values())
        for spec in (self.raw.get("auth") or {}).values():
            urls += [str(spec[k]) for k in _ENDPOINT_FIELDS if isinstance(spec, Mapping) and spec.get(k)]
        for url in urls:
            parts = urlsplit(url)
            port = parts.port or (443 if parts.scheme == "https" else 80)
            out.add(((parts.hostname or "").lower(), port))
        return frozenset(out)

    def in_scope(self, url: str) -> bool:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            return False
        port = parts.port or (443 if parts.scheme == "https" else 80)
        return ((parts.hostname or "").lower(), port) in self.hosts

    # -- TLS and limits
    @property
    def ssl_verify(self) -> bool | str:
        tls = self.raw.get("tls") or {}
        if tls.get("ca_file"):
            return str(self.resolve_path(tls["ca_file"]))
        return bool(tls.get("verify", True))

    @property
    def timeouts(self) -> Mapping[str, Any]:
        return self.raw.get("timeouts") or {}

    # -- options, data, pages, settings
    @property
    def options(self) -> Mapping[str, Any]:
        return MappingProxyType(dict(self.raw.get("options") or {}))

    @property
    def data(self) -> Mapping[str, Any]:
        return MappingProxyType(dict(self.raw.get("data") or {}))

    def datum(self, key: str) -> Any:
        data = self.raw.get("data") or {}
        if key not in data:
            raise CheckError(f"the target declares no test data {key!r} (under data:)")
        return data[key]

    @property
    def data_policy(self) -> str:
        """`readonly` (the default: the run must not change the system's data) or `create`."""
        return str(self.raw.get("data_policy") or "readonly")

    @property
    def overrides(self) -> Mapping[str, Mapping[str, Any]]:
        """Check parameters the target sets, by requirement id or check id (`overrides:`)."""
        return MappingProxyType({str(k): dict(v or {}) for k, v in (self.raw.get("overrides") or {}).items()})

    @property
    def pages(self) -> tuple[str, ...]:
        """Names of the page map's pages, in the file's order."""
        return tuple(self.raw.get("pages") or {})

    def page(self, name: str) -> PageSpec:
        pages = self.raw.get("pages") or {}
        if name not in pages:
            known = ", ".join(pages) or "none"
            raise CheckError(f"the target's page map has no page {name!r} (pages: {known})")
        p = pages[name]
        return PageSpec(
            name,
            p["path"],
            p.get("base", "web"),
            p.get("title"),
            MappingProxyType(dict(p.get("locators") or {})),
            p.get("auth"),
            bool(p.get("audit", True)),
        )

    def login_page(self, auth: str = "web") -> str | None:
        """The page map entry of the login form or button of `auth.<auth>` (form and oidc logins)."""
        spec = self.auth(auth)
        if spec is None or spec.type not in ("form", "oidc"):
            return None
        return str(spec.get("page", "login"))

    def served_path(self, name: str) -> str:
        """The path of page `name` as requests and redirects carry it: its base URL's path,
        then its own (a system published at https://host/ehr/ serves its page `/login` at
        `/ehr/login`)."""
        page = self.page(name)
        return urlsplit(self.url(page.path, page.base)).path or "/"

    def login_path(self, auth: str = "web") -> str | None:
        """The served path of the login page of `auth.<auth>`, None without one in the page map."""
        name = self.login_page(auth)
        return self.served_path(name) if name is not None and name in self.pages else None

    def page_auth(self, name: str) -> str | None:
        """The auth entry a visitor needs for page `name`; None for a public page.

        A page says it with `auth:` (`none` for a public page); otherwise it is behind the
        `web` login, except the login page itself. With no `auth.web` every page is public.
        """
        page = self.page(name)
        if page.auth is not None:
            return None if page.auth == "none" else page.auth
        web = self.auth("web")
        if web is None or web.type == "none":
            return None
        return None if name == self.login_page("web") else "web"

    def audited_pages(self) -> tuple[str, ...]:
        """The pages audits visit by default: every page of the map not marked `audit: false`."""
        return tuple(n for n in self.pages if self.page(n).audit)

    def settings(self, domain: str) -> Mapping[str, Any]:
        return MappingProxyType(dict((self.raw.get("settings") or {}).get(domain) or {}))

    def counterpart(self, name: str) -> CounterpartEndpoint:
        """The counterpart `name` the run started (or the target records); `CheckError` otherwise."""
        known = (self.raw.get("settings") or {}).get("counterparts") or {}
        entry = known.get(name)
        if not isinstance(entry, Mapping) or not entry.get("control_url"):
            declared = ", ".join(known) or "none"
            raise CheckError(
                f"no counterpart {name!r} in this run (started: {declared}); declare it under "
                f"counterparts: in the target so that the run starts it"
            )
        return CounterpartEndpoint(name, str(entry.get("url") or ""), str(entry["control_url"]))

    def with_settings(
        self, overrides: Mapping[str, Any] | None = None, defaults: Mapping[str, Any] | None = None
    ) -> Target:
        """This target with run settings (`<domain>.<key>` -> value) applied.

        `defaults` fill only what the target leaves out (e.g. a machine's environment);
        `overrides` replace what it says (an option given on the command line).
        """
        if not overrides and not defaults:
            return self
        raw = copy.deepcopy(dict(self.raw))
        settings = raw["settings"] = dict(raw.get("settings") or {})
        for values, replace in ((defaults or {}, False), (overrides or {}, True)):
            for dotted, value in values.items():
                domain, _, key = dotted.partition(".")
                section = settings[domain] = dict(settings.get(domain) or {})
                if replace or key not in section:
                    section[key] = value
        return Target(self.path, raw, self.lines)

    def with_counterparts(self, described: Mapping[str, Mapping[str, Any]]) -> Target:
        """This target plus what started counterparts add (`homolog.counterparts.describe`)."""
        if not described:
            return self
        from homolog.counterparts import add_to_target

        return Target(self.path, add_to_target(self.raw, described), self.lines)

    def auth(self, name: str) -> AuthSpec | None:
        spec = (self.raw.get("auth") or {}).get(name)
        if spec is None:
            return None
        return AuthSpec(name, spec["type"], MappingProxyType({k: v for k, v in spec.items() if k != "type"}))

    def env_value(self, auth_name: str, env: str, what: str) -> str:
        """The value of the environment variable `env` an auth entry names; CheckError when unset."""
        value = os.environ.get(env)
        if not value:
            raise CheckError(f"environment variable {env} (auth {auth_name!r}, {what}) is not set")
        return value

    def secret_value(self, auth_name: str, field_name: str) -> str:
        """Read a secret from the environment variable the target names."""
        spec = self.auth(auth_name)
        if spec is None:
            raise CheckError(f"the target declares no auth {auth_name!r}")
        key = field_name if field_name.endswith("_env") else f"{field_name}_env"
        env = spec.fields.get(key)
        if not env:
            raise CheckError(f"auth {auth_name!r} names no environment variable for {field_name!r} ({key})")
        value = os.environ.get(env)
        if not value:
            raise CheckError(f"environment variable {env} (auth {auth_name!r}, {key}) is not set")
        return value

    def credential_fields(self) -> list[str]:
        """Where the target's JSON logins answer their tokens (`api.token`, `api.refresh_token`:
        a dotted JSON key or `header:<name>`): fields whose values are secrets whatever their
        name, which evidence redacts."""
        fields = []
        for name in self.raw.get("auth") or {}:
            spec = self.auth(name)
            if spec is not None and spec.api is not None:
                fields += [f for f in (spec.api.token, spec.api.refresh_token) if f]
        return fields

    def secret_values(self) -> list[str]:
        """Current values of every secret the target names (for sanitising evidence).

        The environment variables of `auth:` and of the counterparts' options (`*_env`),
        and the secret path of each started counterpart's control URL.
        """
        values = []
        for name in self.raw.get("auth") or {}:
            spec = self.auth(name)
            if spec:
                values += [os.environ[e] for e in spec.env_names() if os.environ.get(e)]
        counterparts = self.raw.get("counterparts")
        for spec in counterparts.values() if isinstance(counterparts, Mapping) else ():
            options = spec.get("options") if isinstance(spec, Mapping) else None
            for key, env in options.items() if isinstance(options, Mapping) else ():
                if str(key).endswith("_env") and isinstance(env, str) and os.environ.get(env):
                    values.append(os.environ[env])
        started = (self.raw.get("settings") or {}).get("counterparts") or {}
        for entry in started.values() if isinstance(started, Mapping) else ():
            control = entry.get("control_url") if isinstance(entry, Mapping) else None
            if isinstance(control, str):
                values += [p for p in urlsplit(control).path.split("/") if len(p) >= 16]
        return values

    def resolve_path(self, p: str | Path) -> Path:
        path = Path(p).expanduser()
        if not path.is_absolute() and self.path is not None:
            path = self.path.parent / path
        return path

    def describe(self) -> dict[str, Any]:
        """The target without secrets, as recorded in run.json (env var names only)."""
        return {
            "name": self.name,
            "version": self.version,
            "vendor": self.vendor,
            "base_urls": dict(self.raw["base_urls"]),
            "options": dict(self.raw.get("options") or {}),
            "auth": {k: dict(v) for k, v in (self.raw.get("auth") or {}).items()},
            "data": dict(self.raw.get("data") or {}),
            "data_policy": self.data_policy,
            "overrides": {k: dict(v) for k, v in self.overrides.items()},
            "file": str(self.path) if self.path else None,
        }


def load_target(path: str | Path) -> Target:
    """Load and validate a target file; raise TargetError naming file, line and key."""
    path = Path(path)
    if not path.is_file():
        raise TargetError([Problem(path, None, "", "target file not found")])
    doc = load_yaml(path, cls=TargetError)
    if not isinstance(doc.data, dict):
        raise TargetError([Problem(path, 1, "", "a target must be a mapping of keys")])
    problems = schema_problems(doc, "target")
    from .auth.spec import LITERAL_SECRETS, auth_problems  # the auth kinds own their rules

    if not problems:  # the rules of each kind read a document of the right shape
        problems = auth_problems(doc)
    auth = doc.data.get("auth")
    for name, spec in (auth if isinstance(auth, dict) else {}).items():
        if isinstance(spec, dict):
            for key in spec:
                if key in LITERAL_SECRETS:
                    dotted_key = f"auth.{name}.{key}"
                    problems = [p for p in problems if p.key != dotted_key]
                    problems.append(
                        doc.problem(("auth", name, key), "secrets are never written in a target file", f"{key}_env")
                    )
    credentials = _credentials_in_base_urls(doc)
    if credentials:
        # the schema's own message would quote the URL, password included
        keys = {p.key for p in credentials}
        problems = [p for p in problems if p.key not in keys] + credentials
    if problems:
        raise TargetError(problems)
    return Target(path.resolve(), doc.data, doc.lines)


def _has_userinfo(url: str) -> bool:
    """`user:password@` before the host, even with characters a parser would take for a path or fragment."""
    rest = url.partition("://")[2]
    if "@" not in rest:
        return False
    first = rest[: rest.rfind("@")].split("/")[0]
    # "host:8443/path@x" is a port and a path; "admin:pa#ss@host" is a password
    return ":" in first and not first.rpartition(":")[2].isdigit()


def _credentials_in_base_urls(doc: Any) -> list[Problem]:
    """A user or password inside a base URL would be copied into run.json and the reports."""
    bases = doc.data.get("base_urls")
    problems = []
    for name, url in bases.items() if isinstance(bases, dict) else ():
        if not isinstance(url, str):
            continue
        if _has_userinfo(url):
            has_credentials = True
        else:
            try:
                parts = urlsplit(url)
                has_credentials = parts.username is not None or parts.password is not None
            except ValueError:
                has_credentials = False
        if has_credentials:
            problems.append(
                doc.problem(
                    ("base_urls", name),
                    "a base URL carries credentials (a user and password before the host), which would be "
                    "written to the run and its reports; write the URL without them and declare them under "
                    f"auth: (e.g. auth.{name}: "
                    "{type: basic, username: ..., password_env: VARIABLE}, the password in that environment variable)",
                )
            )
    return problems
