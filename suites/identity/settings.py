"""The identity suite's target settings (``settings.identity``), validated once."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .oids import INS_NIA, INS_NIR

if TYPE_CHECKING:
    from homolog import Target

__all__ = ["IdentitySettings", "load_identity_settings"]


class IdentitySettings(BaseModel):
    """What the target declares about its identity management.

    - ``accepted_ins_oids``: INS OIDs the SUT may use (default NIR + NIA; a test target
      adds the test/demo NIR OIDs).
    - ``history``: where status changes are historised: the Patient's FHIR history,
      AuditEvent resources or Provenance resources.
    - ``status_tag_system``: a ``meta.tag`` system in which the SUT states the RNIV
      status (PROV, RECUP, VALI, QUAL) unambiguously; without it the status is read
      from the FR Core reliability extension (``VALI`` + ``INSI`` = qualified).
    - ``test_data``: the SUT holds synthetic data, so a national identifier whose check
      digit fails is a warning (published example identifiers often fail it).
    - ``qualified_label``: text the identity banner shows for a qualified identity
      (case and accents ignored; default matches « Identité qualifiée »).
    - ``robustness_seed``: the seed of `identity.robustness.malformed` (replays a run's
      identities; default: the check's parameter).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    accepted_ins_oids: tuple[str, ...] = (INS_NIR.oid, INS_NIA.oid)
    history: Literal["fhir-history", "auditevent", "provenance"] = "fhir-history"
    status_tag_system: str | None = None
    test_data: bool = False
    qualified_label: str = "qualifi"
    robustness_seed: int | None = Field(default=None, ge=0)


def load_identity_settings(target: Target) -> IdentitySettings:
    """Read ``settings.identity`` from the target; a bad value raises CheckError."""
    from homolog import CheckError

    raw = target.settings("identity")
    data = dict(raw) if isinstance(raw, Mapping) else {}
    try:
        return IdentitySettings.model_validate(data)
    except ValidationError as exc:
        raise CheckError(f"target settings.identity is invalid: {exc}") from exc
