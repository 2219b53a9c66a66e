"""The HTML report: one self-contained file, readable offline and inert.

Layout: header (status, referential and system in one line), the summary (verdict counts, the
coverage of each family: automated with their verdicts, by attestation, not tested; by source
referential and by family), the ids to confirm against the published text, the run in full
(referential, system under test, tool), then every requirement grouped by family as a
collapsible block with its text, source, waiver or attestation, checks, messages and
evidence (HTTP exchanges and text shown inline, screenshots embedded as data URIs,
a relative link to each evidence file of the run).

Why it is safe to open: every string from the run is HTML-escaped, and the page
carries a Content-Security-Policy that allows only the report's own stylesheet and
script (by hash), images from data: URIs, and nothing else — no inline event handler,
no injected script, no network access. Filters are pure CSS (``:has``) so they work
even where the script is blocked; the script only adds search and expand/collapse.

The PDF report is built on its own (reports/pdf.py): on paper, evidence is referenced
rather than expanded.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import os
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

from homolog.reports.assets import REPORT_CSS, REPORT_JS, SCREEN_CSS
from homolog.reports.coverage import KINDS, FamilyCoverage, percent, run_coverage, to_confirm_of_run
from homolog.reports.evidence import Budget, EvidenceItem, HttpSide, load_evidence
from homolog.reports.labels import labels, override_lines, verdict_label
from homolog.reports.model import (
    Check,
    Requirement,
    Run,
    localized,
    safe_evidence_path,
)
from homolog.verdicts import DESELECTED

__all__ = ["HtmlReporter", "build_html"]


def e(value: Any) -> str:
    """HTML-escape any value for text or a quoted attribute."""
    return html.escape("" if value is None else str(value), quote=True)


def _csp_hash(source: str) -> str:
    digest = hashlib.sha256(source.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


class _Page:
    """Accumulates HTML fragments; joined once at the end (fast for 10,000 blocks)."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def add(self, *fragments: str) -> None:
        self.parts.extend(fragments)

    def text(self) -> str:
        return "".join(self.parts)


