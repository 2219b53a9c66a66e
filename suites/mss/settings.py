"""The MSSanté suite's target settings (``settings.mss``), validated once."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from homolog import CheckError, Target

__all__ = ["MssSettings", "TriggerSettings", "load_mss_settings"]


class TriggerSettings(BaseModel):
    """The HTTP call that makes the SUT send a document through MSSanté (its "send" action).

    ``base`` names a ``base_urls`` entry, ``auth`` one of the target's ``auth`` entries;
    ``json`` is the request body. Its answer is recorded; what counts is what reaches
    the simulator.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    method: Literal["POST", "PUT", "GET"] = "POST"
    base: str = "web"
    path: str
    auth: str | None = None
    json_body: Any = Field(default=None, alias="json")


class MssSettings(BaseModel):
    """``settings.mss`` of a target.

    - ``trigger``: how to make the SUT send (see ``TriggerSettings``);
    - ``product_reference``: the product number declared on the ANS Convergence platform,
      expected in ``X-MSS-NIL`` (when absent, only the header's presence is checked);
    - ``wait_seconds``: how long to wait for the SUT's messages after the trigger.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    trigger: TriggerSettings | None = None
    product_reference: str | None = None
    wait_seconds: float = Field(default=15.0, gt=0, le=300)


def load_mss_settings(target: Target) -> MssSettings:
    """Read ``settings.mss`` from the target; a bad value raises CheckError naming it."""
    raw = target.settings("mss")
    data = dict(raw) if isinstance(raw, Mapping) else {}
    try:
        return MssSettings.model_validate(data)
    except ValidationError as exc:
        raise CheckError(f"target settings.mss is invalid: {exc}") from exc
