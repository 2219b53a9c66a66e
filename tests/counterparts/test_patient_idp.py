"""The patient identity provider: the level it issues, its misbehaviour, its place among the counterparts."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest

from homolog.counterparts import counterpart_class
from homolog.counterparts.patient_idp import PatientIdpSimulator
from homolog.counterparts.psc import PscControl

REDIRECT = "https://127.0.0.1:1/callback"


@pytest.fixture
def idp() -> Iterator[PatientIdpSimulator]:
    with PatientIdpSimulator() as sim:
        yield sim


def _login(sim: PatientIdpSimulator, acr_values: str | None, *, ticket: str | None = None) -> dict[str, Any]:
    """One code flow by hand; the verified ID token's claims."""
    params = {"response_type": "code", "client_id": "c", "redirect_uri": REDIRECT, "scope": "openid", "nonce": "n"}
    if acr_values is not None:
        params["acr_values"] = acr_values
    cookies = {"homolog_psc_ticket": ticket} if ticket else None
    with httpx.Client(cookies=cookies) as client:
        auth = client.get(sim.issuer + "/protocol/openid-connect/auth", params=params)
        assert auth.status_code == 302
        code = parse_qs(urlsplit(auth.headers["location"]).query)["code"][0]
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, "client_id": "c"}
        tokens = client.post(sim.issuer + "/protocol/openid-connect/token", data=form).json()
        jwks = client.get(sim.issuer + "/protocol/openid-connect/certs").json()
    key = jwt.PyJWKSet.from_dict(jwks).keys[0].key
    return dict(jwt.decode(tokens["id_token"], key, algorithms=["ES256"], audience="c", issuer=sim.issuer))


@pytest.mark.parametrize(
    ("asked", "issued"), [(None, "eidas1"), ("eidas1", "eidas1"), ("eidas2", "eidas2"), ("eidas1 eidas3", "eidas3")]
)
def test_issues_the_strongest_level_asked(idp: PatientIdpSimulator, asked: str | None, issued: str) -> None:
    claims = _login(idp, asked)
    assert claims["acr"] == issued
    assert claims["preferred_username"] == "patient-tlm-1"
    assert idp.token_requests[-1]["acr"] == issued


def test_low_acr_lowers_only_the_ticket_s_login(idp: PatientIdpSimulator) -> None:
    control = PscControl(idp.control_url)
    ticket = control.new_ticket(mode="low-acr")
    assert _login(idp, "eidas2", ticket=ticket)["acr"] == "eidas1"
    assert _login(idp, "eidas2")["acr"] == "eidas2"  # another browser: untouched


def test_a_capped_provider_issues_no_more_than_it_can() -> None:
    with PatientIdpSimulator(max_acr="eidas2") as sim:
        assert _login(sim, "eidas3")["acr"] == "eidas2"
        doc = httpx.get(sim.issuer + "/.well-known/openid-configuration").json()
    assert doc["acr_values_supported"] == ["eidas1", "eidas2"]
    assert doc["issuer"].endswith("/auth/realms/patients")


def test_refuses_unknown_modes_and_levels(idp: PatientIdpSimulator) -> None:
    with pytest.raises(ValueError, match="unknown mode"):
        idp.misbehave("no-such-mode")
    with pytest.raises(ValueError, match="max_acr"):
        PatientIdpSimulator(max_acr="eidas9")


def test_registered_and_declared_for_the_telehealth_checks(idp: PatientIdpSimulator) -> None:
    assert counterpart_class("patient_idp") is PatientIdpSimulator
    additions = idp.target_additions()
    assert additions.base_urls == {"patient_idp": idp.issuer}
    assert additions.settings["telehealth"]["patient_idp"]["control_url"] == idp.control_url
