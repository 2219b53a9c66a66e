"""A FastAPI application on fastapi-users (libraries nobody on the team wrote) served over
TLS by uvicorn, for tests.

`python tests/suites/security/fastapiapp.py --port P --cert C --key K --folder F --variant V`
runs it; `fastapi_app(...)` starts that process on a free 127.0.0.1 port and stops it.

Its accounts are fastapi-users' (SQLAlchemy on SQLite, argon2 hashes), logged in as
fastapi-users documents it: `POST /auth/jwt/login` takes the OAuth 2 password form
(`username`, `password`, form-encoded, not JSON) and answers `{"access_token": ...,
"token_type": "bearer"}`, a token the front end sends as a bearer token;
`POST /auth/cookie/login` takes the same form and answers 204 with the token in the
`fastapiusersauth` cookie (HttpOnly, Secure, SameSite, as the library sets it). `GET
/users/me` answers 401 without a session; `PATCH /users/me` with `{"password": ...}` changes
the password (no current password asked, as the library does), answering 400
`UPDATE_USER_INVALID_PASSWORD` when the user manager's `validate_password` refuses it.
`POST /api/notes` writes a note. The front end is a shell whose script draws the login
form: `/app/login` and `/app/` (bearer token), `/cookie/app/login` and `/cookie/app/`
(cookie).

Variants:

- `checklist`: security headers set by a middleware of the application's own (HSTS, CSP,
  nosniff, `X-Frame-Options: DENY`, `Referrer-Policy: same-origin`), tokens living
  `SESSION_SECONDS`, passwords of 15 characters at least (`validate_password`), an account
  locked after `LOCKOUT_FAILURES` failed logins (`authenticate` overridden), notes for
  users logged in only, CORS for the front end's origin only.
- `defaults`: the library's documented example: no security header, tokens living an hour,
  any password (fastapi-users validates none by default), no lockout, `/api/notes`
  forgot its `current_active_user` dependency, and CORS as copied from answer to answer
  (`allow_origins=["*"]` with `allow_credentials=True`).
"""

from __future__ import annotations

import argparse
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

from fastapi import Request  # at module level: the views' annotations are resolved in its globals

VARIANTS = ("checklist", "defaults")
DOMAIN = "hopital.example.org"
USER = f"dr.robert@{DOMAIN}"
PASSWORD_CHANGE_USER = f"dr.martin@{DOMAIN}"  # sacrificial: its password is changed
LOCKOUT_USER = f"dr.petit@{DOMAIN}"  # sacrificial: wrong passwords are tried on it
SESSION_SECONDS = 4
LOCKOUT_FAILURES = 5
SECRET = "fastapi-users-test-secret-0123456789abcdef"  # signs the test app's tokens only
CSP = "default-src 'self'; object-src 'none'; base-uri 'none'"
HEADERS = {
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}

SHELL = """<!doctype html><html lang="fr"><head><title>Dossier patient</title>
<script src="/app/app.js" defer></script></head>
<body><main id="root" data-login="{login}" data-app="{app}" data-login-page="{login_page}"
data-bearer="{bearer}"></main></body></html>"""
# The front end: the login form drawn by the script, the credentials posted form-encoded
# (the OAuth 2 password form fastapi-users reads), the token kept in sessionStorage and sent
# as a bearer token, or left in the cookie the login set.
SCRIPT = """
const root = document.getElementById("root");
const bearer = root.dataset.bearer === "yes";
const auth = () => bearer ? {"Authorization": "Bearer " + sessionStorage.getItem("token")} : {};
function loginPage() {
  root.innerHTML = '<h1>Connexion</h1><form id="login-form">'
    + '<label for="username">Adresse électronique</label>'
    + '<input id="username" name="username" autocomplete="username">'
    + '<label for="password">Mot de passe</label>'
    + '<input id="password" name="password" type="password" autocomplete="current-password">'
    + '<button id="login-submit" type="submit">Se connecter</button><p id="login-error" role="alert"></p></form>';
  document.getElementById("login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const answer = await fetch(root.dataset.login, {
      method: "POST", credentials: "same-origin",
      body: new URLSearchParams({username: document.getElementById("username").value,
                                 password: document.getElementById("password").value}),
    });
    if (answer.ok && bearer) { sessionStorage.setItem("token", (await answer.json()).access_token); }
    if (answer.ok) { window.location.assign(root.dataset.app); }
    else { document.getElementById("login-error").textContent = "Identifiant ou mot de passe incorrect"; }
  });
}
async function homePage() {
  const answer = await fetch("/users/me", {credentials: "same-origin", headers: auth()});
  if (answer.status === 401) { window.location.assign(root.dataset.loginPage); return; }
  const me = await answer.json();
  root.innerHTML = '<h1>Accueil</h1><p>Bonjour <span id="current-user"></span></p>';
  document.getElementById("current-user").textContent = me.email;
}
(window.location.pathname === root.dataset.loginPage ? loginPage : homePage)();
"""


