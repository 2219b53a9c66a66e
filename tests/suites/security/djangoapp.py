"""A Django application (a framework nobody on the team wrote) served over TLS, for tests.

`python -m tests.suites.security.djangoapp --port P --cert C --key K --folder F --variant V`
runs it; `django_app(...)` starts that process on a free 127.0.0.1 port and stops it.
Variants:

- `checklist`: Django's deployment checklist applied (`manage.py check --deploy` finds
  nothing): HSTS, secure session and CSRF cookies, `X-Frame-Options: DENY`, nosniff,
  `Referrer-Policy: same-origin`, a CSP set by a middleware of the application's own;
  passwords of 15 characters at least, an idle session ended after 4 s, an account locked
  after 5 failed logins (a backend of the application's own, as django-axes does).
  Its `csrftoken` cookie is readable by scripts, as Django ships it: the session cookie
  is `sessionid`, which is HttpOnly.
- `proxied`: the same application behind a reverse proxy that adds its own security
  headers, as `add_header` does, beside the application's: two X-Frame-Options, two
  Strict-Transport-Security, two nosniff, a second CSP (`frame-ancestors 'self'`) and a
  second Referrer-Policy, each its own header field.
- `defaults`: a project as `startproject` leaves it (DEBUG on: its error pages are
  Django's debug pages), with nosniff and Referrer-Policy turned off
  (`SECURE_CONTENT_TYPE_NOSNIFF`, `SECURE_REFERRER_POLICY`): no HSTS, cookies without
  Secure, no CSP, passwords of 8 characters, sessions of two weeks, no lockout; and its
  patient export (a form of the patient list, POST, CSRF protected) forgot `login_required`.

With `--psc-issuer` (the PSC simulator's issuer), the login page also offers Pro Santé
Connect through mozilla-django-oidc, configured from PSC's discovery document (PKCE,
`acr_values=eidas1`), the idNatPS mapped to a local account; the careful variants check
the ID token's audience, which that library does not.

Every variant also serves a single-page application, as a React or Angular front end on
Django REST views is built: `/app/login/` and `/app/` are the same HTML shell for anyone,
whose script draws the login form, asks `/api/csrf/` for the CSRF cookie
(`ensure_csrf_cookie`) and posts the credentials as JSON to `/api/login/` with the cookie's
value in `X-CSRFToken`; `/api/me/` answers 401 without a session; `/api/notes/` (POST,
CSRF protected) needs a session, except in `defaults`, which forgot it and whose login view
parses its JSON without a guard (Django's debug page for malformed JSON). The same
application on Django REST framework with simplejwt is served under `/jwt/`: its script
posts the credentials to `/jwt/api/token/`, keeps the access token it answers and sends it
as a bearer token (no session cookie); the token lives `SESSION_SECONDS` in the careful
variants, and so does the refresh token (`/jwt/api/token/refresh/`, a new one with each
refresh; simplejwt's default is a day); `defaults` reads the token's claims without checking its signature or expiry (a
careless API's own authentication class) and its `/jwt/api/notes/` allows anyone. Both
change a password with the variant's validators: `/api/password/` takes `current_password`
and `new_password` and answers 400 with the reasons of a refusal; `/jwt/api/password/`
takes `old_password`, `new_password1` and `new_password2` and answers a refusal 200, its
reasons in the body, as some APIs do.

The login page is Django's `LoginView` (`/accounts/login/`, CSRF protected), the patient
list (`/patients/`) and the home page (`/`, the user's name in `#current-user`) need a
session, the password change is Django's `PasswordChangeView` (a confirmation field, and a
redirect to a page saying it is done).
"""

from __future__ import annotations

import argparse
import datetime
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from werkzeug.serving import WSGIRequestHandler

