"""eIDAS levels of assurance as OpenID Connect ``acr`` values, and the parameters naming one."""

from __future__ import annotations

from pydantic import field_validator

from homolog import Params

__all__ = ["ACR_LEVELS", "LevelParams", "acr_rank", "asked_levels"]

#: Weakest first: low, substantial, high (the values FranceConnect+ and Pro Santé Connect use).
ACR_LEVELS = ("eidas1", "eidas2", "eidas3")


def acr_rank(value: object) -> int:
    """Position of an acr value among ACR_LEVELS; -1 for anything else."""
    return ACR_LEVELS.index(value) if isinstance(value, str) and value in ACR_LEVELS else -1


def asked_levels(authorizations: list[dict[str, object]]) -> list[str]:
    """Every acr value the recorded authorization requests asked for."""
    return [v for a in authorizations for v in str(a.get("acr_values") or "").split()]


class LevelParams(Params):
    """The minimum level of assurance the referential asks of a patient login."""

    acr: str = "eidas2"

    @field_validator("acr")
    @classmethod
    def _known(cls, value: str) -> str:
        if acr_rank(value) < 0:
            raise ValueError(f"acr must be one of {', '.join(ACR_LEVELS)}")
        return value
