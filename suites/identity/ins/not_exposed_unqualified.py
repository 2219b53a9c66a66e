"""INS and its OID are not exposed for an identity that is not qualified."""

from __future__ import annotations

from homolog import CheckError, Evidence, HttpClient, Needs, Params, Target, check, fail

from ..insi_service import make_known_to_insi
from ..settings import load_identity_settings
from ..sut import (
    IDENTITY_API,
    create_patient,
    delete_patient,
    ins_values,
    marker,
    qualified_test_patient,
    read_patient,
    rniv_status,
)

__all__ = ["UnqualifiedParams", "ins_not_exposed_unqualified"]


class UnqualifiedParams(Params):
    """``create``: also create recovered and validated identities carrying an INS."""

    create: bool = True


def _needs(params: UnqualifiedParams) -> Needs:
    return IDENTITY_API | Needs(data=("patient_unqualified",), writes=params.create)


@check("identity.ins.not_exposed_unqualified", params=UnqualifiedParams, needs=_needs)
def ins_not_exposed_unqualified(
    http: HttpClient, target: Target, params: UnqualifiedParams, evidence: Evidence
) -> None:
    """The INS and its OID are not exposed for an identity that is not qualified."""
    settings = load_identity_settings(target)
    exposed: list[str] = []
    patient_id = str(target.datum("patient_unqualified"))
    patient = read_patient(http, patient_id)
    status = rniv_status(patient, settings)
    if status == "QUAL":
        raise CheckError(
            f"target data patient_unqualified (Patient/{patient_id}) is qualified on the SUT: fix the target"
        )
    if ins_values(patient):
        exposed.append(f"Patient/{patient_id} (status {status}) exposes {ins_values(patient)}")
    if params.create:
        # An INS obtained from INSi but not yet checked against an ID document (RECUP),
        # and an identity checked without INSi (VALI), must both stay INS-less outside.
        for rniv in ("RECUP", "VALI"):
            sent = qualified_test_patient(settings, family=marker(), rniv=rniv)
            make_known_to_insi(target, sent)
            resp, new_id = create_patient(http, sent)
            if not new_id:
                raise CheckError(
                    f"could not create a {rniv} test patient: {resp.describe()} answered {resp.status_code}"
                )
            try:
                stored = read_patient(http, new_id)
                if rniv_status(stored, settings) == "QUAL":
                    raise CheckError(f"the SUT stored the {rniv} test identity as qualified")
                if ins_values(stored):
                    exposed.append(f"Patient/{new_id} ({rniv}) exposes {ins_values(stored)}")
                    evidence.attach_json(f"patient-{rniv}.json", stored)
            finally:
                delete_patient(http, new_id)
    if exposed:
        fail("INS exposed for identities that are not qualified: " + "; ".join(exposed))
