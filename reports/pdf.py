"""The PDF report for the certification file: a summary, then the requirement pages.

Layout: the summary (referential, system, run, verdict counts, the coverage of each family,
verdict counts by family and by origin, the ids to confirm against the published text),
then the requirements family by family, each with its text, source, reason, waiver or
attestation and its checks (verdict, message, parameters). Evidence is *referenced*:
every file by its run-relative name, size and SHA-256 (the same files
`MANIFEST.sha256` seals), plus a bounded excerpt where it helps a reader: the request
line and status of an HTTP exchange, the first lines of a text file, and the
screenshots of checks that did not pass (at most `MAX_IMAGES`, each at most
`MAX_IMAGE_BYTES`). The HTML report and the run directory hold the rest. A run with more
than `COMPACT_ABOVE` requirements lists its passed, attested and not applicable
requirements one line each.

Memory is bounded by streaming: the requirement pages are rendered by WeasyPrint in
parts of about `CHUNK_WEIGHT` lines, each written to a temporary PDF and dropped, and the
parts are joined page by page (pypdf) with their outlines. Parts do not depend on one
another (no page number is printed in them), so a report of more than one part of
requirements renders them in several processes (`default_jobs()`: the usable cores, at most
`MAX_JOBS`, this one included), at most two parts per process held; the page numbers, running across the
parts, are rendered on blank pages of the same page box and stamped over the joined pages.
Only the summary, the parts held and the joiner's page objects (a few kilobytes a page)
stay in memory.

Safety: every string is HTML-escaped; WeasyPrint runs no script and its URL fetcher
accepts only ``data:`` URIs (images are embedded as such), so SUT-controlled text cannot
make the renderer read local files or reach the network.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import logging
import os
import select
import subprocess
import sys
import tempfile
from collections import Counter, deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from homolog.reports.assets import _VERDICT_COLOURS as VERDICT_COLOURS
from homolog.reports.coverage import KINDS, FamilyCoverage, percent, run_coverage, to_confirm_of_run
from homolog.reports.evidence import sha256_of
from homolog.reports.html import LAZY_THRESHOLD, _flat, e
from homolog.reports.labels import labels, override_lines, verdict_label
from homolog.reports.model import Check, ReportError, Requirement, Run, localized, safe_evidence_path
from homolog.verdicts import SETTLED, Verdict

_log = logging.getLogger(__name__)

__all__ = ["COMPACT_ABOVE", "PdfReporter", "default_jobs", "render_pdf"]

#: Above this many requirements, settled ones (passed, attested, not applicable) get one line each.
COMPACT_ABOVE = LAZY_THRESHOLD
#: About this many printed lines per rendered part (a detailed check counts several).
CHUNK_WEIGHT = 1500
#: Most processes rendering the parts of one PDF at once, this one included (never more than
#: the usable cores): each holds a part (a worker about 125 MiB resident for a part of
#: `CHUNK_WEIGHT` lines), so two keep the whole report under 400 MiB.
MAX_JOBS = 2
#: Page numbers are rendered this many pages at a time, then stamped on the joined parts.
NUMBER_PAGES = 100
MAX_IMAGES = 24
MAX_IMAGE_BYTES = 2 * 1024 * 1024
#: Excerpts: characters of a requirement's text, a message, a text file; lines of a text file.
TEXT_CHARS = 1200
MESSAGE_CHARS = 1500
EXCERPT_CHARS = 800
EXCERPT_LINES = 12
#: HTTP exchange files larger than this are referenced without reading their request line.
EXCHANGE_BYTES = 512 * 1024
_PNG = b"\x89PNG\r\n\x1a\n"
_JPEG = b"\xff\xd8\xff"

_WORDS: dict[str, dict[str, str]] = {
    "fr": {
        "details": "Exigences",
        "evidence_note": (
            "Les preuves sont référencées par leur nom dans le dossier d'exécution, leur taille et leur "
            "empreinte SHA-256 ; un extrait borné les accompagne. Le rapport HTML et le dossier d'exécution "
            "(scellé par MANIFEST.sha256) les contiennent en entier."
        ),
        "compact": "Exigences réglées (une ligne chacune)",
        "compact_note": (
            "Les exigences conformes, attestées ou non applicables tiennent une ligne chacune ; "
            "leurs preuves sont dans le dossier d'exécution."
        ),
        "missing": "fichier absent du dossier d'exécution",
        "unsafe": "chemin refusé : hors du dossier d'exécution",
        "more_images": "capture non reproduite (plafond du rapport atteint)",
        "cut": "[…] extrait tronqué",
        "page": "page",
    },
    "en": {
        "details": "Requirements",
        "evidence_note": (
            "Evidence is referenced by its name in the run directory, its size and its SHA-256; a bounded "
            "excerpt comes with it. The HTML report and the run directory (sealed by MANIFEST.sha256) hold it "
            "in full."
        ),
        "compact": "Settled requirements (one line each)",
        "compact_note": (
            "Passed, attested and not applicable requirements take one line each; their evidence is in the run "
            "directory."
        ),
        "missing": "file missing from the run directory",
        "unsafe": "path refused: outside the run directory",
        "more_images": "screenshot not reproduced (the report's limit is reached)",
        "cut": "[…] excerpt cut",
        "page": "page",
    },
}

# The page box of every page; the foot takes the left of the bottom margin, the page number
# (stamped once the parts are joined) the right.
_PAGE_BOX = "size:A4;margin:14mm 13mm 16mm"
_FOOT_WIDTH = 84  # % of the bottom margin
_ROOT_STYLE = 'html{font-family:"DejaVu Sans",sans-serif;font-size:8.5pt;line-height:1.3;color:#1b1b1b}'
_NUMBERS_CSS = (
    f"@page{{{_PAGE_BOX};@bottom-right{{content:counter(page);width:{100 - _FOOT_WIDTH}%;font-size:7.5pt;color:#666}}}}"
    "@page :first{counter-reset:page var(--first)}"
    f"{_ROOT_STYLE}body{{margin:0}}div{{break-after:page}}"
)

_CSS = (
    f"@page{{{_PAGE_BOX};@bottom-left{{content:var(--foot);width:{_FOOT_WIDTH}%;font-size:7pt;color:#666}}}}\n"
    + _ROOT_STYLE
    + """
