"""Allure results that read like the run: homolog's model on allure-pytest's test results.

The homolog plugin registers `AllureLabels` only when allure-pytest writes results
(`--alluredir DIR`, given to `homolog run`/`homolog demo` or to pytest). Each case
item then carries, at collection (so that `--allure-epics`, `--allure-severities` ...
select cases too):

- epic: the referential ("<title> (<id> <version>)"); feature: the requirement's family
  (its title when the referential declares one); story: "<requirement id> <title>";
- parentSuite / suite / subSuite: the same three, so that the Suites tab groups as the
  homolog report does;
- severity from the requirement's level: `exigence` → critical, `preconisation` → minor;
- a link to the source document (when it has an http(s) URL), labels `requirement`
  and `check` with the ids;

and when the case ends (its teardown report, after homolog decided the verdict):

- name: the check's report sentence (and its label); description: the requirement's
  text and source; a fullName, testCaseId and historyId made from the referential and
  the case key, so Allure follows one case across runs;
- parameters: the check id, its label and each `with:` parameter (the raw case object
  pytest parametrizes with is dropped);
- status from the verdict: passed, failed, error → broken, skipped; the verdict's
  message as the status message (a `CheckFailed` is a failure, not a broken test);
- every evidence file of the case as an attachment (the exchange JSON, screenshots,
  validator output), typed by its extension.

Allure results hold test cases: requirements without a case (not applicable, manual,
not tested) are in the run and its reports, not here.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

import allure
import allure_commons
import pytest
from allure_commons.model2 import Label, Link, Parameter, Status, StatusDetails
from allure_commons.types import AttachmentType, LabelType, LinkType, Severity
from allure_commons.utils import md5, uuid4

from .evidence import Evidence
from .plan import Case
from .referential import Referential

__all__ = ["SEVERITY", "STATUS", "AllureLabels"]

#: Allure severity of a requirement's level.
SEVERITY = {"exigence": Severity.CRITICAL, "preconisation": Severity.MINOR}
#: Allure status of a check's verdict.
STATUS = {"passed": Status.PASSED, "failed": Status.FAILED, "error": Status.BROKEN, "skipped": Status.SKIPPED}
# the labels that say which requirement a result is about
_CASE_LABELS = {"epic", "feature", "story", "parentSuite", "suite", "subSuite", "severity", "requirement", "check"}
_CASE_LABELS |= {"tag"}  # describe() adds it again
_TYPES = {f".{t.extension}": t for t in AttachmentType} | {".jpeg": AttachmentType.JPG, ".log": AttachmentType.TEXT}


class AllureLabels:
    """The pytest plugin the homolog plugin registers, given how to find a case and its evidence."""

    def __init__(
        self,
        referential: Referential,
        case_of: Callable[[pytest.Item], Case | None],
        evidence_of: Callable[[pytest.Item], Evidence | None],
        sharers_of: Callable[[Case], list[Case]] = lambda case: [],
    ) -> None:
        self.referential = referential
        self.case_of = case_of
        self.evidence_of = evidence_of
        self.sharers_of = sharers_of
        self.epic = f"{referential.title} ({referential.id} {referential.version})"
        # uuid of an Allure result -> the cases whose requirement its execution also serves
        self._pending: dict[str, list[Case]] = {}
        allure_commons.plugin_manager.register(self)

    def close(self) -> None:
        allure_commons.plugin_manager.unregister(self)

    @allure_commons.hookimpl
    def report_result(self, result: Any) -> None:
        """A case run once for several requirements: one Allure result for each of them, the
        same outcome and the same attachment files (referenced, not copied)."""
        for case in self._pending.pop(result.uuid, ()):
            twin = copy.deepcopy(result)
            twin.uuid = uuid4()
            twin.labels = [lab for lab in twin.labels if lab.name not in _CASE_LABELS] + self.labels(case)
            twin.links = [link for link in twin.links if link.type != LinkType.LINK] + self.links(case)
            self.describe(twin, case)
            allure_commons.plugin_manager.hook.report_result(result=twin)

    def labels(self, case: Case) -> list[Label]:
        """The labels a case's marks give its Allure result (for a result made by copy)."""
        feature, story = self.feature(case), _story(case)
        pairs = [
            (LabelType.EPIC, self.epic),
            (LabelType.FEATURE, feature),
            (LabelType.STORY, story),
            (LabelType.PARENT_SUITE, self.epic),
            (LabelType.SUITE, feature),
            (LabelType.SUB_SUITE, story),
            (LabelType.SEVERITY, SEVERITY.get(case.requirement.level, Severity.NORMAL).value),
            ("requirement", case.requirement.id),
            ("check", case.ref.check),
        ]
        return [Label(name=name, value=value) for name, value in pairs]

    def links(self, case: Case) -> list[Link]:
        req = case.requirement
        url = req.source.url
        if not (url and url.startswith(("https://", "http://"))):
            return []
        name = " — ".join(x for x in (req.source.document, req.source.section) if x) or url
        return [Link(type=LinkType.LINK, url=url, name=name)]

    def feature(self, case: Case) -> str:
        family = case.requirement.family
        if not family:
            return "-"
        declared = self.referential.families.get(family)
        return f"{declared.fr} ({family})" if declared is not None and declared.fr else family

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        for item in items:
            case = self.case_of(item)
            if case is None:
                continue
            req = case.requirement
            feature, story = self.feature(case), _story(case)
            marks = [
                allure.epic(self.epic),
                allure.feature(feature),
                allure.story(story),
                allure.parent_suite(self.epic),
                allure.suite(feature),
                allure.sub_suite(story),
                allure.severity(SEVERITY.get(req.level, Severity.NORMAL)),
                allure.label("requirement", req.id),
                allure.label("check", case.ref.check),
            ]
            url = req.source.url
            if url and url.startswith(("https://", "http://")):
                name = " — ".join(x for x in (req.source.document, req.source.section) if x) or url
                marks.append(allure.link(url, name=name))
            for mark in marks:
                item.add_marker(mark)

    @pytest.hookimpl(hookwrapper=True, tryfirst=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, None]:
        # Outermost wrapper: runs after allure-pytest set its status and after homolog
        # decided the verdict (both in their own wrappers of the teardown report).
        outcome = yield
        case = self.case_of(item)
        listener = item.config.pluginmanager.get_plugin("allure_listener")
        if call.when != "teardown" or case is None or listener is None:
            return
        result = listener.allure_logger.get_test(None)
        if result is None:
            return
        props = dict(outcome.get_result().user_properties)
        self.describe(result, case)
        sharers = self.sharers_of(case)
        if sharers:
            self._pending[result.uuid] = sharers
        verdict = str(props.get("homolog_verdict", "error"))
        result.status = STATUS.get(verdict, Status.BROKEN)
        if verdict != "passed":
            message = str(props.get("homolog_message") or "")
            trace = result.statusDetails.trace if result.statusDetails is not None else None
            result.statusDetails = StatusDetails(message=f"{verdict}: {message}" if message else verdict, trace=trace)
        evidence = self.evidence_of(item)
        if evidence is not None:
            for rel in evidence.paths:
                _attach(listener, result.uuid, evidence.run_dir / rel, rel)

    def describe(self, result: Any, case: Case) -> None:
        req = case.requirement
        ref_id = self.referential.id
        result.name = case.title + (f" [{case.ref.label}]" if case.ref.label else "")
        result.fullName = f"{ref_id}#{case.key}"
        result.testCaseId = md5(f"{ref_id}#{case.key}")
        result.historyId = md5(f"{ref_id}#{case.key}")
        result.titlePath = [self.epic, self.feature(case), _story(case)]
        source = " — ".join(x for x in (req.source.document, req.source.section, req.source.version) if x)
        result.description = req.text.fr + (f"\n\nSource : {source}" if source else "")
        params = [Parameter(name="check", value=case.ref.check)]
        if case.ref.label:
            params.append(Parameter(name="label", value=case.ref.label))
        params += [Parameter(name=str(k), value=_text(v)) for k, v in sorted(case.ref.params_json.items())]
        result.parameters = params
        # allure-pytest named the engine's case module as package: meaningless here
        result.labels = [lab for lab in result.labels if lab.name != "package"]
        result.labels.append(Label(name=LabelType.TAG, value=req.level))


def _story(case: Case) -> str:
    return f"{case.requirement.id} {case.requirement.title}"


def _text(value: Any) -> str:
    import json

    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)


def _attach(listener: Any, parent: str, path: Path, rel: str) -> None:
    if not path.is_file():
        return
    kind = _TYPES.get(path.suffix.lower())
    listener.allure_logger.attach_file(
        uuid4(),
        str(path),
        name=rel.removeprefix("evidence/"),
        attachment_type=kind if kind is not None else "application/octet-stream",
        extension=None if kind is not None else (path.suffix.lstrip(".") or "bin"),
        parent_uuid=parent,
    )
