"""Patient identity provider: an OpenID Connect provider that authenticates patients at an eIDAS level.

Telemonitoring devices (and other patient-facing health services) must identify patients
electronically at the assurance level the ANS electronic identification referential asks
(substantial from 2026). This counterpart stands for the provider a system relies on
(FranceConnect+-like, or the vendor's own certified means). It is the Pro Santé Connect
simulator's machinery (``homolog.counterparts.psc``: code flow, PKCE, tickets, records,
control API) with patients for accounts and levels of assurance in the ``acr`` claim::

    from homolog.counterparts.patient_idp import PatientIdpSimulator
    with PatientIdpSimulator() as idp:
        idp.issuer, idp.control_url

What it issues: ``acr`` is the strongest level among the ``acr_values`` the system asked
that the provider supports (``eidas1`` < ``eidas2`` < ``eidas3``); a request without
``acr_values`` is authenticated at ``eidas1``, the level a password alone gives. Modes
(control API, per browser ticket or global): those of the PSC simulator, plus ``low-acr``
(the next token says ``eidas1`` whatever was asked, as when the patient fell back on a
weaker means). Its control client is ``PscControl`` (same API).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from homolog.counterparts import TargetAdditions
from homolog.counterparts.psc.control import PscControl, PscControlError
from homolog.counterparts.psc.simulator import MODES, PscSimulator, _Code

__all__ = [
    "ACR_LEVELS",
    "DEFAULT_PATIENTS",
    "PatientAccount",
    "PatientIdpSimulator",
    "PscControl",
    "PscControlError",
    "acr_rank",
]

#: eIDAS levels of assurance as OpenID Connect acr values, weakest first (low, substantial, high).
ACR_LEVELS = ("eidas1", "eidas2", "eidas3")
_REALM = "/auth/realms/patients"


def acr_rank(value: object) -> int:
    """Position of an acr value among ACR_LEVELS; -1 for anything else."""
    return ACR_LEVELS.index(value) if isinstance(value, str) and value in ACR_LEVELS else -1


@dataclass(frozen=True)
class PatientAccount:
    """A synthetic patient's electronic identity (``subject`` is the provider's account id)."""

    subject: str
    family_name: str
    given_name: str
    birthdate: str
    gender: str

    @property
    def key(self) -> str:
        """Patients are known by their account id."""
        return self.subject

    def userinfo(self, sub: str) -> dict[str, Any]:
        """OpenID Connect standard claims of the patient."""
        return {
            "sub": sub,
            "preferred_username": self.subject,
            "family_name": self.family_name,
            "given_name": self.given_name,
            "birthdate": self.birthdate,
            "gender": self.gender,
        }


# The reference system's telemonitored patient (its account id is what the system links).
DEFAULT_PATIENTS = (
    PatientAccount("patient-tlm-1", "ZOLA", "LISE", "1979-03-28", "female"),
    PatientAccount("patient-tlm-2", "PETIT", "LOUIS", "1950-11-02", "male"),
)


class PatientIdpSimulator(PscSimulator):
    """The patient identity provider (registered as the counterpart ``patient_idp``).

    Keyword arguments: ``patients`` (who can log in; the first by default), ``max_acr``
    (the strongest level it can issue), and those of ``PscSimulator`` (``client_id``,
    ``client_secret``, ``redirect_uris``, ``token_lifetime``, ``host``, ``port``). It
    signs with ES256 (key generation costs nothing at start).
    """

    realm_path = _REALM
    modes = (*MODES, "low-acr")

    def __init__(
        self,
        patients: tuple[PatientAccount, ...] | list[PatientAccount] = DEFAULT_PATIENTS,
        *,
        max_acr: str = "eidas3",
        alg: Literal["RS256", "ES256"] = "ES256",
        **kwargs: Any,
    ) -> None:
        if max_acr not in ACR_LEVELS:
            raise ValueError(f"max_acr must be one of {', '.join(ACR_LEVELS)}, not {max_acr!r}")
        super().__init__(tuple(patients), alg=alg, **kwargs)
        self.max_acr = max_acr

    def target_additions(self) -> TargetAdditions:
        """``base_urls.patient_idp`` (checks drive the login through it) and ``settings.telehealth.patient_idp``."""
        return TargetAdditions(
            base_urls={"patient_idp": self.issuer},
            settings={"telehealth": {"patient_idp": {"issuer": self.issuer, "control_url": self.control_url}}},
        )

    def discovery(self) -> dict[str, Any]:
        """The standard discovery document, with the levels this provider can issue."""
        doc = super().discovery()
        doc["acr_values_supported"] = list(ACR_LEVELS[: acr_rank(self.max_acr) + 1])
        doc["scopes_supported"] = ["openid", "profile"]
        doc["claims_supported"] = ["sub", "iss", "aud", "exp", "iat", "nonce", "acr", "amr", "preferred_username"]
        return doc

    def _account_claims(self, code: _Code, mode: str | None) -> dict[str, Any]:
        asked = [v for v in (code.acr or "").split() if acr_rank(v) >= 0]
        level = max(asked, key=acr_rank) if asked else "eidas1"
        if acr_rank(level) > acr_rank(self.max_acr):
            level = self.max_acr
        if mode == "low-acr":
            level = "eidas1"
        return {
            "acr": level,
            "amr": ["pwd"] if level == "eidas1" else ["pwd", "otp"],
            "preferred_username": code.professional.key,
        }
