"""Check `ui.a11y.rgaa_criterion`: axe-core's automated tests of one RGAA 4.1 criterion."""

from __future__ import annotations

import pytest

from homolog import Evidence, check, error, fail
from homolog.suites.ui.audit import PAGE_WORK, axe_audits
from homolog.suites.ui.axe import PageAudit, decide_criterion
from homolog.suites.ui.params import RgaaCriterionParams, pages_needs, pages_to_audit
from homolog.suites.ui.session import UiSession


def _attach(evidence: Evidence, criterion: str, audits: list[PageAudit]) -> None:
    pages = []
    for audit in audits:
        summary = audit.to_json()
        mapped = {r.rule_id for r in audit.for_criterion(criterion)}
        summary["rules"] = {k: v for k, v in summary["rules"].items() if k in mapped}
        pages.append(summary)
    evidence.attach_json(f"axe-rgaa-{criterion}.json", {"criterion": criterion, "pages": pages})


@check("ui.a11y.rgaa_criterion", params=RgaaCriterionParams, needs=pages_needs, together=PAGE_WORK)
def rgaa_criterion(ui: UiSession, params: RgaaCriterionParams, evidence: Evidence) -> None:
    """The audited pages pass the automated (axe-core) tests of the RGAA criterion.

    Each mapped page is loaded in Chromium (logged in when needed), the pinned axe-core
    runs its rules tagged for RGAA, and the rules tagged for this criterion decide:
    a violation on any page fails; an `incomplete` result (axe cannot tell) is an error
    an auditor must resolve, unless it is a text's contrast the page as rendered decides
    (`homolog.suites.ui.contrast`); when no rule finds an element to test on any page the
    criterion is not applicable there (skipped). The criterion's other, manual tests are
    not covered by this check.
    """
    audits = axe_audits(ui, pages_to_audit(params, ui.target), public_pages=params.public_pages, login=params.login)
    _attach(evidence, params.criterion, audits)
    decision = decide_criterion(params.criterion, audits)
    if decision.verdict in ("failed", "error"):
        for audit in audits:
            if audit.page_name in decision.failing_pages and audit.screenshot:
                evidence.attach_bytes(f"screenshot-{audit.page_name}.png", audit.screenshot, media_type="image/png")
        if decision.verdict == "failed":
            fail(decision.message)
        error(decision.message)
    if decision.verdict == "not_applicable":
        pytest.skip(decision.message)