def build_app(variant: str, folder: Path, password: str) -> Any:
    """The application of `variant`, its database in `folder` (see the module's docstring)."""
    from fastapi import Depends, FastAPI
    from fastapi.middleware.cors import CORSMiddleware
    from fastapi.responses import HTMLResponse, JSONResponse, Response
    from fastapi.security import OAuth2PasswordRequestForm
    from fastapi_users import BaseUserManager, FastAPIUsers, InvalidPasswordException, UUIDIDMixin, schemas
    from fastapi_users.authentication import AuthenticationBackend, BearerTransport, CookieTransport, JWTStrategy
    from fastapi_users.db import SQLAlchemyBaseUserTableUUID, SQLAlchemyUserDatabase
    from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
    from sqlalchemy.orm import DeclarativeBase

    careful = variant == "checklist"
    lifetime = SESSION_SECONDS if careful else 3600
    engine = create_async_engine(f"sqlite+aiosqlite:///{folder / 'users.db'}")
    sessions = async_sessionmaker(engine, expire_on_commit=False)

    class Base(DeclarativeBase):
        pass

    class User(SQLAlchemyBaseUserTableUUID, Base):
        pass

    class UserRead(schemas.BaseUser[uuid.UUID]):
        pass

    class UserCreate(schemas.BaseUserCreate):
        pass

    class UserUpdate(schemas.BaseUserUpdate):
        pass

    failures: dict[str, int] = {}

    class UserManager(UUIDIDMixin, BaseUserManager[User, uuid.UUID]):
        reset_password_token_secret = SECRET
        verification_token_secret = SECRET

        async def validate_password(self, password: str, user: Any) -> None:
            if careful and len(password) < 15:
                raise InvalidPasswordException(reason="Password should be at least 15 characters")

        async def authenticate(self, credentials: OAuth2PasswordRequestForm) -> User | None:
            email = credentials.username.lower()
            if careful and failures.get(email, 0) >= LOCKOUT_FAILURES:
                self.password_helper.hash(credentials.password)  # as long as a refusal
                return None
            user = await super().authenticate(credentials)
            failures[email] = 0 if user is not None else failures.get(email, 0) + 1
            return user

    async def user_db() -> AsyncIterator[Any]:
        async with sessions() as s:
            yield SQLAlchemyUserDatabase(s, User)

    async def user_manager(db: Any = Depends(user_db)) -> AsyncIterator[UserManager]:  # noqa: B008 (FastAPI)
        yield UserManager(db)

    def strategy() -> JWTStrategy[User, uuid.UUID]:
        return JWTStrategy(secret=SECRET, lifetime_seconds=lifetime)

    bearer = AuthenticationBackend("jwt", BearerTransport(tokenUrl="auth/jwt/login"), strategy)
    cookie = AuthenticationBackend("cookie", CookieTransport(cookie_max_age=lifetime), strategy)
    users = FastAPIUsers[User, uuid.UUID](user_manager, [bearer, cookie])
    current_user = users.current_user(active=True)

    @asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        async with engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        async with sessions() as s:
            manager = UserManager(SQLAlchemyUserDatabase(s, User))
            for email in (USER, PASSWORD_CHANGE_USER, LOCKOUT_USER):
                await manager.create(UserCreate(email=email, password=password))
        yield
        await engine.dispose()

    app = FastAPI(lifespan=lifespan)
    app.include_router(users.get_auth_router(bearer), prefix="/auth/jwt")
    app.include_router(users.get_auth_router(cookie), prefix="/auth/cookie")
    app.include_router(users.get_users_router(UserRead, UserUpdate), prefix="/users")

    # the front end's origin only; or the setting copied from answer to answer, any origin
    # with credentials (Starlette then echoes the origin of a request carrying cookies and
    # of every preflight)
    origins = ["https://dpi.hopital.example.org"] if careful else ["*"]
    app.add_middleware(
        CORSMiddleware, allow_origins=origins, allow_credentials=True, allow_methods=["*"], allow_headers=["*"]
    )
    if careful:

        @app.middleware("http")
        async def security_headers(request: Request, call_next: Any) -> Any:
            response = await call_next(request)
            response.headers.update(HEADERS)
            return response

    def shell(flavour: str, page: str) -> HTMLResponse:
        at = "/cookie" if flavour == "cookie" else ""
        return HTMLResponse(
            SHELL.format(
                login=f"/auth/{flavour}/login",
                app=f"{at}/app/",
                login_page=f"{at}/app/login",
                bearer="no" if flavour == "cookie" else "yes",
            )
        )

    app.get("/app/login", response_class=HTMLResponse)(lambda: shell("jwt", "login"))
    app.get("/app/", response_class=HTMLResponse)(lambda: shell("jwt", "home"))
    app.get("/cookie/app/login", response_class=HTMLResponse)(lambda: shell("cookie", "login"))
    app.get("/cookie/app/", response_class=HTMLResponse)(lambda: shell("cookie", "home"))
    app.get("/app/app.js")(lambda: Response(SCRIPT, media_type="text/javascript"))

    notes: list[str] = []

    async def write_note(request: Request) -> JSONResponse:
        notes.append((await request.body()).decode(errors="replace"))
        return JSONResponse({"id": len(notes)}, status_code=201)

    if careful:
        app.post("/api/notes", dependencies=[Depends(current_user)])(write_note)
    else:
        app.post("/api/notes")(write_note)
    return app


