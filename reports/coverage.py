"""Coverage at a glance: how a referential's requirements are verified, family by family.

A requirement is verified in one of three ways, as its referential writes it (the
`kind` of the run format): **automated** (checks), **attested** (``manual``: an
attestation the vendor supplies and an auditor reviews) or **not tested** (a reason).
:func:`coverage` counts them per family, says which checks each family uses and lists
the requirements whose id is still to confirm against the published text
(``source.to_confirm``).

Two front ends share it: ``homolog coverage`` over referentials (text, Markdown or
JSON; the CLI turns each resolved requirement into an :class:`Entry`) and the first
screen of the HTML report over a run (:func:`run_coverage`, which adds the verdicts).
Coverage counts requirements as written: which of them apply to a given system is a
matter of its declared options, decided by a run, never here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from homolog.reports.model import Run
from homolog.verdicts import DESELECTED, DISPLAY_ORDER

__all__ = [
    "AS_WRITTEN",
    "KINDS",
    "Coverage",
    "Entry",
    "FamilyCoverage",
    "coverage",
    "header_lines",
    "percent",
    "programmes_markdown",
    "programmes_text",
    "run_coverage",
    "to_confirm_of_run",
]

#: The kinds of verification, in display order (the run format's `kind` vocabulary).
KINDS: tuple[str, ...] = ("automated", "manual", "not_tested")
_HEADS = {"automated": "automated", "manual": "attested", "not_tested": "not tested"}
AS_WRITTEN = (
    "Counts the requirements as written: which of them apply to a given system "
    "(applies_to against its declared options) is decided by a run, not here."
)
_LEGEND = "attested: verified by an attestation the vendor supplies and an auditor reviews (manual)."
_NO_FAMILY = "-"


@dataclass(frozen=True)
class Entry:
    """One requirement as coverage sees it."""

    id: str
    title: str
    family: str | None
    kind: str  # automated | manual | not_tested
    checks: tuple[str, ...] = ()  # ids of the checks it uses
    to_confirm: str | None = None  # why its id is not confirmed against the published text
    verdict: str | None = None  # in a run: its verdict as shown (`deselected` when not run)


@dataclass(frozen=True)
class FamilyCoverage:
    """The requirements of one family (or of a whole referential) by kind."""

    family: str
    title: str
    counts: Mapping[str, int]  # kind -> requirements
    checks: Mapping[str, int]  # check id -> requirements of the family that use it
    verdicts: Mapping[str, Mapping[str, int]] = field(default_factory=dict)  # kind -> verdict -> n (runs)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def automated_share(self) -> float | None:
        """Automated requirements over all of them, 0..1 (None for an empty family)."""
        return self.counts.get("automated", 0) / self.total if self.total else None

    def automated_verdicts(self) -> list[tuple[str, int]]:
        """(verdict, requirements) of the automated ones, in the reports' display order (runs only)."""
        verdicts = self.verdicts.get("automated", {})
        return [(v, verdicts[v]) for v in (*(d.value for d in DISPLAY_ORDER), DESELECTED) if verdicts.get(v)]

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"family": self.family, "title": self.title}
        out |= {k: self.counts.get(k, 0) for k in KINDS}
        out |= {"total": self.total, "automated_share": _rounded(self.automated_share)}
        out["checks"] = [{"check": c, "requirements": n} for c, n in self.checks.items()]
        if self.verdicts:
            out["verdicts"] = {k: dict(v) for k, v in self.verdicts.items()}
        return out


@dataclass(frozen=True)
class Coverage:
    """The coverage of one referential: per family, the totals, the ids to confirm."""

    ref: str
    title: str
    publisher: str
    families: tuple[FamilyCoverage, ...]
    totals: FamilyCoverage
    to_confirm: tuple[Entry, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "title": self.title,
            "publisher": self.publisher,
            "totals": self.totals.to_json(),
            "families": [f.to_json() for f in self.families],
            "to_confirm": [{"id": e.id, "title": e.title, "reason": e.to_confirm} for e in self.to_confirm],
        }

    def to_text(self, *, checks: bool = False) -> str:
        width = max([len("family"), len("total"), *(len(f.family) for f in self.families)])
        head = f"{'family':<{width}}" + "".join(f"  {_HEADS[k]:>10}" for k in KINDS) + "  total  automated"
        lines = [f"{self.ref}  {self.title} ({self.publisher})", head]
        for row in (*self.families, self.totals):
            lines.append(
                f"{row.family:<{width}}"
                + "".join(f"  {row.counts.get(k, 0):>10}" for k in KINDS)
                + f"  {row.total:>5}  {percent(row.automated_share):>9}"
            )
        lines.extend(_text_to_confirm(self.to_confirm))
        if checks:
            lines.append("checks by family (requirements using each):")
            for fam in self.families:
                lines.append(f"  {fam.family}:" + ("" if fam.checks else " none"))
                lines.extend(f"    {c}  {n}" for c, n in fam.checks.items())
        return "\n".join(lines) + "\n"

    def to_markdown(self, *, checks: bool = False) -> str:
        lines = [
            f"### {_md(self.ref)} — {_md(self.title)}",
            "",
            f"Publisher: {_md(self.publisher)}. {self.totals.counts.get('automated', 0)} of {self.totals.total}"
            f" requirements automated ({percent(self.totals.automated_share)}).",
            "",
            "| family | " + " | ".join(_HEADS[k] for k in KINDS) + " | total | automated share |",
            "|---|" + "---:|" * (len(KINDS) + 2),
        ]
        for row in (*self.families, self.totals):
            name = _md(f"{row.title} ({row.family})" if row.title and row.title != row.family else row.family)
            if row is self.totals:
                name = "**total**"
            cells = [str(row.counts.get(k, 0)) for k in KINDS] + [str(row.total), percent(row.automated_share)]
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
        if self.to_confirm:
            lines += ["", f"Ids to confirm against the published text ({len(self.to_confirm)}):", ""]
            lines += [f"- `{_md(e.id)}` {_md(e.title)}: {_md(e.to_confirm or '')}" for e in self.to_confirm]
        if checks:
            lines += ["", "Checks by family (requirements using each):", ""]
            for fam in self.families:
                used = ", ".join(f"`{c}` ({n})" for c, n in fam.checks.items()) or "none"
                lines.append(f"- {_md(fam.family)}: {used}")
        return "\n".join(lines) + "\n"


