"""Client of the INSi simulator's control API, usable from any process."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..soap.control import ControlClient, ControlError

__all__ = ["ControlError", "InsiControl"]


class InsiControl(ControlClient):
    """Reads the INSi exchanges and registers synthetic identities."""

    service = "INSi"

    def identities(self) -> list[dict[str, Any]]:
        """The simulator's directory (``ins``, ``oid`` and the reference traits of each)."""
        return list(self.call("GET", "identities"))

    def register(
        self,
        *,
        birth_name: str,
        given_names: Iterable[str],
        sex: str,
        birth_date: str,
        birth_place: str,
        ins: str | None = None,
        oid: str | None = None,
        as_given: bool = False,
    ) -> dict[str, Any]:
        """Add an identity (NIR computed from its traits unless ``ins`` is given); returns it.

        ``as_given``: keep ``ins`` even when its key is wrong (see ``make_identity``).
        """
        body: dict[str, Any] = {
            "birth_name": birth_name,
            "given_names": list(given_names),
            "sex": sex,
            "birth_date": birth_date,
            "birth_place": birth_place,
        }
        if ins:
            body["ins"] = ins
        if oid:
            body["oid"] = oid
        if as_given:
            body["as_given"] = True
        return dict(self.call("POST", "identities", body))