VARIANTS = ("checklist", "proxied", "defaults")
USER = "dr.robert"
PASSWORD_CHANGE_USER = "dr.martin"  # sacrificial: its password is changed
LOCKOUT_USER = "dr.petit"  # sacrificial: wrong passwords are tried on it
SESSION_SECONDS = 4
PSC_CLIENT = ("homolog-django", "psc-django-secret-0001")  # registered with the PSC simulator
LOCKOUT_FAILURES = 5
CSP = "default-src 'self'; object-src 'none'; base-uri 'none'"
LOGIN_TEMPLATE = """<!doctype html><html lang="fr"><head><title>Connexion</title></head><body>
<main><h1>Connexion</h1>
<form method="post" action="{% url 'login' %}">{% csrf_token %}
<label for="id_username">Identifiant</label>{{ form.username }}
<label for="id_password">Mot de passe</label>{{ form.password }}
<input type="hidden" name="next" value="{{ next }}">
<button id="login-submit" type="submit">Se connecter</button></form>
{% if psc %}<p><a id="psc-login" href="{% url 'oidc_authentication_init' %}">Pro Santé Connect</a></p>{% endif %}
</main></body></html>"""
PASSWORD_CHANGE_TEMPLATE = """<!doctype html><html lang="fr"><head><title>Mot de passe</title></head><body>
<main><h1>Changer de mot de passe</h1>
<form method="post">{% csrf_token %}{{ form.as_p }}<button type="submit">Enregistrer</button></form>
</main></body></html>"""
PASSWORD_DONE_TEMPLATE = """<!doctype html><html lang="fr"><head><title>Mot de passe</title></head><body>
<main><h1>Mot de passe</h1><p id="password-changed">Mot de passe modifié.</p></main></body></html>"""