def coverage(
    ref: str,
    entries: Iterable[Entry],
    *,
    title: str = "",
    publisher: str = "",
    family_titles: Mapping[str, str] | None = None,
) -> Coverage:
    """Count `entries` per family (in order of first appearance) and over the whole referential."""
    titles = family_titles or {}
    by_family: dict[str, list[Entry]] = {}
    every = list(entries)
    for entry in every:
        by_family.setdefault(entry.family or _NO_FAMILY, []).append(entry)
    families = tuple(_family(name, titles.get(name, ""), group) for name, group in by_family.items())
    return Coverage(
        ref=ref,
        title=title,
        publisher=publisher,
        families=families,
        totals=_family("total", "", every),
        to_confirm=tuple(e for e in every if e.to_confirm),
    )


def _family(name: str, title: str, entries: list[Entry]) -> FamilyCoverage:
    counts = Counter(e.kind for e in entries)
    checks = Counter(c for e in entries for c in dict.fromkeys(e.checks))
    verdicts: dict[str, Counter[str]] = {}
    for e in entries:
        if e.verdict is not None:
            verdicts.setdefault(e.kind, Counter())[e.verdict] += 1
    return FamilyCoverage(
        family=name,
        title=title,
        counts={k: counts.get(k, 0) for k in KINDS},
        checks=dict(sorted(checks.items(), key=lambda kv: (-kv[1], kv[0]))),
        verdicts={k: dict(v) for k, v in verdicts.items()},
    )


def run_coverage(run: Run, lang: str) -> Coverage:
    """The coverage of the referential a run verified, with the verdict of each requirement."""
    entries = [
        Entry(
            id=r.id,
            title=r.title,
            family=r.family,
            kind=r.kind,
            checks=tuple(c.check for c in r.checks),
            to_confirm=_reason(r.source),
            verdict=r.shown,
        )
        for r in run.requirements
    ]
    families = {r.family or _NO_FAMILY for r in run.requirements}
    ref = run.referential
    return coverage(
        ref.ref,
        entries,
        title=ref.title,
        publisher=ref.publisher,
        family_titles={f: run.family_title(f, lang) for f in families},
    )


def to_confirm_of_run(run: Run) -> list[tuple[str, str, str]]:
    """(id, title, reason) of each requirement of the run whose id is still to confirm."""
    return [(r.id, r.title, reason) for r in run.requirements if (reason := _reason(r.source))]


def _reason(source: Mapping[str, Any]) -> str | None:
    value = source.get("to_confirm")
    return value if isinstance(value, str) and value else None


def programmes_text(items: Iterable[Coverage]) -> str:
    """One line per referential: the share of automated requirements per programme."""
    rows = list(items)
    width = max([len("referential"), *(len(c.ref) for c in rows)])
    head = f"{'referential':<{width}}" + "".join(f"  {_HEADS[k]:>10}" for k in KINDS)
    lines = [head + "  total  automated  to confirm"]
    for c in rows:
        t = c.totals
        lines.append(
            f"{c.ref:<{width}}"
            + "".join(f"  {t.counts.get(k, 0):>10}" for k in KINDS)
            + f"  {t.total:>5}  {percent(t.automated_share):>9}  {len(c.to_confirm):>10}"
        )
    return "\n".join(lines) + "\n"


def programmes_markdown(items: Iterable[Coverage]) -> str:
    """The per-programme table in Markdown."""
    lines = [
        "| referential | " + " | ".join(_HEADS[k] for k in KINDS) + " | total | automated share | to confirm |",
        "|---|" + "---:|" * (len(KINDS) + 3),
    ]
    for c in items:
        t = c.totals
        cells = [str(t.counts.get(k, 0)) for k in KINDS] + [str(t.total), percent(t.automated_share)]
        lines.append(f"| {_md(c.ref)} | " + " | ".join(cells) + f" | {len(c.to_confirm)} |")
    return "\n".join(lines) + "\n"


def header_lines() -> list[str]:
    """What every coverage listing says first: how requirements are counted."""
    return [AS_WRITTEN, _LEGEND]


def _text_to_confirm(entries: tuple[Entry, ...]) -> list[str]:
    if not entries:
        return []
    width = max(len(e.id) for e in entries)
    lines = [f"ids to confirm against the published text: {len(entries)}"]
    lines += [f"  {e.id:<{width}}  {e.title}: {e.to_confirm}" for e in entries]
    return lines


def _rounded(share: float | None) -> float | None:
    return None if share is None else round(share, 4)


def percent(share: float | None) -> str:
    if share is None:
        return "-"
    # half up, not Python's half-to-even: 2 of 8 reads 25 %, 1 of 8 reads 13 %
    return f"{int(share * 100 + 0.5)} %"


def _md(text: str) -> str:
    """Text safe inside a Markdown table cell or list item."""
    return " ".join(text.replace("\\", "\\\\").replace("|", "\\|").replace("`", "'").split())
