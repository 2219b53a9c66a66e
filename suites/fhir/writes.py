"""What the FHIR write checks share: the sample resource, marked copies, created-resource records.

A write check creates resources of its own (never touches the target's test data), marks
each with an identifier ``urn:homolog:test-marker|<random>`` so that conditional criteria
can find exactly them, and lists what it created in its evidence (``created.json``) with
the outcome of the clean-up DELETE when the CapabilityStatement declares delete. This is
the record a data lifecycle (``data_policy``, a clean-up ledger) needs: type, id, how it
was removed or why it could not be.

The sample comes from the target, ``data.fhir_write_sample`` (a resource the server
accepts, in its profiles), or else is a minimal resource of the check's ``resource_type``.
"""

from __future__ import annotations

import copy
import json
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest

from homolog import CheckError, Evidence, HttpClient, Params, Response, Target, fail
from homolog.suites.fhir.api import FHIR_JSON, capability, declared_resource, is_fhir_json

__all__ = [
    "MARKER_SYSTEM",
    "CreatedLedger",
    "WriteParams",
    "WriteTarget",
    "Writing",
    "json_body",
    "location_parts",
    "marked",
    "new_marker",
    "outcome_summary",
    "refused_sample",
    "write_target",
    "writing",
]

MARKER_SYSTEM = "urn:homolog:test-marker"
SAMPLE_KEY = "fhir_write_sample"
_SAMPLES: dict[str, dict[str, Any]] = {
    "Observation": {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "8302-2", "display": "Body height"}]},
        "valueQuantity": {"value": 170, "unit": "cm", "system": "http://unitsofmeasure.org", "code": "cm"},
    },
    "Basic": {"resourceType": "Basic", "code": {"text": "homolog REST check"}},
}
_LOCATION = re.compile(
    r"(?:^|/)(?P<type>[A-Z][A-Za-z]+)/(?P<id>[A-Za-z0-9\-.]{1,64})(?:/_history/(?P<vid>[A-Za-z0-9\-.]{1,64}))?/?$"
)


class WriteParams(Params):
    """The resource type written when the target gives no sample under ``data.fhir_write_sample``."""

    resource_type: str = "Observation"


@dataclass(frozen=True)
class WriteTarget:
    """The type the check writes, its CapabilityStatement entry and the sample body."""

    resource_type: str
    declared: dict[str, Any]
    sample: dict[str, Any]

    def interactions(self) -> set[str]:
        return {str(i.get("code")) for i in self.declared.get("interaction") or [] if isinstance(i, dict)}

    def search_params(self) -> set[str]:
        return {str(p.get("name")) for p in self.declared.get("searchParam") or [] if isinstance(p, dict)}

    @property
    def versioning(self) -> str:
        return str(self.declared.get("versioning") or "no-version")

    def require_versioned_update(self) -> None:
        """Skip the check unless the type declares version-aware updates."""
        _versioned_update(self)

    def require(self, *interactions: str) -> None:
        """Skip the check when the CapabilityStatement does not declare these interactions."""
        missing = [i for i in interactions if i not in self.interactions()]
        if missing:
            pytest.skip(
                f"the CapabilityStatement declares no {', '.join(missing)} for {self.resource_type}: nothing to verify"
            )


def _versioned_update(write: WriteTarget) -> None:
    if write.versioning != "versioned-update":
        pytest.skip(
            f"the CapabilityStatement declares versioning {write.versioning!r} for {write.resource_type}, "
            "not versioned-update: no version-aware update to verify"
        )


def write_target(http: HttpClient, target: Target, params: WriteParams) -> WriteTarget:
    """The sample (from data or built in), and what the server declares for its type."""
    given = target.data.get(SAMPLE_KEY)
    if given is not None:
        if not isinstance(given, dict) or not isinstance(given.get("resourceType"), str):
            raise CheckError(f"data.{SAMPLE_KEY} must be a FHIR resource (a mapping with resourceType)")
        sample = copy.deepcopy(dict(given))
    elif params.resource_type in _SAMPLES:
        sample = copy.deepcopy(_SAMPLES[params.resource_type])
    else:
        raise CheckError(
            f"no built-in sample for {params.resource_type}: give a resource the server accepts under data.{SAMPLE_KEY}"
        )
    rtype = str(sample["resourceType"])
    declared = declared_resource(capability(http), rtype)
    if declared is None:
        pytest.skip(f"the CapabilityStatement does not declare {rtype}: nothing to write")
    return WriteTarget(rtype, declared, sample)


def new_marker() -> str:
    return "homolog-" + secrets.token_hex(8)


def marked(sample: dict[str, Any], marker: str, **extra: Any) -> dict[str, Any]:
    """A copy of the sample without id/meta, carrying the marker identifier (and ``extra`` keys)."""
    body = copy.deepcopy(sample)
    body.pop("id", None)
    body.pop("meta", None)
    idents = [i for i in body.get("identifier") or [] if isinstance(i, dict) and i.get("system") != MARKER_SYSTEM]
    body["identifier"] = [*idents, {"system": MARKER_SYSTEM, "value": marker}]
    body.update(extra)
    return body


def json_body(resp: Response) -> Any:
    """The JSON body of a response, None when there is none or it is not JSON."""
    if not resp.content.strip():
        return None
    try:
        return json.loads(resp.content)
    except (ValueError, UnicodeDecodeError):
        return None


