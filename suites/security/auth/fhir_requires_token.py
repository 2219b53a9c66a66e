"""Check `security.auth.fhir_requires_token`: the FHIR API refuses requests without a valid bearer token."""

from __future__ import annotations

import secrets

from homolog import CheckError, HttpClient, Needs, Params, Target, check, fail

_REFUSED = (401, 403)


class FhirAuthParams(Params):
    """FHIR path to request (default: the qualified test patient)."""

    path: str | None = None


def _needs(params: FhirAuthParams) -> Needs:
    return Needs(bases=("fhir",), auth=("fhir",), data=() if params.path else ("patient_qualified",))


@check("security.auth.fhir_requires_token", params=FhirAuthParams, needs=_needs)
def fhir_requires_token(http: HttpClient, target: Target, params: FhirAuthParams) -> None:
    """The FHIR API refuses requests with no bearer token or an invalid one."""
    path = params.path or f"/Patient/{target.datum('patient_qualified')}"
    ok = http.get(path, base="fhir", auth="fhir")
    if ok.status_code != 200:
        raise CheckError(
            f"with the declared token {ok.describe()} answered {ok.status_code}, not 200: "
            "cannot tell a refusal from a missing resource"
        )
    anonymous = http.get(path, base="fhir")
    if anonymous.status_code not in _REFUSED:
        fail(f"without a token, expected 401 or 403, got {anonymous.status_code} for {anonymous.describe()}")
    forged = http.get(path, base="fhir", headers={"Authorization": f"Bearer {secrets.token_urlsafe(32)}"})
    if forged.status_code not in _REFUSED:
        fail(f"with an invalid token, expected 401 or 403, got {forged.status_code} for {forged.describe()}")
