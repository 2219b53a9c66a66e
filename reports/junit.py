"""JUnit XML for CI: one testcase per executed check, the requirement as classname.

Requirements without checks (attestations, manual, not tested) appear as one
testcase named after the requirement so CI shows them. Mapping of verdicts:
failed -> <failure>, error -> <error>, passed/attested -> success, everything else
(skipped, not applicable, manual, waived) -> <skipped> with the reason. A failing
check under a waived requirement is reported as skipped with the waiver, because
the waiver is the decision of record for that requirement.

What the session did not run (deselected with -k or -m) is no testcase at all: a
CI would count it as skipped. Each test suite lists it in a property
``homolog.deselected`` (space-separated requirement ids).
"""

from __future__ import annotations

import re
from pathlib import Path

from lxml import etree

from homolog.reports.model import Check, Requirement, Run
from homolog.verdicts import Verdict

__all__ = ["JunitReporter"]

# XML 1.0 cannot carry most control characters; SUT messages may contain them.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
MAX_MESSAGE_CHARS = 64 * 1024


def _clean(text: str | None) -> str:
    text = _XML_INVALID.sub("\ufffd", text or "")
    if len(text) > MAX_MESSAGE_CHARS:
        text = text[:MAX_MESSAGE_CHARS] + " […]"
    return text


def _outcome(req: Requirement, verdict: Verdict, message: str) -> tuple[str | None, str]:
    """(element name or None for success, message) for a check verdict."""
    if req.verdict == Verdict.WAIVED and verdict in (Verdict.FAILED, Verdict.ERROR):
        w = req.waiver or {}
        return "skipped", (
            f"waived: {w.get('justification', '')} (approver {w.get('approver', '?')}, "
            f"until {w.get('expires', '?')}); check said: {message}"
        )
    if verdict == Verdict.FAILED:
        return "failure", message
    if verdict == Verdict.ERROR:
        return "error", message
    if verdict in (Verdict.PASSED, Verdict.ATTESTED):
        return None, message
    return "skipped", f"{verdict.value}: {message}" if message else verdict.value


def _case(
    suite: etree._Element,
    req: Requirement,
    name: str,
    verdict: Verdict,
    message: str,
    duration: float | None,
    evidence: tuple[str, ...],
) -> None:
    case = etree.SubElement(suite, "testcase", classname=_clean(req.id), name=_clean(name))
    case.set("time", f"{duration or 0.0:.3f}")
    kind, text = _outcome(req, verdict, message)
    if kind is not None:
        el = etree.SubElement(case, kind, message=_clean(text.splitlines()[0] if text else kind))
        el.set("type", verdict.value)
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
        root = etree.Element("testsuites", name=_clean(f"homolog {ref.id}"))
        suites: dict[str, etree._Element] = {}
        totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        per_suite: dict[str, dict[str, int]] = {}
        deselected: dict[str, list[str]] = {}
        for req in run.requirements:
            suite_name = req.origin or ref.ref
            if suite_name not in suites:
                suites[suite_name] = etree.SubElement(root, "testsuite", name=_clean(suite_name))
                per_suite[suite_name] = dict.fromkeys(totals, 0)
            suite = suites[suite_name]
            if req.verdict is None:
                deselected.setdefault(suite_name, []).append(req.id)
                continue
            cases = (
                [
                    (_check_name(c), c.verdict, c.message or "", c.duration, c.evidence)
                    for c in req.checks
                    if c.verdict is not None
                ]
                if req.checks
                else [(f"requirement ({req.kind.replace('_', '-')})", req.verdict, req.reason or "", None, ())]
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
            if deselected.get(name):
                props = etree.Element("properties")
                etree.SubElement(props, "property", name="homolog.deselected", value=_clean(" ".join(deselected[name])))
                suite.insert(0, props)
            for key, value in per_suite[name].items():
                suite.set(key, str(value))
                totals[key] += value
        for key, value in totals.items():
            root.set(key, str(value))
        path = out_dir / self.filename
        etree.ElementTree(root).write(str(path), xml_declaration=True, encoding="UTF-8", pretty_print=True)
        return path