def location_parts(resp: Response) -> tuple[str, str, str | None] | None:
    """(type, id, version id) read from the Location header, None when absent or unreadable."""
    loc = resp.headers.get("location", "").split("?")[0]
    m = _LOCATION.search(loc)
    if not m:
        return None
    return m.group("type"), m.group("id"), m.group("vid")


def outcome_summary(resp: Response) -> str:
    """A short account of an error answer: status, content type, the first diagnostics."""
    body = json_body(resp) if is_fhir_json(resp) else None
    text = ""
    if isinstance(body, dict) and body.get("resourceType") == "OperationOutcome":
        issues = [i for i in body.get("issue") or [] if isinstance(i, dict)]
        text = "; ".join(str(i.get("diagnostics") or i.get("code")) for i in issues[:2])
    elif resp.content:
        text = resp.text[:120].strip()
    return f"{resp.status_code} {resp.headers.get('content-type', 'no content type')}" + (f": {text}" if text else "")


def refused_sample(rtype: str, resp: Response) -> CheckError:
    """The error when the server will not create the sample: the check cannot go on."""
    return CheckError(
        f"the server refused to create the sample {rtype} ({resp.describe()} -> {outcome_summary(resp)}); "
        f"give a {rtype} it accepts under data.{SAMPLE_KEY} (or another type via the check's resource_type)"
    )


@dataclass
class CreatedLedger:
    """The resources a check created, removed at the end when the server declares delete."""

    http: HttpClient
    write: WriteTarget
    created: list[dict[str, Any]] = field(default_factory=list)

    def post(self, body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
        """POST [base]/[type] (FHIR JSON); what it creates is recorded."""
        resp = self.http.request(
            "POST",
            f"/{self.write.resource_type}",
            base="fhir",
            auth="fhir",
            content=json.dumps(body).encode(),
            headers={"Content-Type": FHIR_JSON, "Accept": FHIR_JSON, **(headers or {})},
        )
        self.note(resp)
        return resp

    def put(self, path: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
        """PUT [base]/path (FHIR JSON); a resource it creates is recorded."""
        resp = self.http.request(
            "PUT",
            path,
            base="fhir",
            auth="fhir",
            content=json.dumps(body).encode(),
            headers={"Content-Type": FHIR_JSON, "Accept": FHIR_JSON, **(headers or {})},
        )
        if resp.status_code == 201:
            self.note(resp)
        return resp

    def note(self, resp: Response) -> str | None:
        """Record the resource a successful write created; its id (or None)."""
        if not 200 <= resp.status_code < 300:
            return None
        rid = self.id_of(resp)
        if rid and all(c["id"] != rid for c in self.created):
            self.created.append({"type": self.write.resource_type, "id": rid, "removed": None})
        return rid

    def id_of(self, resp: Response) -> str | None:
        body = json_body(resp)
        if isinstance(body, dict) and body.get("resourceType") == self.write.resource_type and body.get("id"):
            return str(body["id"])
        parts = location_parts(resp)
        return parts[1] if parts else None

    def clean_up(self, evidence: Evidence) -> None:
        """DELETE what was created (when declared) and attach the record; never changes a verdict."""
        can_delete = "delete" in self.write.interactions()
        for item in self.created:
            if not can_delete:
                item["removed"] = "not removed: the CapabilityStatement declares no delete"
                continue
            try:
                resp = self.http.request("DELETE", f"/{item['type']}/{item['id']}", base="fhir", auth="fhir")
                item["removed"] = f"DELETE -> {resp.status_code}"
            except Exception as exc:  # clean-up must never change the verdict
                item["removed"] = f"DELETE failed: {exc}"
        evidence.attach_json("created.json", {"created": self.created})


@dataclass
class Writing:
    """What a write check works with: the type and sample, the ledger, the problems found."""

    write: WriteTarget
    ledger: CreatedLedger
    problems: list[str] = field(default_factory=list)

    def create(self, marker: str, headers: dict[str, str] | None = None) -> Response:
        """POST a marked copy of the sample; a refusal means the check cannot go on (error)."""
        resp = self.ledger.post(marked(self.write.sample, marker), headers)
        if resp.status_code >= 300:
            raise refused_sample(self.write.resource_type, resp)
        return resp

    def created_id(self, resp: Response) -> str:
        rid = self.ledger.id_of(resp)
        if rid is None:
            raise CheckError(f"{resp.describe()} named no id for the created resource: nothing to go on with")
        return rid


@contextmanager
def writing(
    http: HttpClient,
    target: Target,
    params: WriteParams,
    evidence: Evidence,
    *,
    needs: tuple[str, ...],
    clause: str,
    label: str,
) -> Iterator[Writing]:
    """The frame of a write check.

    Skips when the CapabilityStatement does not declare ``needs``; removes what the check
    created whatever happens; on a normal end attaches the problems with the clause as
    ``fhir-<label>.json`` and fails with them (``label`` starts the message).
    """
    write = write_target(http, target, params)
    write.require(*needs)
    work = Writing(write, CreatedLedger(http, write))
    try:
        yield work
    finally:
        work.ledger.clean_up(evidence)
    evidence.attach_json(f"fhir-{label.split(' ')[0]}.json", {"clause": clause, "problems": work.problems})
    if work.problems:
        fail(f"{label}: " + "; ".join(work.problems))