def _settings(folder: Path, variant: str, psc: dict[str, Any] | None) -> dict[str, Any]:
    careful = variant != "defaults"
    conf: dict[str, Any] = {
        "DEBUG": not careful,  # startproject writes DEBUG = True
        "SECRET_KEY": os.urandom(32).hex(),
        "ALLOWED_HOSTS": ["127.0.0.1"],
        "ROOT_URLCONF": __name__,
        "INSTALLED_APPS": [
            "django.contrib.contenttypes",
            "django.contrib.auth",
            "django.contrib.sessions",
            "django.contrib.messages",
            "django.contrib.admin",
        ],
        "MIDDLEWARE": [
            "django.middleware.security.SecurityMiddleware",
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.common.CommonMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            "django.contrib.messages.middleware.MessageMiddleware",
            "django.middleware.clickjacking.XFrameOptionsMiddleware",
        ],
        "DATABASES": {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(folder / "db.sqlite3")}},
        "TEMPLATES": [
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                "OPTIONS": {
                    "loaders": [
                        (
                            "django.template.loaders.locmem.Loader",
                            {
                                "registration/login.html": LOGIN_TEMPLATE,
                                "registration/password_change_form.html": PASSWORD_CHANGE_TEMPLATE,
                                "registration/password_change_done.html": PASSWORD_DONE_TEMPLATE,
                            },
                        ),
                        "django.template.loaders.app_directories.Loader",  # the admin's
                    ],
                    "context_processors": [
                        "django.template.context_processors.request",
                        "django.contrib.auth.context_processors.auth",
                        "django.contrib.messages.context_processors.messages",
                        f"{__name__}.psc_context",
                    ],
                },
            }
        ],
        "USE_TZ": True,
        "STATIC_URL": "static/",
        "LOGIN_URL": "login",  # named: under a path prefix, the prefix is written in
        "LOGIN_REDIRECT_URL": "home",
        "PASSWORD_HASHERS": ["django.contrib.auth.hashers.MD5PasswordHasher"],  # a fast hash: tests only
        "LOGGING_CONFIG": None,
        # as startproject writes them, but for the checklist's longer minimum
        "AUTH_PASSWORD_VALIDATORS": [
            {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
            {
                "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
                "OPTIONS": {"min_length": 15 if careful else 8},
            },
            {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
            {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
        ],
    }
    conf["AUTHENTICATION_BACKENDS"] = ["django.contrib.auth.backends.ModelBackend"]
    conf["REST_FRAMEWORK"] = {
        "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework_simplejwt.authentication.JWTAuthentication"],
        "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
        "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    }
    conf["SIMPLE_JWT"] = {"SIGNING_KEY": conf["SECRET_KEY"]}
    if careful:  # an access token lives as long as an idle session may (simplejwt: 5 minutes), and
        # so does a refresh token, a new one with each refresh (simplejwt: one day, not rotated)
        conf["SIMPLE_JWT"]["ACCESS_TOKEN_LIFETIME"] = datetime.timedelta(seconds=SESSION_SECONDS)
        conf["SIMPLE_JWT"]["REFRESH_TOKEN_LIFETIME"] = datetime.timedelta(seconds=SESSION_SECONDS)
        conf["SIMPLE_JWT"]["ROTATE_REFRESH_TOKENS"] = True
    if careful:
        conf["MIDDLEWARE"].insert(1, f"{__name__}.content_security_policy")
        conf["AUTHENTICATION_BACKENDS"] = [f"{__name__}.LockingBackend"]
        conf.update(
            # an idle session ends after SESSION_SECONDS (the expiry moves on at each request)
            SESSION_COOKIE_AGE=SESSION_SECONDS,
            SESSION_SAVE_EVERY_REQUEST=True,
            SECURE_HSTS_SECONDS=31536000,
            SECURE_HSTS_INCLUDE_SUBDOMAINS=True,
            SECURE_HSTS_PRELOAD=True,
            SESSION_COOKIE_SECURE=True,
            CSRF_COOKIE_SECURE=True,
            SECURE_PROXY_SSL_HEADER=None,
        )
    else:
        conf.update(SECURE_REFERRER_POLICY=None, SECURE_CONTENT_TYPE_NOSNIFF=False, SESSION_COOKIE_SAMESITE=None)
    if psc is not None:
        # mozilla-django-oidc configured from PSC's discovery document, as its docs say
        conf["INSTALLED_APPS"].append("mozilla_django_oidc")
        conf["AUTHENTICATION_BACKENDS"].append(f"{__name__}.PscBackend")
        conf.update(
            OIDC_RP_CLIENT_ID=psc["client_id"],
            OIDC_RP_CLIENT_SECRET=psc["client_secret"],
            OIDC_OP_AUTHORIZATION_ENDPOINT=psc["authorization_endpoint"],
            OIDC_OP_TOKEN_ENDPOINT=psc["token_endpoint"],
            OIDC_OP_USER_ENDPOINT=psc["userinfo_endpoint"],
            OIDC_OP_JWKS_ENDPOINT=psc["jwks_uri"],
            OIDC_RP_SIGN_ALGO="RS256",
            OIDC_RP_SCOPES="openid scope_all",
            OIDC_AUTH_REQUEST_EXTRA_PARAMS={"acr_values": "eidas1"},
            OIDC_USE_PKCE=True,
            OIDC_CREATE_USER=False,
            LOGIN_REDIRECT_URL_FAILURE="login",
        )
    return conf


def content_security_policy(get_response: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """The application's own middleware: one CSP on every answer."""

    def middleware(request: Any) -> Any:
        response = get_response(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        return response

    return middleware


def psc_context(request: Any) -> dict[str, Any]:
    """Whether the login page offers Pro Santé Connect."""
    from django.conf import settings

    return {"psc": "mozilla_django_oidc" in settings.INSTALLED_APPS}


#: idNatPS (PSC's SubjectNameID) -> the local account it opens
PSC_ACCOUNTS = {"810000000001": USER, "810000000002": PASSWORD_CHANGE_USER}


def _psc_backend(careful: bool) -> type:
    """mozilla-django-oidc's backend, mapping PSC's SubjectNameID to a local account.

    mozilla-django-oidc 5.0 does not check the ID token's audience (`verify_aud` is off in
    its `_verify_jws`): the careful variants check it themselves, the defaults do not.
    """
    from django.contrib.auth.models import User
    from django.core.exceptions import SuspiciousOperation
    from mozilla_django_oidc.auth import OIDCAuthenticationBackend

    class PscBackend(OIDCAuthenticationBackend):  # type: ignore[misc]
        def verify_claims(self, claims: dict[str, Any]) -> bool:
            return "SubjectNameID" in claims

        def filter_users_by_claims(self, claims: dict[str, Any]) -> Any:
            return User.objects.filter(username=PSC_ACCOUNTS.get(str(claims.get("SubjectNameID")), ""))

        def verify_token(self, token: str, **kwargs: Any) -> Any:
            payload = super().verify_token(token, **kwargs)
            audience = payload.get("aud")
            if careful and self.OIDC_RP_CLIENT_ID not in (audience if isinstance(audience, list) else [audience]):
                raise SuspiciousOperation("the ID token was issued for another client")
            return payload

    return PscBackend


def _locking_backend() -> type:
    """Django's own backend, locking an account after LOCKOUT_FAILURES failed logins (what
    an add-on such as django-axes does); built once Django is set up."""
    from django.contrib.auth.backends import ModelBackend

    failures: dict[str, int] = {}
    lock = threading.Lock()

    class LockingBackend(ModelBackend):
        def authenticate(
            self, request: Any, username: str | None = None, password: str | None = None, **kw: Any
        ) -> Any:
            with lock:
                if failures.get(username or "", 0) >= LOCKOUT_FAILURES:
                    return None
            user = super().authenticate(request, username=username, password=password, **kw)
            if user is None:
                with lock:
                    failures[username or ""] = failures.get(username or "", 0) + 1
            return user

    return LockingBackend


SPA_SHELL = """<!doctype html><html lang="fr"><head><title>Dossier patient</title>
<script src="{script}" defer></script></head>
<body><main id="root" data-csrf="{csrf}" data-login="{login}" data-me="{me}" data-app="{app}"
data-login-page="{login_page}" data-token="{token}"></main></body></html>"""
# The front end: the login form drawn by the script, the credentials posted as JSON with
# the CSRF cookie echoed in X-CSRFToken (Django's documented way for AJAX), the home page
# sending a visitor without a session to the login page.
SPA_SCRIPT = """
const root = document.getElementById("root");
const csrf = () => (document.cookie.match(/(?:^|; )csrftoken=([^;]*)/) || [])[1] || "";
const bearer = root.dataset.token === "yes";  // the JWT flavour: an access token, no session cookie
const auth = () => bearer ? {"Authorization": "Bearer " + sessionStorage.getItem("access")} : {};
async function loginPage() {
  if (!bearer) { await fetch(root.dataset.csrf, {credentials: "same-origin"}); }
  root.innerHTML = '<h1>Connexion</h1><form id="login-form">'
    + '<label for="username">Identifiant</label><input id="username" name="username" autocomplete="username">'
    + '<label for="password">Mot de passe</label>'
    + '<input id="password" name="password" type="password" autocomplete="current-password">'
    + '<button id="login-submit" type="submit">Se connecter</button><p id="login-error" role="alert"></p></form>';
  document.getElementById("login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const answer = await fetch(root.dataset.login, {
      method: "POST", credentials: "same-origin",
      headers: bearer ? {"Content-Type": "application/json"}
                      : {"Content-Type": "application/json", "X-CSRFToken": csrf()},
      body: JSON.stringify({username: document.getElementById("username").value,
                            password: document.getElementById("password").value}),
    });
    if (answer.ok && bearer) { sessionStorage.setItem("access", (await answer.json()).access); }
    if (answer.ok) { window.location.assign(root.dataset.app); }
    else { document.getElementById("login-error").textContent = "Identifiant ou mot de passe incorrect"; }
  });
}
async function homePage() {
  const answer = await fetch(root.dataset.me, {credentials: "same-origin", headers: auth()});
  if (answer.status === 401) { window.location.assign(root.dataset.loginPage); return; }
  const me = await answer.json();
  root.innerHTML = '<h1>Accueil</h1><p>Bonjour <span id="current-user"></span></p>';
  document.getElementById("current-user").textContent = me.name;
}
(window.location.pathname === new URL(root.dataset.loginPage, window.location.href).pathname
  ? loginPage : homePage)();
"""


def _spa_views(careful: bool) -> list[Any]:
    """The single-page application and its JSON API (see the module's docstring)."""
    import json

    from django.contrib.auth import authenticate, login, update_session_auth_hash
    from django.http import HttpResponse, JsonResponse
    from django.urls import path, reverse
    from django.views.decorators.csrf import ensure_csrf_cookie

    def shell(request: Any) -> HttpResponse:
        jwt = request.resolver_match.url_name.startswith("jwt_")
        name = "jwt_{}".format if jwt else "{}".format
        urls = {
            "script": reverse("spa_script"),
            "csrf": reverse("api_csrf"),
            "login": reverse(name("api_token" if jwt else "api_login")),
            "me": reverse(name("api_me")),
            "app": reverse(name("spa_home")),
            "login_page": reverse(name("spa_login")),
            "token": "yes" if jwt else "no",
        }
        return HttpResponse(SPA_SHELL.format(**urls))

    def script(request: Any) -> HttpResponse:
        return HttpResponse(SPA_SCRIPT, content_type="text/javascript")

    @ensure_csrf_cookie
    def csrf(request: Any) -> JsonResponse:
        return JsonResponse({})

    def api_login(request: Any) -> JsonResponse:
        if request.method != "POST":
            return JsonResponse({"error": "POST"}, status=405)
        if not careful:  # the careless API parses without a guard: malformed JSON is a 500
            json.loads(request.body)
        try:
            given = json.loads(request.body)
            user = authenticate(request, username=str(given["username"]), password=str(given["password"]))
        except (ValueError, KeyError, TypeError):
            return JsonResponse({"error": "username and password expected"}, status=400)
        if user is None:
            return JsonResponse({"error": "invalid credentials"}, status=401)
        login(request, user)
        return JsonResponse({"name": user.get_full_name()})

    def me(request: Any) -> JsonResponse:
        if not request.user.is_authenticated:
            return JsonResponse({"error": "authentication required"}, status=401)
        return JsonResponse({"name": request.user.get_full_name() or request.user.username})

    def notes(request: Any) -> JsonResponse:
        if request.method != "POST":
            return JsonResponse({"error": "POST"}, status=405)
        if careful and not request.user.is_authenticated:
            return JsonResponse({"error": "authentication required"}, status=401)
        return JsonResponse({"id": "note-1", "patient": "FICTIF Patient"}, status=201)

    def password(request: Any) -> JsonResponse:
        if request.method != "POST":
            return JsonResponse({"error": "POST"}, status=405)
        if not request.user.is_authenticated:
            return JsonResponse({"error": "authentication required"}, status=401)
        try:
            given = json.loads(request.body)
            current, new = str(given["current_password"]), str(given["new_password"])
        except (ValueError, KeyError, TypeError):
            return JsonResponse({"error": "current_password and new_password expected"}, status=400)
        refused = _password_refusal(request.user, current, new, new)
        if refused:
            return JsonResponse({"errors": refused}, status=400)
        update_session_auth_hash(request, request.user)
        return JsonResponse({"changed": True})

    return [
        path("app/login/", shell, name="spa_login"),
        path("app/app.js", script, name="spa_script"),
        path("app/", shell, name="spa_home"),
        path("api/csrf/", csrf, name="api_csrf"),
        path("api/login/", api_login, name="api_login"),
        path("api/me/", me, name="api_me"),
        path("api/notes/", notes, name="api_notes"),
        path("api/password/", password, name="api_password"),
        path("jwt/app/login/", shell, name="jwt_spa_login"),
        path("jwt/app/", shell, name="jwt_spa_home"),
        *_jwt_api(careful),
    ]


def _password_refusal(user: Any, current: str, new: str, again: str) -> list[str]:
    """Why a password change is refused (the variant's validators), or [] once it is made."""
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    if not user.check_password(current):
        return ["the current password is wrong"]
    if new != again:
        return ["the two new passwords differ"]
    try:
        validate_password(new, user)
    except ValidationError as exc:
        return list(exc.messages)
    user.set_password(new)
    user.save()
    return []


def _jwt_api(careful: bool) -> list[Any]:
    """The API on Django REST framework, its login simplejwt's token view (see the docstring)."""
    import jwt
    from django.contrib.auth.models import User
    from django.urls import path
    from rest_framework.authentication import BaseAuthentication
    from rest_framework.exceptions import AuthenticationFailed
    from rest_framework.permissions import AllowAny, IsAuthenticated
    from rest_framework.response import Response
    from rest_framework.views import APIView
    from rest_framework_simplejwt.authentication import JWTAuthentication
    from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

    class ClaimsOnly(BaseAuthentication):
        """The defaults' own reading of the token: its claims, never its signature nor expiry."""

        def authenticate(self, request: Any) -> Any:
            header = request.META.get("HTTP_AUTHORIZATION", "")
            if not header.startswith("Bearer "):
                return None
            try:
                claims = jwt.decode(header[7:], options={"verify_signature": False})
            except jwt.PyJWTError:
                raise AuthenticationFailed("malformed token") from None
            user = User.objects.filter(id=claims.get("user_id")).first()
            if user is None:
                raise AuthenticationFailed("no such user")
            return user, None

        def authenticate_header(self, request: Any) -> str:
            return 'Bearer realm="api"'

    reading = JWTAuthentication if careful else ClaimsOnly

    class Me(APIView):
        authentication_classes = (reading,)

        def get(self, request: Any) -> Response:
            return Response({"name": request.user.get_full_name() or request.user.username})

    class Notes(APIView):
        authentication_classes = (reading,)
        permission_classes = (IsAuthenticated if careful else AllowAny,)

        def post(self, request: Any) -> Response:
            return Response({"id": "note-1", "patient": "FICTIF Patient"}, status=201)

    class Password(APIView):
        authentication_classes = (reading,)

        def post(self, request: Any) -> Response:
            given = request.data
            keys = ("old_password", "new_password1", "new_password2")
            if not isinstance(given, dict) or not all(isinstance(given.get(k), str) for k in keys):
                return Response({"error": ", ".join(keys) + " expected"}, status=400)
            refused = _password_refusal(request.user, *(given[k] for k in keys))
            return Response({"changed": not refused, "errors": refused})  # 200 either way

    return [
        path("jwt/api/token/", TokenObtainPairView.as_view(), name="jwt_api_token"),
        path("jwt/api/token/refresh/", TokenRefreshView.as_view(), name="jwt_api_refresh"),
        path("jwt/api/password/", Password.as_view(), name="jwt_api_password"),
        path("jwt/api/me/", Me.as_view(), name="jwt_api_me"),
        path("jwt/api/notes/", Notes.as_view(), name="jwt_api_notes"),
    ]


def _views(careful: bool, psc: bool) -> list[Any]:
    from django.contrib import admin
    from django.contrib.auth import views as auth_views
    from django.contrib.auth.decorators import login_required
    from django.http import HttpResponse
    from django.middleware.csrf import get_token
    from django.urls import include, path, reverse
    from django.utils.html import escape

    def page(title: str, body: str) -> str:
        return (
            f'<!doctype html><html lang="fr"><head><title>{title}</title></head>'
            f"<body><main><h1>{title}</h1>{body}</main></body></html>"
        )

    @login_required
    def home(request: Any) -> HttpResponse:
        name = escape(request.user.get_full_name() or request.user.username)
        return HttpResponse(page("Accueil", f'<p>Bonjour <span id="current-user">{name}</span></p>'))

    @login_required
    def patients(request: Any) -> HttpResponse:
        token = escape(get_token(request))
        export = (
            f'<form method="post" action="{reverse("export")}">'
            f'<input type="hidden" name="csrfmiddlewaretoken" value="{token}">'
            "<button>Exporter la liste</button></form>"
        )
        return HttpResponse(page("Patients", "<ul><li>Patient fictif</li></ul>" + export))

    def export(request: Any) -> HttpResponse:
        if request.method != "POST":
            return HttpResponse(status=405)
        return HttpResponse("nom;prenom\nFICTIF;Patient\n", content_type="text/csv")

    return [
        path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
        path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
        path("accounts/password_change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
        path(
            "accounts/password_change/done/",
            auth_views.PasswordChangeDoneView.as_view(),
            name="password_change_done",
        ),
        path("patients/", patients),
        # the defaults project forgot login_required on its export (still CSRF protected)
        path("patients/export/", login_required(export) if careful else export, name="export"),
        path("admin/", admin.site.urls),
        *_spa_views(careful),
        path("", home, name="home"),
        *([path("oidc/", include("mozilla_django_oidc.urls"))] if psc else []),
    ]


urlpatterns: list[Any] = []


def _proxy(app: Callable[..., Any]) -> Callable[..., Any]:
    """A reverse proxy's `add_header` lines: its headers beside the application's, not instead."""
    added = [
        ("X-Frame-Options", "SAMEORIGIN"),
        ("Strict-Transport-Security", "max-age=63072000"),
        ("X-Content-Type-Options", "nosniff"),
        ("Content-Security-Policy", "frame-ancestors 'self'"),
        ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ]

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            return start_response(status, [*headers, *added], exc_info)

        return app(environ, start)

    return wsgi


class _Handler(WSGIRequestHandler):
    """The server banner a deployment shows (nginx `server_tokens off`): no version."""

    def version_string(self) -> str:
        return "app"

    def log_request(self, *args: Any, **kw: Any) -> None:
        pass


def serve(
    port: int,
    cert: str,
    key: str,
    folder: Path,
    variant: str,
    password: str,
    prefix: str = "",
    psc_issuer: str | None = None,
) -> None:
    """Configure Django, create the database and the user, serve until killed."""
    import django
    from django.conf import settings

    psc: dict[str, Any] | None = None
    if psc_issuer:
        psc = httpx.get(psc_issuer + "/.well-known/wallet-openid-configuration", timeout=5).json()
        psc.update(client_id=PSC_CLIENT[0], client_secret=os.environ["HOMOLOG_TEST_DJANGO_PSC_SECRET"])
    settings.configure(**_settings(folder, variant, psc))
    django.setup()
    globals()["LockingBackend"] = _locking_backend()
    if psc is not None:
        globals()["PscBackend"] = _psc_backend(variant != "defaults")
    urlpatterns[:] = _views(variant != "defaults", psc is not None)
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.core.wsgi import get_wsgi_application
    from werkzeug.serving import make_server

    call_command("migrate", verbosity=0, interactive=False)
    User.objects.create_user(
        USER, password=password, first_name="Alice", last_name="ROBERT", is_staff=True, is_superuser=True
    )
    User.objects.create_user(PASSWORD_CHANGE_USER, password=password, first_name="Paul", last_name="MARTIN")
    User.objects.create_user(LOCKOUT_USER, password=password, first_name="Jeanne", last_name="PETIT")
    import django.contrib.admin
    from werkzeug.middleware.shared_data import SharedDataMiddleware

    # the admin's own static files, served as a deployment's web server would
    admin_static = Path(django.contrib.admin.__file__).parent / "static"
    app: Callable[..., Any] = SharedDataMiddleware(get_wsgi_application(), {"/static": str(admin_static)})
    if prefix:  # mounted under a path, as behind a proxy publishing it at https://host/prefix/
        from werkzeug.exceptions import NotFound
        from werkzeug.middleware.dispatcher import DispatcherMiddleware

        app = DispatcherMiddleware(NotFound(), {prefix: app})
    server = make_server(
        "127.0.0.1",
        port,
        _proxy(app) if variant == "proxied" else app,
        threaded=True,
        request_handler=_Handler,
        ssl_context=(cert, key),
    )
    server.serve_forever()


@contextmanager
def django_app(
    folder: Path,
    cert: Path,
    key: Path,
    ca: Path,
    variant: str,
    password: str,
    *,
    prefix: str = "",
    psc_issuer: str = "",
) -> Iterator[int]:
    """Run the application in its own process until the block ends; yields its port."""
    from .tlsserver import app_process, free_port

    port = free_port()
    args = ["--port", str(port), "--cert", str(cert), "--key", str(key), "--folder", str(folder)]
    args += ["--variant", variant, "--prefix", prefix, "--psc-issuer", psc_issuer]
    env = {"HOMOLOG_TEST_DJANGO_PASSWORD": password, "HOMOLOG_TEST_DJANGO_PSC_SECRET": PSC_CLIENT[1]}
    ready = f"https://127.0.0.1:{port}{prefix}/accounts/login/"
    with app_process([str(Path(__file__).resolve()), *args], folder, ready, ca, env):
        yield port


def spa_target(folder: Path, port: int, ca: Path, *, prefix: str = "", jwt: bool = False) -> Path:
    """Target file for the single-page application: its JSON login, its two pages; `jwt`:
    the flavour under /jwt/ whose login answers an access token."""
    at = "/jwt" if jwt else ""
    api = {"login": "/api/login/", "csrf": "/api/csrf/", "session": "/api/me/", "password": "/api/password/"}
    fields = {}
    if jwt:
        api = {
            "login": "/jwt/api/token/",
            "session": "/jwt/api/me/",
            "token": "access",
            "password": "/jwt/api/password/",
            "refresh": "/jwt/api/token/refresh/",
            "refresh_token": "refresh",
        }
        fields = {"current": "old_password", "new": "new_password1", "confirm": "new_password2"}
    from .helpers import app_target, spa_pages

    accounts = {"web": USER, "lockout": LOCKOUT_USER, "password_change": PASSWORD_CHANGE_USER}
    security = {
        **({"password_fields": fields} if fields else {}),
        "session_timeout_seconds": SESSION_SECONDS,
        "lockout_max_failures": LOCKOUT_FAILURES,
        "inventory": {"paths": [f"POST {at}/api/notes/"]},
        # the shell and its script, the same for anyone; the data is behind the API
        "public_paths": [f"{at}/app/", "/app/app.js"],
    }
    pages = spa_pages(f"{at}/app/login/", f"{at}/app/")
    base = f"https://127.0.0.1:{port}{prefix}"
    return app_target(
        folder / "spa-target.yaml", "Django single-page app", base, ca, accounts, security, pages, api=api
    )


def django_target(folder: Path, port: int, ca: Path, *, prefix: str = "") -> Path:
    """Target file for the application (password in env HOMOLOG_TEST_PASSWORD)."""
    from .helpers import app_target

    accounts = {"web": USER, "lockout": LOCKOUT_USER, "password_change": PASSWORD_CHANGE_USER}
    security = {"session_timeout_seconds": SESSION_SECONDS, "lockout_max_failures": LOCKOUT_FAILURES}
    pages = {
        "login": {
            "path": "/accounts/login/",
            "locators": {
                "username": "#id_username",
                "password": "#id_password",
                "submit": "#login-submit",
                "psc_button": "#psc-login",
            },
        },
        "patient_list": {"path": "/patients/"},
        "home": {"path": "/", "locators": {"current_user": "#current-user"}},
        "password_change": {
            "path": "/accounts/password_change/",
            "locators": {
                "current": "#id_old_password",
                "new": "#id_new_password1",
                "done": "#password-changed",
                "error": ".errorlist",
            },
        },
    }
    base = f"https://127.0.0.1:{port}{prefix}"
    return app_target(
        folder / "django-target.yaml",
        "Django app",
        base,
        ca,
        accounts,
        security,
        pages,
        data={"psc_user_idnatps": "810000000001"},
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--folder", type=Path, required=True)
    parser.add_argument("--variant", choices=VARIANTS, required=True)
    parser.add_argument("--prefix", default="")
    parser.add_argument("--psc-issuer", default="")
    args = parser.parse_args()
    password = os.environ["HOMOLOG_TEST_DJANGO_PASSWORD"]
    serve(args.port, args.cert, args.key, args.folder, args.variant, password, args.prefix, args.psc_issuer or None)


if __name__ == "__main__":
    main()