def serve(port: int, cert: str, key: str, folder: Path, variant: str, password: str) -> None:
    import uvicorn

    uvicorn.run(
        build_app(variant, folder, password),
        host="127.0.0.1",
        port=port,
        ssl_certfile=cert,
        ssl_keyfile=key,
        log_level="warning",
    )


@contextmanager
def fastapi_app(folder: Path, cert: Path, key: Path, ca: Path, variant: str, password: str) -> Iterator[int]:
    """Run the application in its own process until the block ends; yields its port."""
    from .tlsserver import app_process, free_port

    port = free_port()
    args = ["--port", str(port), "--cert", str(cert), "--key", str(key), "--folder", str(folder), "--variant", variant]
    env = {"HOMOLOG_TEST_FASTAPI_PASSWORD": password}
    with app_process([str(Path(__file__).resolve()), *args], folder, f"https://127.0.0.1:{port}/app/login", ca, env):
        yield port


def fastapi_target(folder: Path, port: int, ca: Path, *, cookie: bool = False) -> Path:
    """Target file for the application (password in env HOMOLOG_TEST_PASSWORD): the bearer
    flavour, or with `cookie` the one whose login sets a cookie."""
    flavour, at = ("cookie", "/cookie") if cookie else ("jwt", "")
    api = {"login": f"/auth/{flavour}/login", "body": "form", "session": "/users/me", "password": "PATCH /users/me"}
    if not cookie:
        api["token"] = "access_token"
    from .helpers import app_target, spa_pages

    accounts = {"web": USER, "lockout": LOCKOUT_USER, "password_change": PASSWORD_CHANGE_USER}
    security = {
        "password_fields": {"current": "", "new": "password"},
        "session_timeout_seconds": SESSION_SECONDS,
        "lockout_max_failures": LOCKOUT_FAILURES,
        "inventory": {"paths": ["POST /api/notes"]},
        "public_paths": [f"{at}/app/", "/app/app.js"],
    }
    pages = spa_pages(f"{at}/app/login", f"{at}/app/")
    base = f"https://127.0.0.1:{port}"
    return app_target(
        folder / "fastapi-target.yaml", "FastAPI Users application", base, ca, accounts, security, pages, api=api
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--folder", type=Path, required=True)
    parser.add_argument("--variant", choices=VARIANTS, required=True)
    args = parser.parse_args()
    serve(args.port, args.cert, args.key, args.folder, args.variant, os.environ["HOMOLOG_TEST_FASTAPI_PASSWORD"])


if __name__ == "__main__":
    main()
