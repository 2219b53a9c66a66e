"""A Pro Santé Connect–like OpenID Connect provider on 127.0.0.1.

What it serves, under ``issuer = http://127.0.0.1:PORT/auth/realms/esante-wallet``:

- ``/.well-known/wallet-openid-configuration`` (PSC's discovery path; the standard
  ``openid-configuration`` path answers the same document);
- ``/protocol/openid-connect/auth``: no interaction, the configured professional is
  approved at once and the browser is sent back with ``code`` and ``state``;
- ``/protocol/openid-connect/token``: code grant, client authentication (basic or
  post), redirect_uri and PKCE verification (S256, or plain when the client asked
  for plain — recorded, so a check can object);
- ``/protocol/openid-connect/userinfo``: PSC claims ``SubjectNameID``, ``SubjectRefPro``,
  ``SubjectOrganization``, ``SubjectRole``;
- ``/protocol/openid-connect/certs``: the JWKS; ``/protocol/openid-connect/logout``.

Plain HTTP on loopback: the SUT reaches it without trusting another CA, and nothing
leaves the machine. Every authorization and token request is recorded. A control API
lives under ``control_url`` (``/_homolog/<random secret>``) so checks in other
processes can read the records and order misbehaviour; the secret keeps the SUT, which
knows only the issuer, from steering its own test.

Control API (JSON; ``PscControl`` is its client):

- ``GET {control_url}/info``: issuer, professionals, default login, modes;
- ``GET {control_url}/requests``: authorization requests, oldest first (client_id,
  redirect_uri, response_type, scope, state, nonce, acr_values, code_challenge,
  code_challenge_method, prompt, ticket, mode, outcome, all raw params);
- ``GET {control_url}/tokens``: token requests (client_auth, pkce outcome, mode applied,
  ticket, outcome);
- ``POST {control_url}/misbehave`` ``{"mode": ..., "ticket": null|...}``;
- ``POST {control_url}/ticket`` ``{"ticket": ..., "mode": ..., "login_as": idNatPS}``;
- ``POST {control_url}/reset``.

Misbehaviour applies to the next token issued (``wrong-aud``, ``expired``,
``bad-signature``, ``wrong-nonce``) or to the next redirect back to the relying party
(``wrong-state``: another ``state`` than the one received), either globally or for one
browser: a check sets the cookie ``homolog_psc_ticket=<ticket>`` on the simulator's
origin and registers the ticket with its mode and professional, so parallel checks do
not steal each other's misbehaviour.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal, Protocol
from urllib.parse import parse_qs, unquote_plus, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from homolog.counterparts import LOOPBACK, TargetAdditions
from homolog.counterparts.listeners import serve_in_thread

from .control import TICKET_COOKIE

__all__ = [
    "DEFAULT_PROFESSIONALS",
    "MODES",
    "TICKET_COOKIE",
    "Professional",
    "PscSimulator",
]

MODES = ("wrong-aud", "expired", "bad-signature", "wrong-nonce", "wrong-state")
#: Modes applied when the browser comes back (the others when the token is issued).
_AUTHORIZE_MODES = ("wrong-state",)
REALM_PATH = "/auth/realms/esante-wallet"
_MAX_BODY = 64 * 1024
_CODE_TTL = 60.0
_MAX_RECORDS = 1000  # per list: records are kept for checks, not forever


class Account(Protocol):
    """Someone the provider authenticates: a professional here, a patient in the patient provider."""

    @property
    def key(self) -> str:
        """The identifier accounts are known by (``login_as``, records)."""
        ...

    def userinfo(self, sub: str) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Professional:
    """A synthetic health professional as PSC describes one (idNatPS = 8 + RPPS)."""

    idnatps: str
    family_name: str
    given_name: str
    profession_code: str = "10"  # médecin (TRE_G15)
    category_code: str = "C"  # civil (TRE_R09)
    civility: str = "DR"
    organization: str = "Centre hospitalier de démonstration"
    structure_id: str = "1000000000001"
    role: str = "10"

    @property
    def key(self) -> str:
        """Professionals are known by their idNatPS."""
        return self.idnatps

    def userinfo(self, sub: str) -> dict[str, Any]:
        """The userinfo document PSC would return for this professional."""
        return {
            "sub": sub,
            "SubjectNameID": self.idnatps,
            "preferred_username": self.idnatps,
            "given_name": self.given_name,
            "family_name": self.family_name,
            "SubjectRefPro": {
                "codeCivilite": self.civility,
                "exercices": [
                    {
                        "codeProfession": self.profession_code,
                        "codeCategorieProfessionnelle": self.category_code,
                        "nomDExercice": self.family_name,
                        "prenomDExercice": self.given_name,
                        "activities": [
                            {
                                "raisonSocialeSite": self.organization,
                                "identifiantStructure": self.structure_id,
                            }
                        ],
                    }
                ],
            },
            "SubjectOrganization": self.organization,
            "SubjectRole": [self.role],
        }


DEFAULT_PROFESSIONALS = (
    Professional("810000000001", "MARTIN", "ALICE"),
    Professional("810000000002", "BERNARD", "BRUNO", profession_code="60"),
)


@dataclass
class _Code:
    client_id: str
    redirect_uri: str
    nonce: str | None
    challenge: str | None
    method: str | None
    scope: str
    acr: str | None
    professional: Account
    ticket: str | None
    issued: float


@dataclass
class _Ticket:
    mode: str | None = None
    login_as: str | None = None


@dataclass
class _State:
    requests: list[dict[str, Any]] = field(default_factory=list)
    tokens: list[dict[str, Any]] = field(default_factory=list)
    userinfo_calls: list[dict[str, Any]] = field(default_factory=list)
    codes: dict[str, _Code] = field(default_factory=dict)
    access: dict[str, tuple[Account, float]] = field(default_factory=dict)
    tickets: dict[str, _Ticket] = field(default_factory=dict)
    next_mode: str | None = None


def _b64url_sha256(text: str) -> str:
    digest = hashlib.sha256(text.encode("ascii", "replace")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class PscSimulator:
    """An OpenID Connect provider shaped like Pro Santé Connect, for tests and demos.

    Keyword arguments: ``professionals`` (who can log in), ``login_as`` (idNatPS
    approved by default; the first professional otherwise), ``client_id`` /
    ``client_secret`` / ``redirect_uris`` (None: accept any client, record what it
    sends), ``alg`` (``RS256`` or ``ES256``), ``token_lifetime`` seconds, ``host``
    (127.0.0.1 only) and ``port`` (0: a free one). It implements
    ``homolog.counterparts.Counterpart`` under the name ``psc``.
    """

    #: Path of the realm under the origin, and the misbehaviour modes this provider takes.
    realm_path = REALM_PATH
    modes: tuple[str, ...] = MODES

    def __init__(
        self,
        professionals: Sequence[Account] = DEFAULT_PROFESSIONALS,
        *,
        login_as: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        redirect_uris: list[str] | None = None,
        alg: Literal["RS256", "ES256"] = "RS256",
        token_lifetime: int = 300,
        host: str = LOOPBACK,
        port: int = 0,
    ) -> None:
        if host != LOOPBACK:
            raise ValueError(f"the simulator listens on {LOOPBACK} only, not {host!r}")
        if not professionals:
            raise ValueError("at least one professional is needed")
        self.professionals = {p.key: p for p in professionals}
        self.login_as = login_as or next(iter(self.professionals))
        if self.login_as not in self.professionals:
            raise ValueError(f"login_as {self.login_as!r} is not among the professionals")
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_uris = redirect_uris
        self.alg = alg
        self.token_lifetime = token_lifetime
        self._port = port
        self._lock = threading.Lock()
        self._state = _State()
        self._secret = secrets.token_urlsafe(16)
        self._kid = secrets.token_hex(8)
        if alg == "RS256":
            self._key: Any = rsa.generate_private_key(65537, 2048)
            self._rogue_key: Any = rsa.generate_private_key(65537, 2048)
        else:
            self._key = ec.generate_private_key(ec.SECP256R1())
            self._rogue_key = ec.generate_private_key(ec.SECP256R1())
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle -------------------------------------------------------------
    def start(self) -> PscSimulator:
        """Bind 127.0.0.1 and serve in a daemon thread."""
        handler = type("Handler", (_Handler,), {"sim": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", self._port), handler)
        self._server.daemon_threads = True
        # (a shutdown is seen within 50 ms: the default half-second poll made every stop wait ~0.3 s)
        self._thread = serve_in_thread(self._server, "psc-simulator")
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> PscSimulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- addresses -------------------------------------------------------------
    @property
    def origin(self) -> str:
        """``http://127.0.0.1:PORT``."""
        if self._server is None:
            raise RuntimeError("the simulator is not started")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def issuer(self) -> str:
        """The issuer the relying party is configured with."""
        return self.origin + self.realm_path

    @property
    def url(self) -> str:
        """What the SUT is configured to call: the issuer (``Counterpart.url``)."""
        return self.issuer

    def target_additions(self) -> TargetAdditions:
        """``base_urls.psc`` (the checks drive the login through it) and ``settings.security.psc``."""
        return TargetAdditions(
            base_urls={"psc": self.issuer},
            settings={"security": {"psc": {"issuer": self.issuer, "control_url": self.control_url}}},
        )

    @property
    def discovery_url(self) -> str:
        """PSC's discovery document URL."""
        return self.issuer + "/.well-known/wallet-openid-configuration"

    @property
    def control_url(self) -> str:
        """Base URL of the control API (contains the simulator's secret)."""
        return f"{self.origin}/_homolog/{self._secret}"

    # ---- control ---------------------------------------------------------------
    @property
    def requests(self) -> list[dict[str, Any]]:
        """Authorization requests received, oldest first (copies)."""
        with self._lock:
            return [dict(r) for r in self._state.requests]

    @property
    def token_requests(self) -> list[dict[str, Any]]:
        """Token requests received, with the PKCE outcome and misbehaviour applied."""
        with self._lock:
            return [dict(r) for r in self._state.tokens]

    def misbehave(self, mode: str | None, *, ticket: str | None = None) -> None:
        """Misbehave on the next token issued (for ``ticket`` only, when given)."""
        if mode is not None and mode not in self.modes:
            raise ValueError(f"unknown mode {mode!r}; use one of {self.modes}")
        with self._lock:
            if ticket is None:
                self._state.next_mode = mode
            else:
                self._state.tickets.setdefault(ticket, _Ticket()).mode = mode

    def register_ticket(self, ticket: str, *, mode: str | None = None, login_as: str | None = None) -> None:
        """Bind a browser ticket to a misbehaviour and/or a professional."""
        if mode is not None and mode not in self.modes:
            raise ValueError(f"unknown mode {mode!r}; use one of {self.modes}")
        if login_as is not None and login_as not in self.professionals:
            raise ValueError(f"unknown professional {login_as!r}")
        with self._lock:
            self._state.tickets[ticket] = _Ticket(mode=mode, login_as=login_as)

    def new_ticket(self, *, mode: str | None = None, login_as: str | None = None) -> str:
        """Register a browser ticket (cookie ``homolog_psc_ticket``) and return it."""
        ticket = secrets.token_urlsafe(12)
        self.register_ticket(ticket, mode=mode, login_as=login_as)
        return ticket

    def reset(self) -> None:
        """Forget records, codes, tokens, tickets and pending misbehaviour."""
        with self._lock:
            self._state = _State()

    # ---- protocol ----------------------------------------------------------------
    def discovery(self) -> dict[str, Any]:
        """The discovery document."""
        base = self.issuer + "/protocol/openid-connect"
        return {
            "issuer": self.issuer,
            "authorization_endpoint": base + "/auth",
            "token_endpoint": base + "/token",
            "userinfo_endpoint": base + "/userinfo",
            "jwks_uri": base + "/certs",
            "end_session_endpoint": base + "/logout",
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": [self.alg],
            "userinfo_signing_alg_values_supported": ["none"],
            "code_challenge_methods_supported": ["S256", "plain"],
            "scopes_supported": ["openid", "scope_all"],
            "acr_values_supported": ["eidas1"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "claims_supported": [
                "sub",
                "iss",
                "aud",
                "exp",
                "iat",
                "nonce",
                "acr",
                "SubjectNameID",
                "SubjectRefPro",
                "SubjectOrganization",
                "SubjectRole",
            ],
        }

    def jwks(self) -> dict[str, Any]:
        """Public keys as a JWK set."""
        if self.alg == "RS256":
            jwk = jwt.algorithms.RSAAlgorithm.to_jwk(self._key.public_key(), as_dict=True)
        else:
            jwk = jwt.algorithms.ECAlgorithm.to_jwk(self._key.public_key(), as_dict=True)
        jwk.update({"kid": self._kid, "use": "sig", "alg": self.alg})
        return {"keys": [jwk]}

    def _sub(self, pro: Account) -> str:
        # A stable opaque subject per account, as a real provider would give.
        return hashlib.sha256(f"psc-sim:{pro.key}".encode()).hexdigest()[:32]

    def _account_claims(self, code: _Code, mode: str | None) -> dict[str, Any]:
        """What the ID token says of the authentication and the account (PSC: eidas1, idNatPS)."""
        pro = code.professional
        return {"acr": "eidas1", "SubjectNameID": pro.key, "preferred_username": pro.key}

    def _authorize(self, query: dict[str, str], ticket: str | None) -> tuple[int, dict[str, str], bytes]:
        record = {
            "time": time.time(),
            "client_id": query.get("client_id"),
            "redirect_uri": query.get("redirect_uri"),
            "response_type": query.get("response_type"),
            "scope": query.get("scope"),
            "state": query.get("state"),
            "nonce": query.get("nonce"),
            "acr_values": query.get("acr_values"),
            "code_challenge": query.get("code_challenge"),
            "code_challenge_method": query.get("code_challenge_method"),
            "prompt": query.get("prompt"),
            "ticket": ticket,
            "params": dict(query),
            "outcome": "",
            "mode": None,
        }
        redirect_uri = query.get("redirect_uri") or ""
        # RFC 6749 §4.1.2.1: with an unknown client or redirect_uri, never redirect.
        refusal = None
        if self.client_id is not None and query.get("client_id") != self.client_id:
            refusal = "unknown client_id"
        elif not redirect_uri.startswith(("http://", "https://")) or (
            self.redirect_uris is not None and redirect_uri not in self.redirect_uris
        ):
            refusal = "redirect_uri not registered"
        if refusal is not None:
            record["outcome"] = f"error: {refusal}"
            self._record_request(record)
            return 400, {"Content-Type": "text/plain; charset=utf-8"}, refusal.encode()
        problem: tuple[str, str] | None = None
        if query.get("response_type") != "code":
            problem = ("unsupported_response_type", "only the code flow is served")
        if problem is None and "openid" not in (query.get("scope") or "").split():
            problem = ("invalid_scope", "scope must contain openid")
        params: dict[str, str]
        if problem is not None:
            params = {"error": problem[0], "error_description": problem[1]}
            record["outcome"] = f"error: {problem[0]}"
        else:
            with self._lock:
                chosen = self._state.tickets.get(ticket or "", _Ticket()).login_as
            pro = self.professionals[chosen or self.login_as]
            code = secrets.token_urlsafe(24)
            with self._lock:
                # Unredeemed codes expire; dropping them keeps memory bounded.
                now = time.time()
                for old in [c for c, v in self._state.codes.items() if now - v.issued > _CODE_TTL]:
                    del self._state.codes[old]
                self._state.codes[code] = _Code(
                    client_id=query.get("client_id") or "",
                    redirect_uri=redirect_uri,
                    nonce=query.get("nonce"),
                    challenge=query.get("code_challenge"),
                    method=query.get("code_challenge_method"),
                    scope=query.get("scope") or "",
                    acr=query.get("acr_values"),
                    professional=pro,
                    ticket=ticket,
                    issued=time.time(),
                )
            params = {"code": code}
            record["outcome"] = f"code issued for {pro.key}"
            record["professional"] = pro.key
        if query.get("state") is not None:
            params["state"] = query["state"]
        if problem is None and self._take_mode(ticket, _AUTHORIZE_MODES) == "wrong-state":
            params["state"] = secrets.token_urlsafe(24)
            record["mode"] = "wrong-state"
        params["iss"] = self.issuer
        self._record_request(record)
        sep = "&" if urlsplit(redirect_uri).query else "?"
        return 302, {"Location": redirect_uri + sep + urlencode(params)}, b""

    def _take_mode(self, ticket: str | None, kinds: tuple[str, ...]) -> str | None:
        """Consume the pending misbehaviour of ``ticket`` (else the global one) if of ``kinds``."""
        with self._lock:
            pending = self._state.tickets.get(ticket or "")
            if pending is not None and pending.mode is not None:
                if pending.mode in kinds:
                    mode, pending.mode = pending.mode, None
                    return mode
                return None  # this browser's order is for the other step
            if self._state.next_mode in kinds:
                mode, self._state.next_mode = self._state.next_mode, None
                return mode
            return None

    def _record_request(self, record: dict[str, Any]) -> None:
        with self._lock:
            record["seq"] = len(self._state.requests)
            self._state.requests.append(record)
            del self._state.requests[:-_MAX_RECORDS]

    def _token(self, form: dict[str, str], basic: tuple[str, str] | None) -> tuple[int, dict[str, Any]]:
        now = time.time()
        client_id, secret = basic if basic else (form.get("client_id", ""), form.get("client_secret"))
        record: dict[str, Any] = {
            "time": now,
            "client_id": client_id,
            "client_auth": "basic" if basic else ("post" if "client_secret" in form else "none"),
            "code_verifier_sent": "code_verifier" in form,
            "pkce": None,
            "mode": None,
            "outcome": "",
        }

        def refuse(status: int, error: str, why: str) -> tuple[int, dict[str, Any]]:
            record["outcome"] = f"error: {error} ({why})"
            with self._lock:
                self._state.tokens.append(record)
                del self._state.tokens[:-_MAX_RECORDS]
            return status, {"error": error, "error_description": why}

        if form.get("grant_type") != "authorization_code":
            return refuse(400, "unsupported_grant_type", "only authorization_code")
        with self._lock:
            code = self._state.codes.pop(form.get("code", ""), None)
        if code is None or now - code.issued > _CODE_TTL:
            return refuse(400, "invalid_grant", "unknown, used or expired code")
        record["ticket"] = code.ticket
        if client_id != code.client_id:
            return refuse(400, "invalid_grant", "code issued to another client")
        if self.client_secret is not None and secret != self.client_secret:
            return refuse(401, "invalid_client", "bad client credentials")
        if form.get("redirect_uri") != code.redirect_uri:
            return refuse(400, "invalid_grant", "redirect_uri differs from the authorization request")
        if code.challenge is not None:
            verifier = form.get("code_verifier")
            if verifier is None:
                record["pkce"] = "missing verifier"
                return refuse(400, "invalid_grant", "code_verifier missing")
            ok = _b64url_sha256(verifier) == code.challenge if code.method == "S256" else verifier == code.challenge
            record["pkce"] = f"{code.method or 'plain'} {'verified' if ok else 'mismatch'}"
            if not ok:
                return refuse(400, "invalid_grant", "PKCE verification failed")
        else:
            record["pkce"] = "not used"
        mode = self._take_mode(code.ticket, tuple(m for m in self.modes if m not in _AUTHORIZE_MODES))
        record["mode"] = mode
        pro = code.professional
        iat = int(now)
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": self._sub(pro),
            "aud": code.client_id,
            "azp": code.client_id,
            "iat": iat,
            "auth_time": iat,
            "exp": iat + self.token_lifetime,
            **self._account_claims(code, mode),
        }
        if code.nonce is not None:
            claims["nonce"] = code.nonce
        key = self._key
        if mode == "wrong-aud":
            claims["aud"] = claims["azp"] = "homolog-another-client"
        elif mode == "expired":
            claims["iat"] = claims["auth_time"] = iat - 2 * self.token_lifetime - 600
            claims["exp"] = iat - self.token_lifetime - 300
        elif mode == "wrong-nonce":
            claims["nonce"] = secrets.token_urlsafe(16)
        elif mode == "bad-signature":
            key = self._rogue_key  # same kid, another key: the signature cannot verify
        record["acr"] = claims.get("acr")
        id_token = jwt.encode(claims, key, algorithm=self.alg, headers={"kid": self._kid})
        access = secrets.token_urlsafe(32)
        with self._lock:
            self._state.access = {k: v for k, v in self._state.access.items() if v[1] >= now}
            self._state.access[access] = (pro, now + self.token_lifetime)
        record["outcome"] = f"tokens issued for {pro.key}"
        with self._lock:
            self._state.tokens.append(record)
            del self._state.tokens[:-_MAX_RECORDS]
        return 200, {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": self.token_lifetime,
            "id_token": id_token,
            "scope": code.scope,
        }

    def _userinfo(self, bearer: str | None) -> tuple[int, dict[str, Any]]:
        with self._lock:
            entry = self._state.access.get(bearer or "")
            self._state.userinfo_calls.append({"time": time.time(), "known_token": entry is not None})
            del self._state.userinfo_calls[:-_MAX_RECORDS]
        if entry is None or entry[1] < time.time():
            return 401, {"error": "invalid_token"}
        return 200, entry[0].userinfo(self._sub(entry[0]))

    def _control(self, method: str, action: str, body: dict[str, Any]) -> tuple[int, Any]:
        if method == "GET" and action == "requests":
            return 200, self.requests
        if method == "GET" and action == "tokens":
            return 200, self.token_requests
        if method == "GET" and action == "info":
            return 200, {
                "issuer": self.issuer,
                "professionals": [asdict(p) for p in self.professionals.values()],  # type: ignore[call-overload]
                "login_as": self.login_as,
                "modes": self.modes,
            }
        try:
            if method == "POST" and action == "misbehave":
                self.misbehave(body.get("mode"), ticket=body.get("ticket"))
                return 200, {"ok": True}
            if method == "POST" and action == "ticket":
                self.register_ticket(str(body["ticket"]), mode=body.get("mode"), login_as=body.get("login_as"))
                return 200, {"ok": True}
            if method == "POST" and action == "reset":
                self.reset()
                return 200, {"ok": True}
        except (KeyError, ValueError) as exc:
            return 400, {"error": str(exc)}
        return 404, {"error": f"unknown control action {method} {action}"}


