"""An INSi teleservice simulator on 127.0.0.1 (HTTPS, SOAP 1.2).

It answers the two INSi operations (search by identity traits, verification of an INS;
shapes in :mod:`.messages`) from a directory of synthetic identities (:mod:`.directory`)
and records every exchange: the operation, the context headers, the traits received,
the answer and a sanitised copy of both envelopes. Malformed messages get a SOAP fault
naming the problem, and are recorded too.

Control API (``InsiControl`` is its client), besides the generic actions of
:class:`~homolog.counterparts.soap.SoapService`:

- ``GET identities``: the directory;
- ``POST identities`` ``{birth_name, given_names: [...], sex, birth_date, birth_place,
  [ins], [oid], [as_given]}``: register a synthetic identity (its NIR is computed from its
  traits when ``ins`` is absent; ``as_given`` keeps an ``ins`` whose key is wrong, for checks
  that isolate the system's own key check); answers it with its ``ins``.

Example::

    with InsiSimulator() as insi:
        insi.url, insi.ca_file, insi.control_url
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from lxml import etree

from ..soap.envelope import SoapError, fault, parse_envelope, sanitise_envelope
from ..soap.server import Reply, Request
from ..soap.simulator import SoapSimulator
from .directory import DEFAULT_IDENTITIES, Directory, Identity
from .messages import SEARCH_ACTION, VERIFY_ACTION, parse_search, parse_verification, result_envelope

__all__ = ["InsiSimulator"]

SERVICE_PATH = "/lps/insi"
_CONTEXT_FIELDS = ("Emetteur", "IDAM", "Version", "Nom", "Instance")


def _context(env: Any, name: str) -> dict[str, Any] | None:
    """The fields of a context header block (``ContexteLPS``/``ContexteBAM``), if present."""
    block = env.header_block(name)
    if block is None:
        return None
    found: dict[str, Any] = {}
    for el in block.iter():
        if isinstance(el.tag, str):
            local = etree.QName(el).localname
            if local in _CONTEXT_FIELDS and local not in found:
                found[local] = (el.text or "").strip()[:200]
    return found


class InsiSimulator(SoapSimulator):
    """The INSi teleservice, simulated. See the module docstring."""

    name = "insi"
    path = SERVICE_PATH

    def __init__(
        self,
        identities: Iterable[Identity] = DEFAULT_IDENTITIES,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        control_port: int = 0,
        workdir: Path | None = None,
    ) -> None:
        self.directory = Directory(identities)
        # An INSi request is a few kilobytes.
        super().__init__(host=host, port=port, control_port=control_port, workdir=workdir, max_body=256 * 1024)

    def register(self, identity: Identity) -> Identity:
        """Add an identity to the directory."""
        return self.directory.add(identity)

    # ---- protocol --------------------------------------------------------------------
    def _info(self) -> dict[str, Any]:
        return {
            "operations": {"search": SEARCH_ACTION, "verify": VERIFY_ACTION},
            "identities": len(list(self.directory)),
        }

    def _control(self, method: str, action: str, query: Mapping[str, str], body: Any) -> tuple[int, Any]:
        if action == "identities" and method == "GET":
            return 200, [i.to_json() for i in self.directory]
        if action == "identities" and method == "POST":
            if not isinstance(body, Mapping):
                return 400, {"error": "POST identities takes a JSON object"}
            try:
                return 200, self.directory.register(body).to_json()
            except ValueError as exc:
                return 400, {"error": str(exc)}
        return 404, {"error": f"unknown control action {method} {action}"}

    def _handle(self, request: Request) -> Reply:
        record: dict[str, Any] = {"operation": "unknown", "http": request.http_summary(), "problems": []}
        try:
            env = parse_envelope(request.body, what="the INSi request")
        except SoapError as exc:
            record.update(outcome="fault", problems=[exc.reason], envelope=None)
            return self._fault(record, exc.reason, code=exc.code)
        record["envelope"] = sanitise_envelope(env.root)
        record["soap"] = {
            "action": env.action,
            "message_id": env.message_id,
            "lps_context": _context(env, "ContexteLPS"),
            "bam_context": _context(env, "ContexteBAM"),
        }
        local = etree.QName(env.payload).localname
        if local == "RECSANSVITALE":
            return self._search(env, record)
        if local in ("IndividuVerifie", "RequeteUnitaire"):
            return self._verify(env, record)
        reason = f"unknown INSi request {local!r}: expected RECSANSVITALE (search) or IndividuVerifie (verification)"
        record.update(outcome="fault", problems=[reason])
        return self._fault(record, reason)

    def _search(self, env: Any, record: dict[str, Any]) -> Reply:
        traits, problems = parse_search(env.payload)
        record.update(operation="search", request={"traits": traits.to_json()})
        if env.action not in (None, SEARCH_ACTION):
            problems.append(f"wsa:Action is {env.action!r}, expected {SEARCH_ACTION}")
        if problems:
            record.update(outcome="fault", problems=problems)
            return self._fault(record, "; ".join(problems), action=SEARCH_ACTION)
        found = self.directory.search(traits)
        code = "00" if len(found) == 1 else "01" if not found else "02"
        identity = found[0] if code == "00" else None
        return self._answer(record, code, identity, action=SEARCH_ACTION, relates_to=env.message_id)

    def _verify(self, env: Any, record: dict[str, Any]) -> Reply:
        try:
            verification, problems = parse_verification(env.payload)
        except SoapError as exc:
            record.update(operation="verify", outcome="fault", problems=[exc.reason])
            return self._fault(record, exc.reason, action=VERIFY_ACTION)
        record.update(operation="verify", request=verification.to_json())
        if problems:
            record.update(outcome="fault", problems=problems)
            return self._fault(record, "; ".join(problems), action=VERIFY_ACTION)
        identity = self.directory.by_ins(verification.ins or "")
        if identity is None:
            label = "INS inconnu"
        elif identity.oid != verification.oid:
            label = f"OID {verification.oid} ne correspond pas a l'INS"
        elif not identity.matches(verification.traits):
            label = "Traits d'identite discordants"
        else:
            label = None
        code = "00" if label is None else "01"
        return self._answer(
            record,
            code,
            identity if code == "00" else None,
            action=VERIFY_ACTION,
            relates_to=env.message_id,
            label=label,
        )

    def _answer(
        self,
        record: dict[str, Any],
        code: str,
        identity: Identity | None,
        *,
        action: str,
        relates_to: str | None,
        label: str | None = None,
    ) -> Reply:
        body = result_envelope(code, identity, action=action, relates_to=relates_to, label=label)
        record.update(
            outcome="answered",
            response={
                "code": code,
                "label": label,
                "identity": identity.to_json() if identity is not None else None,
            },
            response_envelope=body.decode("utf-8"),
        )
        self.log.add(record)
        return Reply(200, body)

    def _fault(self, record: dict[str, Any], reason: str, *, code: str = "Sender", action: str | None = None) -> Reply:
        body = fault(reason, code=code, action=action + "Response" if action else None)
        record["response_envelope"] = body.decode("utf-8")
        self.log.add(record)
        # SOAP 1.2 over HTTP: a Sender fault is a 400, a Receiver fault a 500.
        return Reply(400 if code in ("Sender", "VersionMismatch") else 500, body)
