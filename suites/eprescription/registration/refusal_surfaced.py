"""eprescription.registration.refusal_surfaced: a registration the service refuses is never printed."""

from __future__ import annotations

from homolog import CheckError, Evidence, HttpClient, SharedState, Target, check, fail
from homolog.counterparts.eprescription import ControlError, EprescriptionControl

from ..exchange import PRESCRIBES, attach, prescribe, serialised

__all__ = ["refusal_surfaced"]

_CODE = "ERX_REFUSED"
_REASON = "registration refused by the e-prescription service (ordered by homolog)"


@check("eprescription.registration.refusal_surfaced", needs=PRESCRIBES)
def refusal_surfaced(
    eprescription: EprescriptionControl, target: Target, http: HttpClient, evidence: Evidence, shared_state: SharedState
) -> None:
    """When the e-prescription service refuses a registration, the system reports it and prints no prescription.

    The service is ordered to refuse the next registration (422, as it refuses a malformed
    one), then the system is asked to prescribe (``settings.eprescription.trigger``). A
    prescription without a registered number is worth nothing at the pharmacy: the system
    must answer with an error and hand out no printed prescription.
    """
    with serialised(shared_state, eprescription):
        try:
            eprescription.refuse_next(1, status=422, code=_CODE, reason=_REASON)
        except ControlError as exc:
            raise CheckError(str(exc)) from exc
        try:
            made = prescribe(target, http, eprescription)
        finally:
            try:
                eprescription.cancel_refusals()
            except ControlError as exc:
                raise CheckError(f"could not withdraw the refusal order: {exc}") from exc
    attach(evidence, made, name="eprescription-refused")
    regs = [r for r in made.registrations if r.get("operation") == "register"]
    refused = [r for r in regs if r.get("outcome") == "refused"]
    printed = made.pdf is not None or int(made.trigger.get("status") or 0) < 400
    if made.registered:
        number = made.registered[-1].get("prescription_id")
        why = (
            "after refusing the first attempt (the system tried again)"
            if refused
            else "although it was ordered to refuse the next registration"
        )
        raise CheckError(f"the service registered prescription {number} {why}: the refusal path was not exercised")
    if not refused:
        if printed:
            fail(
                "the system answered a prescription without registering it with the e-prescription service"
                f" ({made.answer()})"
            )
        raise CheckError(
            f"no registration reached the service, and the system answered with an error ({made.answer()}):"
            " the refusal path was not exercised"
        )
    if printed:
        what = "printed a prescription" if made.pdf is not None else "answered as if the prescription were made"
        fail(
            f"the service refused the registration ({refused[-1].get('status')}: "
            f"{'; '.join(refused[-1].get('problems') or [])}) but the system {what} ({made.answer()})"
        )