class _Handler(BaseHTTPRequestHandler):
    sim: PscSimulator
    server_version = "psc-simulator"
    sys_version = ""
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the records are the log; stderr noise would hide test output

    def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, obj: Any) -> None:
        self._send(status, {"Content-Type": "application/json"}, json.dumps(obj).encode())

    def _body(self) -> bytes | None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            return None
        if length < 0 or length > _MAX_BODY:
            return None
        return self.rfile.read(length)

    def _ticket(self) -> str | None:
        raw = self.headers.get("Cookie")
        if not raw:
            return None
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(raw)
        except Exception:  # a malformed Cookie header simply carries no ticket
            return None
        morsel = jar.get(TICKET_COOKIE)
        return morsel.value if morsel else None

    def _route(self, method: str) -> None:
        sim = self.sim
        url = urlsplit(self.path)
        path = url.path
        query = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        control = f"/_homolog/{sim._secret}/"
        if path.startswith(control):
            body: dict[str, Any] = {}
            if method == "POST":
                raw = self._body()
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = {}
                if not isinstance(body, dict):
                    body = {}
            status, obj = sim._control(method, path[len(control) :], body)
            self._json(status, obj)
            return
        if not path.startswith(sim.realm_path):
            self._json(404, {"error": "not found"})
            return
        sub = path[len(sim.realm_path) :]
        if sub in ("/.well-known/wallet-openid-configuration", "/.well-known/openid-configuration"):
            self._json(200, sim.discovery())
        elif sub == "/protocol/openid-connect/certs":
            self._json(200, sim.jwks())
        elif sub == "/protocol/openid-connect/auth":
            if method == "POST":
                raw = self._body() or b""
                query = {k: v[0] for k, v in parse_qs(raw.decode("utf-8", "replace")).items()}
            status, headers, payload = sim._authorize(query, self._ticket())
            self._send(status, headers, payload)
        elif sub == "/protocol/openid-connect/token" and method == "POST":
            raw = self._body()
            if raw is None:
                self._json(413, {"error": "invalid_request"})
                return
            form = {k: v[0] for k, v in parse_qs(raw.decode("utf-8", "replace")).items()}
            status, obj = sim._token(form, _basic(self.headers.get("Authorization")))
            self._json(status, obj)
        elif sub == "/protocol/openid-connect/userinfo":
            auth = self.headers.get("Authorization") or ""
            bearer = auth[7:].strip() if auth.lower().startswith("bearer ") else None
            status, obj = sim._userinfo(bearer)
            self._json(status, obj)
        elif sub == "/protocol/openid-connect/logout":
            target = query.get("post_logout_redirect_uri")
            if target and target.startswith(("http://", "https://")):
                self._send(302, {"Location": target}, b"")
            else:
                self._send(200, {"Content-Type": "text/plain"}, b"logged out")
        else:
            self._json(404, {"error": "not found"})

    def do_GET(self) -> None:
        self._route("GET")

    def do_POST(self) -> None:
        self._route("POST")


def _basic(header: str | None) -> tuple[str, str] | None:
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        raw = base64.b64decode(header[6:].strip()).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    user, _, pw = raw.partition(":")
    # RFC 6749 §2.3.1: client id and secret are form-encoded before base64.
    return unquote_plus(user), unquote_plus(pw)
