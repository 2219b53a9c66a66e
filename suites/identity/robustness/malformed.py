"""Malformed identities never crash the SUT nor slip an invalid INS through."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, Phase, given, seed, settings
from pydantic import Field

from homolog import CheckError, Evidence, HttpClient, Params, Target, check, fail

from ..fr_core_patient import build_patient
from ..nir import is_valid_nir
from ..oids import ins_oid_acceptable
from ..settings import load_identity_settings
from ..strategies import malformed_identities
from ..sut import WRITES_PATIENTS, body_json, create_patient, delete_patient, ins_values, mark_reliability

__all__ = ["RobustnessParams", "malformed_identities_handled"]

# A failing run lists this many examples in full; the rest are counted.
_KEEP_FAILURES = 20


class RobustnessParams(Params):
    """``examples`` identities are generated from ``seed`` (same seed, same identities)."""

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

    ``examples`` identities (default 200) are drawn by hypothesis from ``seed``: the
    same seed replays the same identities. Failing examples go to the evidence.
    """
    id_settings = load_identity_settings(target)
    accepted = tuple(id_settings.accepted_ins_oids)
    failures: list[dict[str, Any]] = []
    sent = [0]
    statuses: dict[str, int] = {}
    can_delete = [True]

    @seed(params.seed)
    @settings(
        max_examples=params.examples,
        database=None,
        deadline=None,
        phases=(Phase.generate,),
        suppress_health_check=list(HealthCheck),
    )
    @given(malformed_identities(ins_oids=accepted))
    def probe(identity: dict[str, Any]) -> None:
        patient = _patient_for(identity)
        resp, new_id = create_patient(http, patient)
        sent[0] += 1
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
            if can_delete[0] and new_id:
                # Stop trying once the SUT shows it has no DELETE: halves the requests.
                can_delete[0] = delete_patient(http, new_id)
        if problem is not None:
            failures.append(
                {"problem": problem, "status": resp.status_code, "request": resp.describe(), "patient": patient}
                if len(failures) < _KEEP_FAILURES
                else {"problem": problem}
            )

    try:
        probe()
    except Exception as exc:  # a transport error mid-run: say how far we got
        raise CheckError(f"robustness run stopped after {sent[0]} request(s): {exc}") from exc
    summary = {
        "seed": params.seed,
        "examples_requested": params.examples,
        "sent": sent[0],
        "status_classes": statuses,
        "failures": len(failures),
    }
    evidence.attach_json("robustness-summary.json", summary)
    if failures:
        evidence.attach_json("robustness-failures.json", failures)
        first = failures[0]
        fail(
            f"{len(failures)} of {sent[0]} malformed identities (seed {params.seed}) went "
            f"wrong; first: {first['problem']} — example in robustness-failures.json"
        )
    if sent[0] < params.examples:
        raise CheckError(f"only {sent[0]} of {params.examples} identities could be generated")
