"""INS object identifiers and where each one is acceptable.

FR Core ``fr-core-patient-ins`` slices the INS identifier by its system
(``urn:oid:<OID>``). Production data carries an INS-NIR or an INS-NIA; the test and
demonstration NIR OIDs mark fictitious patients and are acceptable only where a
target declares test data; the INS-C OID is obsolete and never acceptable.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "INS_C",
    "INS_NIA",
    "INS_NIR",
    "INS_NIR_DEMO",
    "INS_NIR_TEST",
    "INS_OIDS",
    "PRODUCTION_INS_OIDS",
    "TEST_INS_OIDS",
    "InsOid",
    "accepted_ins_oids",
    "ins_oid_acceptable",
    "oid_from_system",
    "system_for_oid",
]


@dataclass(frozen=True)
class InsOid:
    """One INS assigning authority: its OID, FR Core identifier type code and usage."""

    oid: str
    type_code: str
    label: str
    production: bool
    test: bool
    obsolete: bool = False

    @property
    def system(self) -> str:
        """The FHIR ``Identifier.system`` for this OID."""
        return f"urn:oid:{self.oid}"


INS_NIR = InsOid("1.2.250.1.213.1.4.8", "INS-NIR", "INS-NIR", production=True, test=True)
INS_NIA = InsOid("1.2.250.1.213.1.4.9", "INS-NIA", "INS-NIA (temporary)", production=True, test=True)
INS_NIR_TEST = InsOid("1.2.250.1.213.1.4.10", "INS-NIR-TEST", "INS-NIR of a test patient", production=False, test=True)
INS_NIR_DEMO = InsOid(
    "1.2.250.1.213.1.4.11", "INS-NIR-DEMO", "INS-NIR of a demonstration patient", production=False, test=True
)
INS_C = InsOid(
    "1.2.250.1.213.1.4.2", "INS-C", "INS-C (obsolete, computed INS)", production=False, test=False, obsolete=True
)

INS_OIDS: dict[str, InsOid] = {o.oid: o for o in (INS_NIR, INS_NIA, INS_NIR_TEST, INS_NIR_DEMO, INS_C)}
PRODUCTION_INS_OIDS: frozenset[str] = frozenset(o.oid for o in INS_OIDS.values() if o.production)
TEST_INS_OIDS: frozenset[str] = frozenset(o.oid for o in INS_OIDS.values() if o.test)


def oid_from_system(system: str | None) -> str | None:
    """Return the OID in an ``urn:oid:`` system URI, or None for any other system."""
    if isinstance(system, str) and system.startswith("urn:oid:"):
        return system[len("urn:oid:") :]
    return None


def system_for_oid(oid: str) -> str:
    """Return the ``urn:oid:`` system URI for an OID."""
    return f"urn:oid:{oid}"


def accepted_ins_oids(*, test_data: bool = False) -> frozenset[str]:
    """The INS OIDs acceptable in production (NIR, NIA) or on test data (plus test, demo)."""
    return TEST_INS_OIDS if test_data else PRODUCTION_INS_OIDS


def ins_oid_acceptable(oid: str, *, test_data: bool = False, accepted: Iterable[str] | None = None) -> bool:
    """True when ``oid`` may carry an INS here; ``accepted`` overrides the default set.

    The obsolete INS-C OID is refused even when listed in ``accepted``.
    """
    info = INS_OIDS.get(oid)
    if info is not None and info.obsolete:
        return False
    allowed = frozenset(accepted) if accepted is not None else accepted_ins_oids(test_data=test_data)
    return oid in allowed