class _Builder:
    def __init__(self, run: Run, lang: str, out_dir: Path, lazy_threshold: int) -> None:
        self.run = run
        self.lang = lang
        self.L = labels(lang)
        self.out_dir = out_dir
        self.lazy = len(run.requirements) > lazy_threshold
        self.budget = Budget()
        self.page = _Page()
        try:
            rel = os.path.relpath(run.dir.resolve(), out_dir.resolve())
            self.link_base = "" if rel == "." else rel.replace(os.sep, "/") + "/"
        except ValueError:  # another drive on Windows: fall back to an absolute URI
            self.link_base = run.dir.resolve().as_uri() + "/"

    # -- small pieces -------------------------------------------------------------

    def vlabel(self, verdict: str) -> str:
        return verdict_label(verdict, self.lang)

    def badge(self, verdict: str) -> str:
        return f'<span class="badge v-{e(verdict)}">{e(self.vlabel(verdict))}</span>'

    def href(self, relpath: str) -> str:
        # Evidence paths were checked to stay inside the run; quoting keeps them a path.
        return e(self.link_base + quote(relpath, safe="/@"))

    def dl(self, rows: Iterable[tuple[str, Any]]) -> str:
        items = [f"<dt>{e(k)}</dt><dd>{_value(v)}</dd>" for k, v in rows if v not in (None, "", {})]
        return f'<dl class="kv">{"".join(items)}</dl>' if items else ""

    # -- header and summary -------------------------------------------------------

    def header(self) -> None:
        """Title, status and one line naming what was verified: the summary follows on the first screen."""
        L, run = self.L, self.run
        ref, tgt = run.referential, run.target
        status = run.status
        self.page.add(
            f"<header><h1>{e(L['title'])}</h1>",
            f'<p class="status s-{e(status)}">{e(L["status"])}{L["colon"]}'
            f"<strong>{e(L.get('status.' + status, status))}</strong></p>",
            f'<p class="ident">{e(L["referential"])}{L["colon"]}<strong>{e(ref.title)}</strong> '
            f"({e(ref.id)} {e(ref.version)}) · {e(L['target'])}{L['colon']}<strong>{e(tgt.name)}</strong> "
            f"{e(tgt.version)} · {e(run.finished)}</p></header>",
        )

    def details(self) -> None:
        """Referential, system and run in full, below the summary."""
        L, run = self.L, self.run
        ref, tgt, tool = run.referential, run.target, run.tool
        self.page.add(
            '<section class="meta">',
            f"<section><h2>{e(L['referential'])}</h2>",
            self.dl(
                [
                    (L["name_title"], f"{ref.title} ({ref.id})"),
                    (L["version"], ref.version),
                    (L["publisher"], ref.publisher),
                    (L["date"], ref.date),
                    ("SHA-256", ref.sha256),
                ]
            ),
            f"</section><section><h2>{e(L['target'])}</h2>",
            self.dl(
                [
                    (L["name"], tgt.name),
                    (L["version"], tgt.version),
                    (L["vendor"], tgt.vendor),
                    (L["options"], tgt.options),
                    ("URL", tgt.base_urls),
                ]
            ),
            f"</section><section><h2>{e(L['run'])}</h2>",
            self.dl(
                [
                    ("ID", run.run_id),
                    (L["started"], run.started),
                    (L["finished"], run.finished),
                    (L["tool"], tool),
                ]
            ),
            "</section></section>",
            f'<p class="note">{e(L["generated"])} {e(L["integrity_note"])}</p>',
        )

    def summary(self) -> None:
        L, run = self.L, self.run
        counts = run.verdict_counts()
        present = [v for v in counts if counts[v]]
        self.page.add(f'<section class="summary"><h2>{e(L["summary"])}</h2>')
        self.caveats()
        self.page.add('<ul class="tiles">')
        for v in present:
            self.page.add(
                f'<li class="tile v-{e(v)}"><span class="n">{counts[v]}</span><span>{e(self.vlabel(v))}</span></li>'
            )
        self.page.add(
            f'<li class="tile total"><span class="n">{len(run.decided)}</span>'
            f"<span>{e(L['requirements'])}</span></li></ul>"
        )
        if run.deselected:
            # Not run at all: listed, never counted with the verdicts.
            selection = run.doc.summary.deselected.selection
            self.page.add(
                f'<p class="deselected-line">{e(L["deselected_line"].format(n=len(run.deselected)))}'
                + (f" ({e(selection)})" if selection else "")
                + "</p>"
            )
        self.coverage()
        check_counts = Counter(c.shown for _, c in run.checks())
        if check_counts:
            parts = ", ".join(f"{check_counts[v]} {self.vlabel(v).lower()}" for v in counts if check_counts[v])
            self.page.add(
                f'<p class="checks-line">{e(L["checks"])}{L["colon"]}{sum(check_counts.values())} ({e(parts)})</p>'
            )
        self.table(L["by_origin"], L["origin"], lambda r: r.origin or "-", present)
        self.table(L["by_family"], L["family"], lambda r: r.family or "-", present, link=True)
        self.page.add("</section>")

    def coverage(self) -> None:
        """Per family: requirements automated (with their verdicts), by attestation, not tested (first screen)."""
        L = self.L
        cov = run_coverage(self.run, self.lang)
        if not cov.families:
            return
        heads = [L["family"], L["cov.automated"], L["cov.verdicts"], L["cov.manual"], L["cov.not_tested"]]
        heads += [L["total"], L["cov.share"]]
        self.page.add(
            f'<section class="coverage" aria-labelledby="coverage-title"><h3 id="coverage-title">{e(L["coverage"])}'
            f'</h3><p class="note">{e(L["coverage_lead"])}</p><table class="grid cov"><thead><tr>'
            + "".join(f'<th scope="col">{e(h)}</th>' for h in heads)
            + "</tr></thead><tbody>"
        )
        for fam in cov.families:
            name = f'<a href="#{e(self.family_anchor(fam.family))}">{e(fam.title or fam.family)}</a>'
            if fam.title:
                name += f' <span class="fid">({e(fam.family)})</span>'
            self.page.add(f'<tr><th scope="row">{name}</th>{self.coverage_cells(fam)}</tr>')
        self.page.add(
            f'</tbody><tfoot><tr><th scope="row">{e(L["total"])}</th>{self.coverage_cells(cov.totals)}</tr>'
            "</tfoot></table></section>"
        )

    def coverage_cells(self, fam: FamilyCoverage) -> str:
        counts = [fam.counts.get(kind, 0) for kind in KINDS]
        automated, *others = (f'<td class="{"n" if n else "z"}">{n}</td>' for n in counts)
        badges = " ".join(
            f'<span class="badge v-{e(v)}">{n} {e(self.vlabel(v))}</span>' for v, n in fam.automated_verdicts()
        )
        share = e(percent(fam.automated_share))
        return f'{automated}<td class="vs">{badges}</td>{"".join(others)}<td>{fam.total}</td><td>{share}</td>'

    def to_confirm(self) -> None:
        """The one place listing the ids still to confirm against the published text."""
        rows = to_confirm_of_run(self.run)
        if not rows:
            return
        L = self.L
        self.page.add(
            f'<section class="to-confirm" id="to-confirm"><h2>{e(L["to_confirm"])} ({len(rows)})</h2>'
            f'<p class="note">{e(L["to_confirm_lead"])}</p><table class="grid list"><thead><tr>'
            f'<th scope="col">{e(L["req_id"])}</th><th scope="col">{e(L["req_title"])}</th>'
            f'<th scope="col">{e(L["reason"])}</th></tr></thead><tbody>'
        )
        for rid, title, reason in rows:
            self.page.add(
                f'<tr><th scope="row"><a href="#req-{e(rid)}">{e(rid)}</a></th><td>{e(title)}</td>'
                f"<td>{e(reason)}</td></tr>"
            )
        self.page.add("</tbody></table></section>")

    def caveats(self) -> None:
        """The run's caveats, first thing of the summary: what limited verdicts that stand."""
        caveats = self.run.doc.caveats
        if not caveats:
            return
        L = self.L
        self.page.add(f'<div class="caveats" role="note"><h3>{e(L["caveats"])}</h3><p>{e(L["caveats_lead"])}</p><ul>')
        for caveat, req_ids in caveats.items():
            links = ", ".join(f'<a href="#req-{e(r)}">{e(r)}</a>' for r in req_ids)
            self.page.add(f"<li>{e(caveat.text)} — {e(L['caveat_requirements'])}{L['colon']}{links}</li>")
        self.page.add("</ul></div>")

    def table(self, title: str, head: str, key: Any, present: list[str], link: bool = False) -> None:
        groups: dict[str, Counter[str]] = {}
        for req in self.run.decided:
            groups.setdefault(key(req), Counter())[req.shown] += 1
        if not groups:
            return
        cols = "".join(f'<th scope="col">{e(self.vlabel(v))}</th>' for v in present)
        self.page.add(
            f'<h3>{e(title)}</h3><table class="grid"><thead><tr>'
            f'<th scope="col">{e(head)}</th>{cols}<th scope="col">{e(self.L["total"])}</th>'
            "</tr></thead><tbody>"
        )
        for name, cnt in groups.items():
            label = e(name)
            if link:
                label = f'<a href="#{e(self.family_anchor(name))}">{label}</a>'
            cells = "".join(f'<td class="{"z" if not cnt[v] else "v-" + e(v)}">{cnt[v] or ""}</td>' for v in present)
            self.page.add(f'<tr><th scope="row">{label}</th>{cells}<td>{sum(cnt.values())}</td></tr>')
        self.page.add("</tbody></table>")

    def family_anchor(self, family: str) -> str:
        return "fam-" + hashlib.sha1(family.encode("utf-8")).hexdigest()[:10]

    def filters(self) -> None:
        L = self.L
        counts = self.run.verdict_counts() | {DESELECTED: len(self.run.deselected)}
        self.page.add(f'<section class="filters" aria-label="{e(L["filter"])}">')
        self.page.add(f"<fieldset><legend>{e(L['filter'])}</legend>")
        for v in counts:
            if counts[v]:
                self.page.add(
                    f'<label class="chip v-{e(v)}"><input type="checkbox" id="f-{e(v)}" '
                    f"checked> {e(self.vlabel(v))} ({counts[v]})</label>"
                )
        self.page.add("</fieldset>")
        self.page.add(
            f'<div class="tools"><label for="q">{e(L["search"])}</label> '
            f'<input type="search" id="q" autocomplete="off" placeholder="SSI/IAM.92">'
            f'<button type="button" id="expand">{e(L["expand_all"])}</button>'
            f'<button type="button" id="collapse">{e(L["collapse_all"])}</button>'
            f'<output id="shown" data-label="{e(L["shown"])}"></output></div></section>'
        )

    # -- requirements -------------------------------------------------------------

    def requirements(self) -> None:
        families: dict[str, list[Requirement]] = {}
        for req in self.run.requirements:
            families.setdefault(req.family or "-", []).append(req)
        self.page.add(f'<main><h2 class="details-title">{e(self.L["details"])}</h2>')
        for family, reqs in families.items():
            title = self.run.family_title(family, self.lang)
            self.page.add(
                f'<section class="family" id="{e(self.family_anchor(family))}">'
                f"<h2>{e(self.L['family'])}{self.L['colon']}{e(title or family)}"
                + (f' <span class="fid">({e(family)})</span>' if title else "")
                + "</h2>"
            )
            for req in reqs:
                self.requirement(req)
            self.page.add("</section>")
        self.page.add("</main>")

    def requirement_meta(self, req: Requirement) -> None:
        """Level, family, origin, coverage, source, reason and scenario of a requirement."""
        L = self.L
        src = req.source
        source = " — ".join(str(src[k]) for k in ("document", "section", "version", "reference") if src.get(k))
        self.page.add(
            self.dl(
                [
                    (L["level"], L.get("level." + req.level, req.level)),
                    (L["family"], req.family or "-"),
                    (L["origin"], req.origin),
                    (L["mode"], L.get("mode." + req.kind, req.kind)),
                    (L["source"], source),
                    (L["reason"], req.reason),
                    (L["scenario"], localized(req.scenario, self.lang)),
                ]
            )
        )
        url = src.get("url")
        if isinstance(url, str) and url.startswith(("https://", "http://")):
            self.page.add(f'<p class="src"><a href="{e(url)}" rel="noreferrer noopener">{e(url)}</a></p>')

    def requirement(self, req: Requirement) -> None:
        L = self.L
        # id="req-<id>": the anchor the Ségur proof file and other documents link to
        attrs = f'id="req-{e(req.id)}" class="req v-{e(req.shown)}" data-id="{e(req.id.lower())}"'
        head = (
            f'{self.badge(req.shown)} <span class="rid">{e(req.id)}</span> <span class="rtitle">{e(req.title)}</span>'
        )
        if req.caveats:
            head += f' <span class="caveat-mark">[{e(L["caveat"])}]</span>'
        if any(c.overrides for c in req.checks):
            head += f' <span class="caveat-mark">[{e(L["override"])}]</span>'
        self.page.add(f"<details {attrs}><summary>{head}</summary>")
        if self.lazy:
            # Parsed but inert until opened: keeps the live DOM small for big runs.
            self.page.add("<template>")
        self.page.add('<div class="body">')
        text = req.text_in(self.lang)
        if text:
            self.page.add(f'<p class="text">{e(text)}</p>')
        for caveat in req.caveats:
            self.page.add(
                f'<p class="caveat" role="note"><strong>{e(L["caveat"])}</strong>{L["colon"]}{e(caveat.text)}'
            )
            if caveat.weakens:
                self.page.add(f"<br><small>{e(caveat.weakens)}</small>")
            self.page.add("</p>")
        self.requirement_meta(req)
        if req.waiver:
            self.waiver(req.waiver)
        if req.attestation:
            self.attestation(req.attestation)
        if req.checks:
            self.page.add(f'<h4>{e(L["checks"])}</h4><ol class="checks">')
            for chk in req.checks:
                self.check(chk)
            self.page.add("</ol>")
        self.page.add("</div>")
        if self.lazy:
            self.page.add("</template>")
        self.page.add("</details>")

    def waiver(self, waiver: Mapping[str, Any]) -> None:
        L = self.L
        expired = _expired(waiver.get("expires"), self.run.finished)
        self.page.add(
            f'<div class="box waiver"><h4>{e(L["waiver"])}</h4>',
            self.dl(
                [
                    (L["justification"], waiver.get("justification")),
                    (L["approver"], waiver.get("approver")),
                    (L["expires"], str(waiver.get("expires") or "") + (" ⚠" if expired else "")),
                ]
            ),
            "</div>",
        )

    def attestation(self, att: Mapping[str, Any]) -> None:
        L = self.L
        self.page.add(f'<div class="box attestation"><h4>{e(L["attestation"])}</h4>')
        self.page.add(
            self.dl(
                [
                    (L["evidence_expected"], localized(att.get("evidence_expected"), self.lang)),
                    (L["statement"], localized(att.get("statement"), self.lang)),
                    (L["author"], att.get("author")),
                    (L["reviewer"], att.get("reviewer")),
                    (L["date"], att.get("date")),
                    (L["expires"], att.get("expires")),
                    ("SHA-256", self.attested_hash(att)),
                ]
            )
        )
        file = att.get("file")
        if isinstance(file, str) and file:
            self.evidence_list([file])
        self.page.add("</div>")

    def attested_hash(self, att: Mapping[str, Any]) -> str:
        """The declared hash, and whether the stored file still has it."""
        declared = att.get("sha256")
        file = att.get("file")
        if not isinstance(declared, str) or not isinstance(file, str):
            return "" if declared is None else str(declared)
        path = safe_evidence_path(self.run, file)
        if path is None or not path.is_file():
            return declared
        digest = hashlib.sha256()
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
        ok = digest.hexdigest() == declared.lower()
        return f"{declared} ({self.L['hash_ok'] if ok else self.L['hash_bad']})"

    def check(self, chk: Check) -> None:
        L = self.L
        self.page.add(
            f'<li class="check v-{e(chk.shown)}"><p>{self.badge(chk.shown)} <code>{e(chk.check)}</code> {e(chk.title)}'
        )
        if chk.label:
            self.page.add(f' <span class="label">[{e(chk.label)}]</span>')
        if chk.duration is not None:
            self.page.add(f' <span class="dur">{chk.duration:.2f} s</span>')
        self.page.add("</p>")
        if chk.params:
            self.page.add(
                f'<p class="params">{e(L["params"])}{L["colon"]}<code>'
                f"{e(json.dumps(chk.params, ensure_ascii=False, sort_keys=True))}</code></p>"
            )
        for line in override_lines(chk.overrides, self.lang):
            self.page.add(f'<p class="params override"><strong>{e(L["override"])}</strong>{L["colon"]}{e(line)}</p>')
        if chk.shared_from:
            self.page.add(f'<p class="params shared">{e(L["shared_from"])} <code>{e(chk.shared_from)}</code></p>')
        if chk.message:
            self.page.add(f'<pre class="msg">{e(chk.message)}</pre>')
        if chk.evidence:
            self.evidence_list(chk.evidence)
        self.page.add("</li>")

    # -- evidence -----------------------------------------------------------------

    def evidence_list(self, relpaths: Iterable[str]) -> None:
        self.page.add(f'<ul class="evidence" aria-label="{e(self.L["evidence"])}">')
        for rel in relpaths:
            self.evidence(load_evidence(self.run, rel, self.budget))
        self.page.add("</ul>")

    def file_link(self, item: EvidenceItem) -> str:
        return f' <a class="file" href="{self.href(item.relpath)}">{e(self.L["open_file"])}</a>'

    def evidence(self, item: EvidenceItem) -> None:
        L = self.L
        if item.kind == "unsafe":
            self.page.add(f'<li class="ev bad"><code>{e(item.relpath)}</code> — {e(L["unsafe_path"])}</li>')
            return
        if item.kind == "missing":
            self.page.add(f'<li class="ev bad"><code>{e(item.relpath)}</code> — {e(L["missing_file"])}</li>')
            return
        if item.kind == "image":
            self.page.add(f'<li class="ev img"><code>{e(item.relpath)}</code>{self.file_link(item)}')
            if item.image_bytes is not None:
                data = base64.b64encode(item.image_bytes).decode("ascii")
                self.page.add(f'<img src="data:{item.image_mime};base64,{data}" alt="{e(item.name)}" loading="lazy">')
            else:
                self.page.add(f" <em>({e(L['not_inlined'])})</em>")
            self.page.add("</li>")
            return
        if item.kind == "http":
            self.http(item)
            return
        if item.kind == "text" and item.text is not None:
            cut = f" <em>({e(L['truncated'])})</em>" if item.text_truncated else ""
            self.page.add(
                f'<li class="ev txt"><details><summary><code>{e(item.relpath)}</code> '
                f"({_size(item.size)})</summary>{self.file_link(item)}{cut}"
                f"<pre>{e(item.text)}</pre></details></li>"
            )
            return
        self.page.add(
            f'<li class="ev bin"><code>{e(item.relpath)}</code> ({_size(item.size)}){self.file_link(item)}</li>'
        )

    def http(self, item: EvidenceItem) -> None:
        L = self.L
        elapsed = f" ({item.elapsed:.2f} s)" if item.elapsed is not None else ""
        if not item.inlined:
            self.page.add(
                f'<li class="ev http"><code class="ex">{e(item.summary)}</code>{e(elapsed)} '
                f'<span class="path">{e(item.relpath)}</span></li>'
            )
            return
        self.page.add(
            f'<li class="ev http"><details><summary><code class="ex">{e(item.summary)}</code>'
            f"{e(elapsed)}</summary>{self.file_link(item)}"
        )
        if item.error:
            self.page.add(f'<p class="err">{e(L["transport_error"])}{L["colon"]}{e(item.error)}</p>')
        for label, side in ((L["request"], item.request), (L["response"], item.response)):
            if side is not None:
                self.page.add(self.side(label, side))
        self.page.add("</details></li>")

    def side(self, label: str, side: HttpSide) -> str:
        head = "\n".join(f"{k}: {v}" for k, v in side.headers)
        body = "" if side.body is None else "\n\n" + side.body
        cut = f" <em>({e(self.L['truncated'])})</em>" if side.truncated else ""
        return f'<h5>{e(label)}{cut}</h5><pre class="wire">{e(side.first_line)}\n{e(head)}{e(body)}</pre>'

    # -- whole page ---------------------------------------------------------------

    def build(self) -> str:
        css = REPORT_CSS + SCREEN_CSS
        script = REPORT_JS
        csp = "default-src 'none'; img-src data:; style-src " + _csp_hash(css)
        csp += "; script-src " + (_csp_hash(script) if script else "'none'")
        csp += "; base-uri 'none'; form-action 'none'; object-src 'none'"
        ref = self.run.referential
        title = f"{self.L['title']} — {ref.id} {ref.version}"
        self.page.add(
            f'<!DOCTYPE html>\n<html lang="{e(self.lang)}"><head><meta charset="utf-8">',
            f'<meta http-equiv="Content-Security-Policy" content="{e(csp)}">',
            '<meta name="referrer" content="no-referrer">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{e(title)}</title><style>{css}</style></head>",
            '<body class="screen">',
        )
        self.header()
        self.summary()
        self.to_confirm()
        self.details()
        self.filters()
        self.requirements()
        self.page.add(f"<script>{script}</script>")
        self.page.add("</body></html>\n")
        return self.page.text()