body{margin:0}
h1{font-size:15pt;margin:0 0 2mm}
h2{font-size:11pt;margin:4mm 0 1.5mm;border-bottom:.5pt solid #999;break-after:avoid}
h3{font-size:9pt;margin:2.5mm 0 1mm;padding:.6mm 1.5mm;background:#f2f2f2;break-after:avoid}
p{margin:.5mm 0}
.kv{margin:0 0 1mm}
.kv b{font-weight:bold}
.status{font-size:11pt;font-weight:bold}
.ev,.msg{font-family:"DejaVu Sans Mono",monospace}
.msg{white-space:pre-wrap;font-size:7.5pt;margin:.5mm 0 .5mm 5mm;color:#333}
.chk{margin:1mm 0 0 2mm}
.ev{font-size:6.8pt;margin:0 0 0 5mm;color:#333}
.x{font-family:"DejaVu Sans Mono",monospace;font-size:6.8pt;white-space:pre-wrap;margin:0 0 .5mm 8mm;
 color:#444;border-left:.5pt solid #bbb;padding-left:1.5mm}
.row{margin:0;font-size:7.8pt}
.note{font-size:7.5pt;color:#444}
img{max-width:120mm;max-height:70mm;margin:.5mm 0 .5mm 8mm}
table{border-collapse:collapse;font-size:7.5pt;margin:1mm 0}
th,td{border:.4pt solid #bbb;padding:.3mm 1.2mm;text-align:left}
td.n{text-align:right}
"""
    # One element per printed line where possible: every inline span costs WeasyPrint a
    # box to style, split and draw (a line with two spans took three times as long).
    + "\n".join(
        f"th.v-{v}{{background:{bg};color:{fg}}}p.v-{v},h3.v-{v}{{border-left:1.6mm solid {fg};padding-left:1.2mm}}"
        for v, (bg, fg) in VERDICT_COLOURS.items()
    )
    + "\n"
)


@dataclass
class _Budget:
    images: int = MAX_IMAGES


def _cut(text: str, limit: int, note: str) -> str:
    return text if len(text) <= limit else text[:limit] + f"\n{note}"


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} o"
    return f"{n / 1024:.1f} Kio" if n < 1024 * 1024 else f"{n / 1024 / 1024:.1f} Mio"


class _Pages:
    """The HTML of the summary and of each requirement block, and the weight of each block."""

    def __init__(self, run: Run, lang: str) -> None:
        self.run = run
        self.lang = lang
        self.L = labels(lang)
        self.W = _WORDS.get(lang, _WORDS["fr"])
        self.compact = len(run.requirements) > COMPACT_ABOVE
        self.budget = _Budget()

    def v(self, verdict: str) -> str:
        return verdict_label(verdict, self.lang)

    def kv(self, rows: list[tuple[str, Any]]) -> str:
        parts = [f"{e(k)}{self.L['colon']}{e(_flat(v))}" for k, v in rows if v not in (None, "", {}, [])]
        return f'<p class="kv">{" · ".join(parts)}</p>' if parts else ""

    # -- summary ---------------------------------------------------------------------

    def summary(self) -> str:
        L, run = self.L, self.run
        ref, tgt = run.referential, run.target
        counts = run.verdict_counts()
        present = [v for v in counts if counts[v]]
        out = [
            f"<h1>{e(L['title'])}</h1>",
            f'<p class="status">{e(L["status"])}{L["colon"]}{e(L.get("status." + run.status, run.status))}</p>',
            f"<h2>{e(L['referential'])}</h2>",
            self.kv([(L["name_title"], f"{ref.title} ({ref.id})"), (L["version"], ref.version)]),
            self.kv([(L["publisher"], ref.publisher), (L["date"], ref.date), ("SHA-256", ref.sha256)]),
            f"<h2>{e(L['target'])}</h2>",
            self.kv([(L["name"], tgt.name), (L["version"], tgt.version), (L["vendor"], tgt.vendor)]),
            self.kv([(L["options"], tgt.options)]),
            self.kv([("URL", tgt.base_urls)]),
            f"<h2>{e(L['run'])}</h2>",
            self.kv([("ID", run.run_id), (L["started"], run.started), (L["finished"], run.finished)]),
            self.kv([(L["tool"], {k: v for k, v in run.tool.items() if k != "executable"})]),
            f"<h2>{e(L['summary'])}</h2>",
            self.caveats(),
            "<table><tr>"
            + "".join(f'<th class="v-{e(v)}">{e(self.v(v))}</th>' for v in present)
            + f"<th>{e(L['requirements'])}</th></tr><tr>"
            + "".join(f'<td class="n">{counts[v]}</td>' for v in present)
            + f'<td class="n">{len(run.decided)}</td></tr></table>',
        ]
        if run.deselected:
            selection = run.doc.summary.deselected.selection
            line = L["deselected_line"].format(n=len(run.deselected)) + (f" ({selection})" if selection else "")
            out.append(f"<p>{e(line)}</p>")
        checks = Counter(c.shown for _, c in run.checks())
        if checks:
            parts = ", ".join(f"{n} {self.v(v).lower()}" for v, n in checks.items())
            out.append(f"<p>{e(L['checks'])}{L['colon']}{sum(checks.values())} ({e(parts)})</p>")
        out.append(self.coverage())
        out.append(self.table(L["by_family"], L["family"], lambda r: r.family or "-", present))
        out.append(self.table(L["by_origin"], L["origin"], lambda r: r.origin or "-", present))
        out.append(self.to_confirm())
        note = f"{L['generated']} {L['integrity_note']} {self.W['evidence_note']}"
        if self.compact:
            note += " " + self.W["compact_note"]
        out.append(f'<p class="note">{e(note)}</p>')
        return "".join(out)

    def coverage(self) -> str:
        """Per family: requirements automated (with their verdicts), by attestation, not tested."""
        L = self.L
        cov = run_coverage(self.run, self.lang)
        if not cov.families:
            return ""
        heads = [L["family"], L["cov.automated"], L["cov.verdicts"], L["cov.manual"], L["cov.not_tested"]]
        heads += [L["total"], L["cov.share"]]
        rows = "".join(
            f"<tr><th>{e(fam.title or fam.family)}</th>{self.coverage_cells(fam)}</tr>" for fam in cov.families
        )
        return (
            f'<h3>{e(L["coverage"])}</h3><p class="note">{e(L["coverage_lead"])}</p><table><tr>'
            + "".join(f"<th>{e(h)}</th>" for h in heads)
            + f"</tr>{rows}<tr><th>{e(L['total'])}</th>{self.coverage_cells(cov.totals)}</tr></table>"
        )

    def coverage_cells(self, fam: FamilyCoverage) -> str:
        numbers = [fam.counts.get(kind, 0) for kind in KINDS] + [fam.total]
        automated, *others = (f'<td class="n">{n}</td>' for n in numbers)
        verdicts = ", ".join(f"{n} {self.v(v).lower()}" for v, n in fam.automated_verdicts())
        return f'{automated}<td>{e(verdicts)}</td>{"".join(others)}<td class="n">{e(percent(fam.automated_share))}</td>'

    def to_confirm(self) -> str:
        """The one place listing the ids still to confirm against the published text."""
        rows = to_confirm_of_run(self.run)
        if not rows:
            return ""
        L = self.L
        body = "".join(
            f"<tr><td>{e(rid)}</td><td>{e(title)}</td><td>{e(reason)}</td></tr>" for rid, title, reason in rows
        )
        return (
            f'<h2>{e(L["to_confirm"])} ({len(rows)})</h2><p class="note">{e(L["to_confirm_lead"])}</p>'
            f"<table><tr><th>{e(L['req_id'])}</th><th>{e(L['req_title'])}</th><th>{e(L['reason'])}</th></tr>"
            f"{body}</table>"
        )

    def caveats(self) -> str:
        """What limited verdicts that stand, first thing of the summary, with the requirements concerned."""
        L = self.L
        caveats = self.run.doc.caveats
        if not caveats:
            return ""
        items = "".join(
            f"<li>{e(c.text)} — {e(L['caveat_requirements'])}{L['colon']}{e(', '.join(ids))}</li>"
            for c, ids in caveats.items()
        )
        return f"<h3>{e(L['caveats'])}</h3><p>{e(L['caveats_lead'])}</p><ul>{items}</ul>"

    def table(self, title: str, head: str, key: Any, present: list[str]) -> str:
        groups: dict[str, Counter[str]] = {}
        for req in self.run.decided:
            groups.setdefault(key(req), Counter())[req.shown] += 1
        if not groups:
            return ""
        rows = [
            f"<tr><th>{e(name)}</th>"
            + "".join(f'<td class="n">{cnt[v] or ""}</td>' for v in present)
            + f'<td class="n">{sum(cnt.values())}</td></tr>'
            for name, cnt in groups.items()
        ]
        head_row = "".join(f"<th>{e(self.v(v))}</th>" for v in present)
        total = e(self.L["total"])
        return f"<h3>{e(title)}</h3><table><tr><th>{e(head)}</th>{head_row}<th>{total}</th></tr>{''.join(rows)}</table>"

    # -- requirement pages -----------------------------------------------------------

    def blocks(self) -> Iterator[tuple[str, int]]:
        """(HTML, weight) of each block of the requirement pages, in order."""
        families: dict[str, list[Requirement]] = {}
        for req in self.run.requirements:
            families.setdefault(req.family or "-", []).append(req)
        yield f"<h1>{e(self.W['details'])}</h1>", 1
        for family, reqs in families.items():
            title = self.run.family_title(family, self.lang)
            name = f"{title} ({family})" if title else family
            yield f"<h2>{e(self.L['family'])}{self.L['colon']}{e(name)}</h2>", 2
            settled = [r for r in reqs if self.compact and r.verdict in SETTLED]
            if settled:
                yield f'<p class="note">{e(self.W["compact"])}</p>', 1
                for req in settled:
                    yield self.row(req), 1
            for req in reqs:
                if not (self.compact and req.verdict in SETTLED):
                    yield self.requirement(req)

    def row(self, req: Requirement) -> str:
        files = sum(len(c.evidence) for c in req.checks)
        text = f"{self.v(req.shown)} · {req.id} {req.title}"
        if req.caveats:
            text += f" [{self.L['caveat']}]"
        if any(c.overrides for c in req.checks):
            text += f" [{self.L['override']}]"
        if req.checks:
            text += f" — {len(req.checks)} {self.L['checks'].lower()}, {files} {self.L['evidence'].lower()}"
        return f'<p class="row v-{e(req.shown)}">{e(text)}</p>'

    def requirement(self, req: Requirement) -> tuple[str, int]:
        L = self.L
        src = req.source
        source = " — ".join(str(src[k]) for k in ("document", "section", "version", "reference") if src.get(k))
        # id="req-<id>": an anchor (and, as a heading, an outline entry) per requirement
        head = f"{self.v(req.shown)} · {req.id} {req.title}"
        out = [f'<h3 id="req-{e(req.id)}" class="v-{e(req.shown)}">{e(head)}</h3>']
        text = req.text_in(self.lang)
        if text:
            out.append(f"<p>{e(_cut(text, TEXT_CHARS, self.W['cut']))}</p>")
        out.append(
            self.kv(
                [
                    (L["level"], L.get("level." + req.level, req.level)),
                    (L["origin"], req.origin),
                    (L["mode"], L.get("mode." + req.kind, req.kind)),
                    (L["source"], source),
                ]
            )
        )
        url = src.get("url")
        if isinstance(url, str) and url.startswith(("https://", "http://")):
            out.append(f'<p class="ev">{e(url)}</p>')
        for caveat in req.caveats:
            out.append(self.kv([(L["caveat"], caveat.text)]))
            if caveat.weakens:
                out.append(f'<p class="ev">{e(caveat.weakens)}</p>')
        if req.reason:
            out.append(self.kv([(L["reason"], req.reason)]))
        scenario = localized(req.scenario, self.lang)
        if scenario:
            out.append(self.kv([(L["scenario"], _cut(scenario, TEXT_CHARS, self.W["cut"]))]))
        weight = 4
        if req.waiver:
            waiver = req.waiver
            out.append(
                self.kv([(L["waiver"], waiver.get("justification")), (L["approver"], waiver.get("approver"))])
                + self.kv([(L["expires"], waiver.get("expires"))])
            )
            weight += 3
        if req.attestation:
            out.append(self.attestation(req.attestation))
            weight += 4
        for chk in req.checks:
            html, lines = self.check(chk)
            out.append(html)
            weight += lines
        return "".join(out), weight

    def attestation(self, att: Mapping[str, Any]) -> str:
        L = self.L
        out = [self.kv([(L["attestation"], localized(att.get("evidence_expected"), self.lang) or "-")])]
        out.append(self.kv([(L["statement"], localized(att.get("statement"), self.lang))]))
        who = [(L["author"], att.get("author")), (L["reviewer"], att.get("reviewer")), (L["date"], att.get("date"))]
        out.append(self.kv(who))
        if att.get("expires"):
            out.append(self.kv([(L["expires"], att.get("expires"))]))
        file = att.get("file")
        if isinstance(file, str) and file:
            out.append(self.evidence(file, show=False))
            if att.get("sha256"):
                out.append(f'<p class="ev">SHA-256 {e(L["attestation"]).lower()}{L["colon"]}{e(att["sha256"])}</p>')
        return "".join(out)

    def check(self, chk: Check) -> tuple[str, int]:
        L = self.L
        head = f"{self.v(chk.shown)} · {chk.check} {chk.title}"
        if chk.label:
            head += f" [{chk.label}]"
        if chk.duration is not None:
            head += f" — {chk.duration:.2f} s"
        out = [f'<p class="chk v-{e(chk.shown)}">{e(head)}</p>']
        weight = 2
        if chk.params:
            params = json.dumps(chk.params, ensure_ascii=False, sort_keys=True)
            out.append(f'<p class="ev">{e(L["params"])}{L["colon"]}{e(_cut(params, 300, "…"))}</p>')
            weight += 1
        for line in override_lines(chk.overrides, self.lang):
            out.append(f'<p class="ev"><b>{e(L["override"])}</b>{L["colon"]}{e(_cut(line, 300, "…"))}</p>')
            weight += 1
        if chk.shared_from:
            out.append(f'<p class="ev">{e(L["shared_from"])} {e(chk.shared_from)}</p>')
            weight += 1
        if chk.message:
            message = _cut(chk.message, MESSAGE_CHARS, self.W["cut"])
            out.append(f'<p class="msg">{e(message)}</p>')
            weight += 1 + message.count("\n") + len(message) // 120
        show = chk.verdict not in (Verdict.PASSED, None)
        for rel in chk.evidence:
            html = self.evidence(rel, show=show)
            out.append(html)
            weight += 1 + html.count("\n") + (12 if "<img" in html else 0)
        return "".join(out), weight

    def evidence(self, rel: str, *, show: bool) -> str:
        """One evidence file: name, size and SHA-256; an excerpt where it helps (`show`: the check did not pass)."""
        W = self.W
        path = safe_evidence_path(self.run, rel)
        if path is None:
            return f'<p class="ev">{e(rel)} — {e(W["unsafe"])}</p>'
        try:
            digest, size = sha256_of(path)
        except OSError:
            return f'<p class="ev">{e(rel)} — {e(W["missing"])}</p>'
        out = [f'<p class="ev">{e(rel)} · {e(_size(size))} · SHA-256 {digest}</p>']
        try:
            with path.open("rb") as fh:
                head = fh.read(EXCERPT_CHARS * 4)
        except OSError:
            return out[0]
        if head.startswith((_PNG, _JPEG)):
            if show and self.budget.images > 0 and size <= MAX_IMAGE_BYTES:
                self.budget.images -= 1
                mime = "image/png" if head.startswith(_PNG) else "image/jpeg"
                data = base64.b64encode(path.read_bytes()).decode("ascii")
                out.append(f'<img src="data:{mime};base64,{data}" alt="{e(path.name)}">')
            elif show:
                out.append(f'<p class="x">{e(W["more_images"])}</p>')
            return "".join(out)
        exchange = _exchange_line(path, size) if rel.endswith(".json") else None
        if exchange is not None:
            out.append(f'<p class="x">{e(exchange)}</p>')
        elif show and b"\x00" not in head:
            text = head.decode("utf-8", errors="replace")
            lines = text.splitlines()
            excerpt = "\n".join(lines[:EXCERPT_LINES])[:EXCERPT_CHARS]
            if len(excerpt) < len(text.rstrip("\n")) or size > len(head):
                excerpt += f"\n{W['cut']}"
            out.append(f'<p class="x">{e(excerpt)}</p>')
        return "".join(out)

    def foot(self) -> str:
        ref, tgt = self.run.referential, self.run.target
        return _css_string(f"{ref.id} {ref.version} — {tgt.name} {tgt.version} — {self.run.run_id}"[:140])


def _css_string(text: str) -> str:
    """A quoted CSS string: quotes, backslashes, controls and markup characters as CSS escapes."""
    return '"' + "".join(f"\\{ord(c):x} " if c in '"\\<>&' or ord(c) < 32 else c for c in text) + '"'


def _exchange_line(path: Path, size: int) -> str | None:
    """The request line and status of an HTTP exchange recorded by the engine, or None."""
    if size > EXCHANGE_BYTES:
        return None
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("request"), dict):
        return None
    req = data["request"]
    resp = data.get("response")
    outcome = str(resp.get("status")) if isinstance(resp, dict) else f"✗ {data.get('error') or '?'}"
    return f"{req.get('method') or '?'} {req.get('url') or ''} → {outcome}"[:600]


def _document(body: str, *, lang: str, title: str, foot: str) -> str:
    css = _CSS.replace("var(--foot)", foot)
    return (
        f'<!DOCTYPE html><html lang="{e(lang)}"><head><meta charset="utf-8"><title>{e(title)}</title>'
        f"<style>{css}</style></head><body>{body}</body></html>"
    )


def _numbers(first: int, count: int) -> str:
    """`count` blank pages numbered from `first`: stamped over the joined parts."""
    css = _NUMBERS_CSS.replace("var(--first)", str(first))
    return f"<!DOCTYPE html><html><head><style>{css}</style></head><body>{'<div></div>' * count}</body></html>"


def _quiet() -> None:
    # WeasyPrint logs every refused fetch and unsupported CSS at WARNING; the report has
    # none on purpose, so keep the console for what matters.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)


def _render(source: str, file: str) -> int:
    """Render the HTML `source` into the PDF `file`; return its number of pages.

    WeasyPrint runs no script and fetches only ``data:`` URIs (the images, embedded as
    such): text from the run cannot make it read local files or reach the network.
    """
    from weasyprint import HTML  # type: ignore[import-untyped]
    from weasyprint.urls import URLFetcher  # type: ignore[import-untyped]

    fetcher = URLFetcher(allowed_protocols=["data"], allow_redirects=False, timeout=1)
    document = HTML(string=source, url_fetcher=fetcher).render()
    document.write_pdf(file)
    return len(document.pages)


def default_jobs() -> int:
    """Processes for the parts of a big PDF: the usable cores, at most `MAX_JOBS`."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(MAX_JOBS, cores or 1))


class _Renderer:
    """Renders HTML documents into PDF files: this process and `jobs - 1` worker processes.

    A worker is a fresh interpreter (``python -P -m homolog.reports.pdf --serve``) that reads
    the path of an HTML file and of the PDF to write from its standard input, one job a
    line, and answers the number of pages; it is given up to two jobs at a time, and this
    process renders what waits meanwhile. Results come back in the order the documents were
    given; at most `2 * jobs` are held at a time, so memory stays bounded whatever the
    number of parts. A worker that cannot start, dies (its memory limit, a crash) or fails
    leaves its jobs to this process, which renders them the same way (and raises what the
    renderer raises, as with one process).
    """

    def __init__(self, jobs: int) -> None:
        self.jobs = jobs
        self.workers: list[subprocess.Popen[str]] = []

    def __enter__(self) -> _Renderer:
        # (An interpreter embedding Python may have no executable to start workers with.)
        for _ in range(self.jobs - 1 if sys.executable else 0):
            try:
                worker = subprocess.Popen(
                    # -P: the current folder does not go first on the worker's import path
                    # (a json.py there must not stand in for the standard library's).
                    [sys.executable, "-P", "-m", "homolog.reports.pdf", "--serve"],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                    text=True,
                    encoding="utf-8",
                )
            except OSError as exc:
                _log.warning("PDF report: no rendering process (%s); rendering in this one", exc)
                break
            self.workers.append(worker)
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        for worker in self.workers:
            with contextlib.suppress(OSError):
                worker.stdin.close()  # type: ignore[union-attr]  # the worker ends at end of input
            if exc_type is not None:
                worker.kill()
        for worker in self.workers:
            try:
                worker.wait(timeout=10)
            except subprocess.TimeoutExpired:
                worker.kill()
            _close(worker)

    def _drop(
        self,
        given: dict[int, tuple[subprocess.Popen[str], deque[str], bytearray]],
        fd: int,
        waiting: deque[str],
        why: str,
    ) -> None:
        """Stop the worker answering on `fd`; the files it was given wait first again, in order."""
        worker, files, _ = given.pop(fd)
        _log.warning("PDF report: a rendering process stopped (%s); its parts are rendered in this one", why)
        worker.kill()
        _close(worker)
        self.workers.remove(worker)
        waiting.extendleft(reversed(files))

    def map(self, jobs: Iterable[tuple[str, str]]) -> Iterator[tuple[str, int]]:
        """(file, pages) of each (HTML source, file) of `jobs`, in their order."""
        todo = iter(jobs)
        order: deque[str] = deque()  # files given and not yet returned, in order
        sources: dict[str, str] = {}  # file -> HTML source, until rendered
        waiting: deque[str] = deque()  # files no one has taken yet
        # a worker's stdout -> (worker, the files it was given, in order; what it answered so far)
        given: dict[int, tuple[subprocess.Popen[str], deque[str], bytearray]] = {
            w.stdout.fileno(): (w, deque(), bytearray())  # type: ignore[union-attr]
            for w in self.workers
        }
        pages: dict[str, int] = {}
        more = True
        while True:
            while more and len(order) < 2 * self.jobs:
                job = next(todo, None)
                if job is None:
                    more = False
                else:
                    sources[job[1]] = job[0]
                    order.append(job[1])
                    waiting.append(job[1])
            for fd, (worker, files, _) in list(given.items()):
                while waiting and len(files) < 2:
                    file = waiting.popleft()
                    html = Path(file).with_suffix(".html")
                    html.write_text(sources[file], encoding="utf-8")
                    files.append(file)
                    try:
                        worker.stdin.write(json.dumps([str(html), file]) + "\n")  # type: ignore[union-attr]
                        worker.stdin.flush()  # type: ignore[union-attr]
                    except OSError as exc:
                        self._drop(given, fd, waiting, str(exc))
                        break
            if order and order[0] in pages:
                file = order.popleft()
                Path(file).with_suffix(".html").unlink(missing_ok=True)
                yield file, pages.pop(file)
                continue
            if not order:
                return
            busy = [fd for fd, (_, files, _) in given.items() if files]
            ready = select.select(busy, [], [], 0 if waiting else None)[0] if busy else []
            if not ready:  # the workers are busy (or gone): this process renders what waits
                file = waiting.popleft()
                pages[file] = _render(sources.pop(file), file)
                continue
            for fd in ready:
                worker, files, answers = given[fd]
                chunk = os.read(fd, 4096)
                answers += chunk
                failed = not chunk  # end of its output: the worker is gone
                while not failed and files and b"\n" in answers:
                    line, _, rest = bytes(answers).partition(b"\n")
                    failed = not line.strip().isdigit()  # not a page count: the worker failed
                    if not failed:
                        answers[:] = rest
                        file = files.popleft()
                        pages[file] = int(line)
                        del sources[file]
                if failed:
                    if not answers:  # it closed its output: let it end, to say how
                        with contextlib.suppress(subprocess.TimeoutExpired):
                            worker.wait(timeout=5)
                    why = answers.decode(errors="replace")[:200] if answers else f"exit status {worker.returncode}"
                    self._drop(given, fd, waiting, why)


def _close(worker: subprocess.Popen[str]) -> None:
    """Reap a worker and close its pipes (what it had not read yet is dropped)."""
    worker.wait()
    for pipe in (worker.stdin, worker.stdout):
        with contextlib.suppress(OSError):
            if pipe is not None:
                pipe.close()


def _serve() -> None:
    """A rendering worker: renders each ``[HTML file, PDF file]`` line of its input, answers the pages."""
    _quiet()
    answers, sys.stdout = sys.stdout, sys.stderr  # nothing else may write on the answer channel
    for line in sys.stdin:
        html, file = json.loads(line)
        answers.write(f"{_render(Path(html).read_text(encoding='utf-8'), file)}\n")
        answers.flush()


def render_pdf(run: Run, path: Path, lang: str, *, chunk_weight: int = CHUNK_WEIGHT, jobs: int | None = None) -> int:
    """Write the PDF report of `run` to `path`; return its number of pages.

    The summary and the parts of the requirement pages are rendered each into a PDF of its
    own, by `jobs` processes at once (this one and `jobs - 1` workers; default:
    `default_jobs()`) when there are more than two; they are joined in order with their
    outlines, then the page numbers, running across the parts, are stamped on the pages.
    """
    try:
        import weasyprint  # noqa: F401
        from pypdf import PdfReader, PdfWriter
    except ImportError as exc:  # pragma: no cover - both are dependencies
        raise ReportError(f"the PDF report needs weasyprint and pypdf ({exc})") from None
    pages = _Pages(run, lang)
    ref = run.referential
    title = f"{pages.L['title']} — {ref.id} {ref.version}"
    foot = pages.foot()
    bodies = _bodies(pages, chunk_weight)
    # A report of a summary and one part is not worth starting processes for.
    first = list(itertools.islice(bodies, 3))
    jobs = (default_jobs() if jobs is None else max(1, jobs)) if len(first) > 2 else 1
    logger = logging.getLogger("weasyprint")
    previous = logger.level
    _quiet()
    writer = PdfWriter()
    try:
        with (
            tempfile.TemporaryDirectory(prefix=".pdf-parts-", dir=path.parent) as tmp,
            _Renderer(jobs) as renderer,
        ):
            parts = (
                (_document(body, lang=lang, title=title, foot=foot), str(Path(tmp) / f"part-{n:05d}.pdf"))
                for n, body in enumerate(itertools.chain(first, bodies))
            )
            for file, _ in renderer.map(parts):
                writer.append(file)
                os.unlink(file)
            count = len(writer.pages)
            spans = [(start, min(NUMBER_PAGES, count + 1 - start)) for start in range(1, count + 1, NUMBER_PAGES)]
            numbers = ((_numbers(start, n), str(Path(tmp) / f"numbers-{start:06d}.pdf")) for start, n in spans)
            for (start, n), (file, stamped) in zip(spans, renderer.map(numbers), strict=True):
                if stamped != n:
                    raise ReportError(f"the page numbers from {start} took {stamped} pages instead of {n}")
                for i, page in enumerate(PdfReader(file).pages):
                    joined = writer.pages[start - 1 + i]
                    joined.merge_page(page)
                    joined.compress_content_streams()  # merging leaves the page's content uncompressed
                os.unlink(file)
            writer.add_metadata({"/Title": title, "/Creator": "homolog"})
            tmp_out = path.with_suffix(".pdf.tmp")
            with tmp_out.open("wb") as fh:
                writer.write(fh)
            tmp_out.replace(path)
    finally:
        logger.setLevel(previous)
        writer.close()
    return count


def _bodies(pages: _Pages, chunk_weight: int) -> Iterator[str]:
    """The summary, then the requirement pages in parts of about `chunk_weight` lines."""
    yield pages.summary()
    chunk: list[str] = []
    weight = 0
    for html, w in pages.blocks():
        chunk.append(html)
        weight += w
        if weight >= chunk_weight:
            yield "".join(chunk)
            chunk, weight = [], 0
    if chunk:
        yield "".join(chunk)


class PdfReporter:
    """PDF report (``report.pdf``): summary and requirement pages, evidence referenced by hash."""

    name = "pdf"
    filename = "report.pdf"

    def render(self, run: Run, out_dir: Path, lang: str) -> Path:
        """Write ``report.pdf`` into ``out_dir``."""
        path = out_dir / self.filename
        render_pdf(run, path, lang)
        return path


if __name__ == "__main__" and sys.argv[1:] == ["--serve"]:
    _serve()
