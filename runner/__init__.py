"""homolog: certification and compliance test harness for health information systems.

The public API for suite authors (see docs/engine-api.md). Everything else in the
package is internal and may change.
"""

from __future__ import annotations

from ._version import __version__
from .auth import Authenticator, BrowserCredentials
from .auth.forms import (
    CSRF_HEADERS,
    LoginForm,
    LoginOutcome,
    browser_origin,
    csrf_headers,
    css_xpath,
    html_has,
    parse_login_form,
    refresh_session,
    renewed_token,
    script_headers,
    submit_login,
    submit_login_form,
)
from .checks import CheckSpec, Needs, Params, check, registry
from .cleanup import TestData
from .errors import (
    CheckError,
    CheckFailed,
    ConfigError,
    HomologError,
    HttpError,
    ReferentialError,
    TargetError,
    error,
    fail,
)
from .evidence import REDACTED, Evidence, Sanitizer, redact_credentials
from .hookspec import FileValidator, RunOption, hookimpl
from .http import HttpClient, Response, expect_status
from .materials import cache_root, fetch_command, installed_material
from .parallel import add_jobs_option, in_processes, usable_cores
from .referential import Referential, Requirement, load_referential
from .secrets import credential_field
from .shared import SharedState
from .target import CounterpartEndpoint, LoginApi, PageSpec, Target, load_target
from .verdicts import ExitCode, RunStatus, Verdict

__all__ = [
    "CSRF_HEADERS",
    "REDACTED",
    "Authenticator",
    "BrowserCredentials",
    "CheckError",
    "CheckFailed",
    "CheckSpec",
    "ConfigError",
    "CounterpartEndpoint",
    "Evidence",
    "ExitCode",
    "FileValidator",
    "HomologError",
    "HttpClient",
    "HttpError",
    "LoginApi",
    "LoginForm",
    "LoginOutcome",
    "Needs",
    "PageSpec",
    "Params",
    "Referential",
    "ReferentialError",
    "Requirement",
    "Response",
    "RunOption",
    "RunStatus",
    "Sanitizer",
    "SharedState",
    "Target",
    "TargetError",
    "TestData",
    "Verdict",
    "__version__",
    "add_jobs_option",
    "browser_origin",
    "cache_root",
    "check",
    "credential_field",
    "csrf_headers",
    "css_xpath",
    "error",
    "expect_status",
    "fail",
    "fetch_command",
    "hookimpl",
    "html_has",
    "in_processes",
    "installed_material",
    "load_referential",
    "load_target",
    "parse_login_form",
    "redact_credentials",
    "refresh_session",
    "registry",
    "renewed_token",
    "script_headers",
    "submit_login",
    "submit_login_form",
    "usable_cores",
]