def _flat(value: Any) -> str:
    """A compact one-line view of a small mapping (options, URLs, tool versions)."""
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={_flat(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_flat(v) for v in value) + "]"
    return "" if value is None else str(value)


def _value(value: Any) -> str:
    """Escaped HTML for a definition value: a mapping gets one line per key."""
    if isinstance(value, Mapping):
        return "<br>".join(f"{e(k)}: {e(_flat(v))}" for k, v in value.items())
    return e(value)


def _size(n: int) -> str:
    for unit in ("o", "Kio", "Mio"):
        if n < 1024:
            return f"{n} {unit}" if unit == "o" else f"{n:.0f} {unit}"
        n = n / 1024  # type: ignore[assignment]
    return f"{n:.1f} Gio"


def _expired(expires: Any, finished: Any) -> bool:
    # ISO-8601 dates compare as strings; only the date part matters for an expiry.
    if not isinstance(expires, str) or not isinstance(finished, str) or not expires:
        return False
    return expires[:10] < finished[:10]


# Beyond this many requirements the screen page keeps each requirement's details in
# a <template> that the script instantiates when the block is opened: measured with
# 5,000 requirements / 10,000 checks (bench/report_scale.py), the fully built DOM
# had ~178,000 elements and took seconds to load and to filter in Chromium.
LAZY_THRESHOLD = 400


def build_html(
    run: Run,
    lang: str,
    out_dir: Path,
    *,
    lazy_threshold: int = LAZY_THRESHOLD,
) -> str:
    """The report page as a string.

    Above ``lazy_threshold`` requirements, each requirement's details are deferred
    (opened with the report's own script).
    """
    return _Builder(run, lang, out_dir, lazy_threshold).build()


class HtmlReporter:
    """Self-contained HTML report (``report.html``)."""

    name = "html"
    filename = "report.html"

    def render(self, run: Run, out_dir: Path, lang: str) -> Path:
        """Write ``report.html`` into ``out_dir``."""
        path = out_dir / self.filename
        # errors="replace": lone surrogates from a hostile JSON cannot be encoded.
        path.write_text(build_html(run, lang, out_dir), encoding="utf-8", errors="replace")
        return path
