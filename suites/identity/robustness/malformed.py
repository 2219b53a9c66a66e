"""Malformed identities never crash the SUT nor slip an invalid INS through."""

from __future__ import annotations

import contextlib
from typing import Any

from pydantic import Field

from homolog import CheckError, Evidence, HttpClient, HttpError, Params, Target, check, fail
from homolog.suites.seeded_examples import Delivery, choose_seed, draw_examples, transport_outcome

from ..fr_core_patient import build_patient
from ..insi_service import make_known_to_insi
from ..nir import is_valid_nir
from ..oids import ins_oid_acceptable
from ..settings import load_identity_settings
from ..strategies import malformed_identities
from ..sut import WRITES_PATIENTS, body_json, create_patient, delete_patient, ins_values, mark_reliability

__all__ = ["RobustnessParams", "malformed_identities_handled"]

# A failing run lists this many examples in full; the rest are counted.
_KEEP_FAILURES = 20


class RobustnessParams(Params):
    """``examples`` identities are generated from ``seed`` (same seed, same identities);
    the target's ``settings.identity.robustness_seed`` overrides the seed."""

    examples: int = Field(default=200, ge=1, le=5000)
    seed: int = 0


def _patient_for(identity: dict[str, Any]) -> dict[str, Any]:
    patient = build_patient(
        family=identity["family"],
        given=identity["given"],
        birth_date=identity["birth_date"],
        gender=identity["gender"],
        birthplace=identity["birthplace"],
        status=None,
        ins=identity["ins"],
        oid=identity["oid"],
    )
    mark_reliability(patient, "QUAL" if identity["ins"] is not None else "PROV")
    return patient


@check("identity.robustness.malformed", params=RobustnessParams, needs=WRITES_PATIENTS)
def malformed_identities_handled(
    http: HttpClient, target: Target, params: RobustnessParams, evidence: Evidence
) -> None:
    """Malformed identities never cause a server error nor get an invalid INS accepted.

    ``examples`` identities (default 200) are drawn by hypothesis from the seed before
    any is sent: the same seed sends the same identities. A request the server breaks
    off (connection reset, timeout, truncated answer) fails like a server error, and what
    was found before is kept; after three in a row the rest are not sent. Failing
    examples go to the evidence.
    """
    id_settings = load_identity_settings(target)
    accepted = tuple(id_settings.accepted_ins_oids)
    chosen = choose_seed(target, "identity", params.seed)
    identities = draw_examples(malformed_identities(ins_oids=accepted), seed_value=chosen.value, count=params.examples)
    failures: list[dict[str, Any]] = []
    delivery = Delivery()
    statuses: dict[str, int] = {}
    can_delete = True

    def record(problem: str, entry: dict[str, Any]) -> None:
        failures.append({"problem": problem, **entry} if len(failures) < _KEEP_FAILURES else {"problem": problem})

    for identity in identities:
        patient = _patient_for(identity)
        # Known to the INSi simulator as sent (if there is one): what gets refused is then
        # refused by the system's own checks, not by INSi not knowing the INS.
        with contextlib.suppress(CheckError):
            make_known_to_insi(target, patient, as_given=True)
        try:
            resp, new_id = create_patient(http, patient)
        except HttpError as exc:
            kind = transport_outcome(exc)
            statuses[kind] = statuses.get(kind, 0) + 1
            record(f"{kind} for POST /Patient", {"request": "POST /Patient", "detail": str(exc), "patient": patient})
            if delivery.broke():
                break
            continue
        delivery.answer()
        klass = f"{resp.status_code // 100}xx"
        statuses[klass] = statuses.get(klass, 0) + 1
        problem = None
        ins, oid = identity["ins"], identity["oid"]
        # Sent under an INS OID the target accepts: the SUT must check it. Under another
        # OID (obsolete INS-C, garbage) it may ignore the identifier, but never expose it.
        invalid_ins = ins is not None and oid in accepted and not (isinstance(ins, str) and is_valid_nir(ins))
        if resp.status_code >= 500:
            problem = f"server error {resp.status_code}"
        elif 200 <= resp.status_code < 300:
            body = body_json(resp)
            exposed = ins_values(body) if isinstance(body, dict) else []
            bad_exposed = [
                f"{v!r} (urn:oid:{o})"
                for o, v in exposed
                if not (isinstance(v, str) and is_valid_nir(v)) or not ins_oid_acceptable(o or "", accepted=accepted)
            ]
            if invalid_ins:
                problem = f"accepted invalid INS {ins!r} under urn:oid:{oid}"
            elif bad_exposed:
                problem = f"stored and exposes invalid INS {bad_exposed}"
            if can_delete and new_id:
                # Stop trying once the SUT shows it has no DELETE: halves the requests.
                can_delete = delete_patient(http, new_id)
        if problem is not None:
            record(problem, {"status": resp.status_code, "request": resp.describe(), "patient": patient})

    summary = {
        **chosen.to_json(),
        "examples_requested": params.examples,
        "sent": delivery.sent,
        "status_classes": statuses,
        "failures": len(failures),
    }
    evidence.attach_json("robustness-summary.json", summary)
    if failures:
        evidence.attach_json("robustness-failures.json", failures)
    delivery.ensure_answered("malformed identities", chosen.value, failures[0]["problem"] if failures else None)
    if failures:
        fail(
            f"{len(failures)} of {delivery.sent} malformed identities (seed {chosen.value}"
            f"{delivery.stopped(len(identities))}) went wrong; first: {failures[0]['problem']} — example in "
            "robustness-failures.json"
        )
    if len(identities) < params.examples:
        raise CheckError(f"only {len(identities)} of {params.examples} identities could be generated")
