"""JUnit XML for CI: one testcase per executed check, the requirement as classname.

Requirements without checks (attestations, manual, not tested) appear as one
testcase named after the requirement so CI shows them. Mapping of verdicts:
failed -> <failure>, error -> <error>, passed/attested -> success, everything else
(skipped, not applicable, manual, waived) -> <skipped> with the reason. A failing
check under a waived requirement is reported as skipped with the waiver, because
the waiver is the decision of record for that requirement.
"""

from __future__ import annotations

import re
from pathlib import Path

from lxml import etree  # type: ignore[import-untyped]

from homolog.reports.model import Check, Requirement, Run

__all__ = ["JunitReporter"]

# XML 1.0 cannot carry most control characters; SUT messages may contain them.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
MAX_MESSAGE_CHARS = 64 * 1024


def _clean(text: str | None) -> str:
    text = _XML_INVALID.sub("\ufffd", text or "")
    if len(text) > MAX_MESSAGE_CHARS:
        text = text[:MAX_MESSAGE_CHARS] + " […]"
    return text


def _outcome(req: Requirement, verdict: str, message: str) -> tuple[str | None, str]:
    """(element name or None for success, message) for a check verdict."""
    if req.verdict == "waived" and verdict in ("failed", "error"):
        w = req.waiver or {}
        return "skipped", (
            f"waived: {w.get('justification', '')} (approver {w.get('approver', '?')}, "
            f"until {w.get('expires', '?')}); check said: {message}"
        )
    if verdict == "failed":
        return "failure", message
    if verdict == "error":
        return "error", message
    if verdict in ("passed", "attested"):
        return None, message
    return "skipped", f"{verdict}: {message}" if message else verdict


def _case(
    suite: etree._Element,
    req: Requirement,
    name: str,
    verdict: str,
    message: str,
    duration: float | None,
    evidence: tuple[str, ...],
) -> None:
    case = etree.SubElement(suite, "testcase", classname=_clean(req.id), name=_clean(name))
    case.set("time", f"{duration or 0.0:.3f}")
    kind, text = _outcome(req, verdict, message)
    if kind is not None:
        el = etree.SubElement(case, kind, message=_clean(text.splitlines()[0] if text else kind))
        el.set("type", verdict)
        if kind != "skipped":
            el.text = _clean(text)
    if evidence:
        out = etree.SubElement(case, "system-out")
        out.text = _clean("evidence:\n" + "\n".join(evidence))


def _check_name(chk: Check) -> str:
    if not chk.params:
        return chk.check
    args = ",".join(f"{k}={v}" for k, v in sorted(chk.params.items()))
    return f"{chk.check}[{args}]"


class JunitReporter:
    """JUnit XML report (``junit.xml``)."""

    name = "junit"
    filename = "junit.xml"

    def render(self, run: Run, out_dir: Path, lang: str) -> Path:
        """Write ``junit.xml`` into ``out_dir`` (language-independent)."""
        ref = run.referential
        root = etree.Element("testsuites", name=_clean(f"homolog {ref.get('id', '')}"))
        suites: dict[str, etree._Element] = {}
        totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        per_suite: dict[str, dict[str, int]] = {}
        for req in run.requirements:
            suite_name = req.origin or f"{ref.get('id', '')}@{ref.get('version', '')}"
            if suite_name not in suites:
                suites[suite_name] = etree.SubElement(root, "testsuite", name=_clean(suite_name))
                per_suite[suite_name] = dict.fromkeys(totals, 0)
            suite = suites[suite_name]
            cases = (
                [(_check_name(c), c.verdict, c.message, c.duration, c.evidence) for c in req.checks]
                if req.checks
                else [(f"requirement ({req.mode})", req.verdict, req.reason or "", None, ())]
            )
            for name, verdict, message, duration, evidence in cases:
                _case(suite, req, name, verdict, message, duration, evidence)
                kind, _ = _outcome(req, verdict, message)
                counts = per_suite[suite_name]
                counts["tests"] += 1
                if kind == "failure":
                    counts["failures"] += 1
                elif kind == "error":
                    counts["errors"] += 1
                elif kind == "skipped":
                    counts["skipped"] += 1
        for name, suite in suites.items():
            for key, value in per_suite[name].items():
                suite.set(key, str(value))
                totals[key] += value
        for key, value in totals.items():
            root.set(key, str(value))
        path = out_dir / self.filename
        etree.ElementTree(root).write(str(path), xml_declaration=True, encoding="UTF-8", pretty_print=True)
        return path
