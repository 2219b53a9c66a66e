"""The pinned axe-core: where it is found, how it runs in a page, how results map to RGAA.

axe-core tags its rules `RGAAv4` and `RGAA-<topic>.<criterion>.<test>`; the mapping is
read from the injected axe itself at run time, so a criterion is judged by exactly the
rules the pinned version declares for it. Rules axe marks `experimental` are left out:
they are known to report false positives and a verdict must not rest on them.
"""

from __future__ import annotations

import contextlib
import os
import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from homolog import CheckError

from .browser import PageFrames, page_frames
from .contrast import MAX_MEASURED, PAGE_FNS_JS, ContrastMeasure, find_by_axe_selector, measure_texts

__all__ = [
    "AXE_VERSION",
    "CriterionDecision",
    "PageAudit",
    "RuleResult",
    "axe_candidates",
    "decide_criterion",
    "find_axe_js",
    "run_axe",
]

AXE_VERSION = "4.14.1"
SETUP_HINT = "run scripts/setup-ui.sh (it fetches axe-core from the npm registry)"
MAX_AXE_BYTES = 2 * 1024 * 1024
#: How long axe waits for a frame's results once the frame answered (a frame that does not
#: answer at all is given up after axe's half-second ping and reported unaudited).
FRAME_WAIT_MS = 15_000
#: The rules axe AXE_VERSION applies to the top document only (their `is-initiator-matches`:
#: its title, its language, its viewport): what frames show does not change them.
TOP_ONLY_RULES = frozenset(
    {"aria-hidden-body", "document-title", "html-has-lang", "meta-viewport", "meta-viewport-large"}
)
_CRITERION = re.compile(r"^\d{1,2}\.\d{1,2}$")

Outcome = Literal["violation", "incomplete", "pass", "inapplicable"]


def _cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "homolog"


def axe_candidates(configured: str | None = None) -> list[Path]:
    """Where axe.min.js is looked for, in order: `settings.ui.axe_js`, user cache, the repo's node_modules."""
    found: list[Path] = []
    if configured:
        found.append(Path(configured))
    found.append(_cache_root() / f"axe-core-{AXE_VERSION}" / "axe.min.js")
    repo = Path(__file__).resolve().parents[2]
    found.append(repo / "node_modules" / "axe-core" / "axe.min.js")
    return found


@lru_cache(maxsize=4)
def _read_axe(path: str, mtime: float) -> str:
    data = Path(path).read_bytes()
    if len(data) > MAX_AXE_BYTES:
        raise CheckError(f"{path} is {len(data)} bytes: not an axe-core build ({SETUP_HINT})")
    return data.decode("utf-8")


def find_axe_js(configured: str | None = None) -> tuple[Path, str]:
    """The first axe.min.js found (`configured` first) and its source; CheckError with the fix when none."""
    candidates = axe_candidates(configured)
    for path in candidates:
        if path.is_file():
            return path, _read_axe(str(path), path.stat().st_mtime)
    looked = ", ".join(str(p) for p in candidates)
    raise CheckError(f"axe-core {AXE_VERSION} not found (looked in {looked}): {SETUP_HINT}")


# axe takes results only from frames of the page's own origin by default; a frame the
# target serves from another of its origins (a port, a host) is audited too. (What it
# serves is what is judged: a frame out of the target's scope was not loaded.)
_ALL_ORIGINS = "axe.configure({allowedOrigins: ['<unsafe_all_origins>']})"


# Runs in the page. Keeps results small: the SUT's markup is untrusted and may be huge.
_RUN_JS = (
    """
async (opts) => {"""
    + PAGE_FNS_JS
    + """
  // Texts a box the user scrolls holds out of its view, within a box hiding what overflows
  // it (an application's shell: the page does not scroll, a panel does). axe takes them
  // for hidden and never judges their contrast: its rule is run again on them, each such
  // box scrolled to show them a batch at a time, then put back; what it finds joins `res`.
  async function scrolledOut(res, opts) {
    const scrolls = (o) => o === 'auto' || o === 'scroll';
    const styles = new Map();  // each element's overflow, read once
    const overflow = (e) => {
      if (!styles.has(e)) {
        const s = getComputedStyle(e);
        styles.set(e, {x: s.overflowX, y: s.overflowY, both: s.overflow});
      }
      return styles.get(e);
    };
    const meets = (r, h) => r.right > h.left && r.left < h.right && r.bottom > h.top && r.top < h.bottom;
    const boxes = new Map();
    const walker = document.createTreeWalker(document.body || document.documentElement, NodeFilter.SHOW_TEXT);
    const seen = new Set();
    let count = 0, beyond = 0, nodes = 0;
    let t = walker.nextNode();
    for (; t && nodes < 100000; t = walker.nextNode(), nodes++) {
      const el = t.parentElement;
      if (!el || seen.has(el) || !t.textContent.trim()) continue;
      seen.add(el);
      if (!el.checkVisibility({opacityProperty: true, visibilityProperty: true})) continue;
      const r = el.getBoundingClientRect();
      let box = null;
      for (let e = el.parentElement; e; e = e.parentElement) {
        const s = overflow(e);
        if (!box) {
          const over = e.scrollHeight > e.clientHeight || e.scrollWidth > e.clientWidth;
          if ((scrolls(s.x) || scrolls(s.y)) && over) box = e;
        } else if (s.both === 'hidden' && !meets(r, e.getBoundingClientRect())) {
          if (count >= opts.maxMeasured) {
            beyond += 1;
          } else {
            if (!boxes.has(box)) boxes.set(box, []);
            boxes.get(box).push(el);
            count += 1;
          }
          break;
        }
      }
    }
    if (beyond || t) {
      // what was not looked at leaves the rule undecided, saying so
      const why = t ? 'the page holds over 100,000 texts: those after were not looked for out of view'
        : beyond + ' more text(s) a scrolling box holds out of view were not judged (at most '
          + opts.maxMeasured + ')';
      let mine = res.incomplete.find((x) => x.id === 'color-contrast');
      if (!mine) res.incomplete.push(mine = {id: 'color-contrast', impact: 'serious', help: 'Elements must meet '
        + 'minimum color contrast ratio thresholds', helpUrl: '', nodes: []});
      mine.nodes.push({target: ['body'], html: '', failureSummary: why, any: [], all: [], none: [], element: null,
                       homologWhy: why});
    }
    if (!boxes.size) return;
    const judged = new Set([...res.violations, ...res.incomplete].filter((r) => r.id === 'color-contrast')
      .flatMap((r) => r.nodes.map((n) => n.element)));
    const join = (more) => {
      for (const kind of ['violations', 'incomplete']) {
        for (const r of more[kind].filter((x) => x.id === 'color-contrast')) {
          const nodes = r.nodes.filter((n) => n.element && !judged.has(n.element));
          nodes.forEach((n) => judged.add(n.element));
          if (!nodes.length) continue;
          let mine = res[kind].find((x) => x.id === r.id);
          if (!mine) res[kind].push(mine = {...r, nodes: []});
          mine.nodes.push(...nodes);
        }
      }
    };
    for (const [box, els] of boxes) {
      const at = [box.scrollLeft, box.scrollTop];
      let todo = els;
      try {
        while (todo.length) {
          bringIn(box, todo[0]);
          const c = box.getBoundingClientRect(), left = c.left + box.clientLeft, top = c.top + box.clientTop;
          const shown = todo.filter((e) => {
            const q = e.getBoundingClientRect();
            return q.left >= left - 1 && q.right <= left + box.clientWidth + 1
              && q.top >= top - 1 && q.bottom <= top + box.clientHeight + 1;
          });
          const batch = shown.length ? shown : [todo[0]];
          join(await axe.run({include: batch}, {runOnly: {type: 'rule', values: ['color-contrast']},
            resultTypes: ['violations', 'incomplete'], iframes: false, elementRef: true}));
          todo = todo.filter((e) => !batch.includes(e));
        }
      } finally {
        box.scrollTo({left: at[0], top: at[1], behavior: 'instant'});
      }
    }
  }

  // axe's label-content-name-mismatch reads an element's visible text with its pieces put
  // end to end: in a flex container "No file chosen" and "Choose file" make "chosenChoose",
  // a word its name cannot hold (GOV.UK's file upload), where the page shows two boxes.
  // Each element it fails is judged again by axe's own rule with a space beside each box of
  // its own inside it (a block, flex or grid item, a table cell: what the rendering, and
  // the browser's accessible name, separate), taken out after; one that passes then is a
  // pass, kept in `overruled` with why.
  async function labelInName(res) {
    const rule = res.violations.find((r) => r.id === 'label-content-name-mismatch');
    if (!rule) return;
    // bounded: a hostile page's thousand failing links keep axe's verdict past the first 50
    for (const n of rule.nodes.slice(0, 50)) {
      const el = n.element;
      if (!el || !el.isConnected || !el.querySelectorAll || el.querySelectorAll('*').length > 500) continue;
      const boxes = [...el.querySelectorAll('*')].filter((d) => {
        const shown = getComputedStyle(d).display;
        return shown !== 'none' && !/^(inline|contents|ruby)/.test(shown);
      });
      if (!boxes.length) continue;
      const spaces = [];
      try {
        for (const d of boxes) {
          for (const where of ['before', 'after']) {
            const t = document.createTextNode(' ');
            d[where](t);
            spaces.push(t);
          }
        }
        const again = await axe.run({include: [el]}, {runOnly: {type: 'rule', values: [rule.id]},
          resultTypes: ['violations', 'incomplete'], iframes: false, elementRef: true});
        const still = [...again.violations, ...again.incomplete].some((r) => r.nodes.some((m) => m.element === el));
        if (still) continue;
      } finally {
        spaces.forEach((t) => t.remove());
      }
      overrule(res, rule, n, 'its visible text is in its accessible name once the boxes it shows apart are '
        + 'read apart (axe-core put their texts end to end)');
    }
  }

  // What axe failed and the harness passes, with why: `n` out of `rule`'s violations (the
  // rule out of them with its last node), kept in `overruled`.
  const overruled = [];
  function overrule(res, rule, n, why) {
    rule.nodes = rule.nodes.filter((m) => m !== n);
    overruled.push({rule: rule.id, target: n.target.map(String).join(' '), html: n.html, why});
    if (!rule.nodes.length) {
      res.violations = res.violations.filter((r) => r !== rule);
      if (!res.passes.some((r) => r.id === rule.id)) res.passes.push({id: rule.id});
    }
  }

  // A text axe fails that is an inactive component's (a disabled slider's value beside it,
  // hidden from assistive technologies): RGAA 3.2 does not cover it, as when it is measured.
  function inactiveTexts(res) {
    const rule = res.violations.find((r) => r.id === 'color-contrast');
    for (const n of rule ? [...rule.nodes] : []) {
      const why = n.element && n.element.isConnected ? inactive(n.element) : null;
      if (why) overrule(res, rule, n, why);
    }
  }

  const meta = {};
  const ids = [];
  const topOnly = new Set(opts.topOnly);
  for (const r of axe.getRules(['RGAAv4'])) {
    if (r.tags.includes('experimental')) continue;
    const tests = r.tags.filter(t => /^RGAA-\\d+\\.\\d+\\.\\d+$/.test(t)).map(t => t.slice(5));
    if (!tests.length) continue;
    ids.push(r.ruleId);
    meta[r.ruleId] = {tests: tests, help: r.help, topOnly: topOnly.has(r.ruleId)};
  }
  // Bound the run: a huge or hostile page must not hold the check forever.
  const res = await Promise.race([
    (async () => {
      const found = await axe.run(document, {
        // frame-tested: axe's own report of a frame it could not enter (no axe in it)
        runOnly: {type: 'rule', values: [...ids, 'frame-tested']},
        resultTypes: ['violations', 'incomplete'],
        iframes: true,
        frameWaitTime: opts.frameWaitMs,
        elementRef: true,
      });
      await scrolledOut(found, opts);
      await labelInName(found);
      inactiveTexts(found);
      return found;
    })(),
    new Promise((_, reject) => setTimeout(
      () => reject(new Error('axe-core did not finish within ' + opts.timeoutMs + ' ms')),
      opts.timeoutMs)),
  ]);
  const cut = (s, n) => (s || '').length > n ? s.slice(0, n) + '…' : (s || '');
  const slim = (list) => list.map(r => ({
    id: r.id, impact: r.impact, help: cut(r.help, 300), helpUrl: cut(r.helpUrl, 300),
    total: r.nodes.length,
    nodes: r.nodes.slice(0, opts.maxNodes).map(n => ({
      target: n.target.slice(0, 5).map(t => cut(String(t), 200)),
      html: cut(n.html, 300),
      summary: cut(n.failureSummary, 500),
    })),
  }));
  // The texts whose contrast axe left undecided, kept for a measure on the rendered page
  // (contrast.py) in what this returns, held by the harness: no page script reaches them.
  const undecided = res.violations.some(r => r.id === 'color-contrast') ? []
    : res.incomplete.filter(r => r.id === 'color-contrast').flatMap(r => r.nodes).slice(0, opts.maxMeasured);
  const measure = undecided.map((n, i) => ({
    index: i, target: cut(n.target.map(String).join(' '), 200),
    reasons: [...n.any, ...n.all, ...n.none].map(c => c.data && c.data.messageKey).filter(Boolean),
    why: n.homologWhy || null,
    // a text in a frame (no element here): axe's selectors, the frame element's then the
    // text's in the frame's document (an array: in a shadow root, not measured)
    frame: n.target.length > 1 ? n.target.map(t => typeof t === 'string' && t.length <= 2000 ? t : null) : null,
  }));
  // A frame that shows nothing (a document area under 2 pixels a side, or wholly above or
  // left of the page: a tracking frame) has nothing to audit; axe passes over hidden ones.
  const showsNothing = (el) => {
    if (!el || !el.getBoundingClientRect) return false;
    const r = el.getBoundingClientRect();
    return el.clientWidth < 2 || el.clientHeight < 2 || r.right + scrollX <= 0 || r.bottom + scrollY <= 0;
  };
  // each with its selector and whether it is sandboxed without scripts (no script runs
  // in it, axe's neither: its document is audited apart, run_axe)
  const unaudited = [...res.violations, ...res.incomplete].filter(r => r.id === 'frame-tested')
    .flatMap(r => r.nodes).filter(n => !showsNothing(n.element)).slice(0, 20).map(n => {
      const el = n.element, title = el && el.getAttribute('title'), src = el && el.getAttribute('src');
      const own = n.target.length === 1 && typeof n.target[0] === 'string' ? n.target[0] : null;
      return {
        label: cut(n.target.map(String).join(' '), 200) + (title ? ' "' + cut(title, 80) + '"' : '')
          + (src ? ' (' + cut(src, 120) + ')' : ''),
        selector: own && own.length <= 2000 ? own : null,
        scriptless: !!(el && el.sandbox && el.hasAttribute('sandbox') && !el.sandbox.contains('allow-scripts')),
      };
    });
  return {elements: undecided.map(n => n.element || null), result: {
    version: axe.version,
    measure: measure,
    url: cut(res.url, 2000),
    meta: meta,
    violations: slim(res.violations),
    incomplete: slim(res.incomplete),
    passes: res.passes.map(r => r.id),
    inapplicable: res.inapplicable.map(r => r.id),
    frames: document.querySelectorAll('iframe, frame').length,
    unaudited: unaudited,
    overruled: overruled.slice(0, opts.maxNodes).map((o) => ({...o, target: cut(o.target, 200),
      html: cut(o.html, 300)})),
  }};
}
"""
)


@dataclass(frozen=True)
class RuleResult:
    """One axe rule's outcome on one page."""

    rule_id: str
    outcome: Outcome
    rgaa_tests: tuple[str, ...]
    help: str = ""
    help_url: str = ""
    impact: str | None = None
    total: int = 0
    nodes: tuple[dict[str, Any], ...] = ()
    # axe applies it to the top document only (its title, its language), not to frames
    top_only: bool = False

    def describe(self) -> str:
        """`image-alt (RGAA 1.1.1): Images must have alternative text — 2 element(s): ...`"""
        where = "; ".join(" ".join(n.get("target", [])) for n in self.nodes[:3])
        more = f" (+{self.total - 3} more)" if self.total > 3 else ""
        tests = ", ".join(self.rgaa_tests)
        head = f"{self.rule_id} (RGAA {tests}): {self.help}"
        return f"{head} — {self.total} element(s): {where}{more}"


@dataclass
class PageAudit:
    """axe results for one mapped page, plus what the harness saw while auditing it."""

    page_name: str
    url: str
    axe_version: str
    rules: dict[str, RuleResult]
    frames: int = 0
    # Frames axe could not enter (its `frame-tested` rule: no axe in them - a frame refused
    # as out of scope, one that would not take a script): what they show is not audited.
    unaudited_frames: tuple[str, ...] = ()
    # Frames sandboxed without scripts whose documents were audited apart (run_axe).
    frames_apart: tuple[str, ...] = ()
    screenshot: bytes | None = field(default=None, repr=False)
    # Read on the same page visit by the audit (suites/ui/audit.py): the heading outline
    # (outline.Outline) and how the page settled before axe ran.
    outline: Any = field(default=None, repr=False)
    settle: dict[str, Any] | None = None
    # Texts whose contrast axe left undecided, measured on the rendered page (contrast.py).
    contrast: list[ContrastMeasure] = field(default_factory=list)
    # What axe failed and the harness judged again, passing it (`_RUN_JS`'s labelInName):
    # {"rule", "target", "html", "why"} each.
    overruled: list[dict[str, Any]] = field(default_factory=list)

    def for_criterion(self, criterion: str) -> list[RuleResult]:
        """Rules whose RGAA tests belong to `criterion` (e.g. "1.1")."""
        prefix = criterion + "."
        return [r for r in self.rules.values() if any(t.startswith(prefix) for t in r.rgaa_tests)]

    def to_json(self) -> dict[str, Any]:
        """A JSON-friendly summary for evidence."""
        return {
            "page": self.page_name,
            "url": self.url,
            "axe_version": self.axe_version,
            "frames": self.frames,
            "frames_not_audited": list(self.unaudited_frames),
            "frames_audited_apart": list(self.frames_apart),
            "settled": self.settle,
            "rules": {
                rid: {
                    "outcome": r.outcome,
                    "rgaa_tests": list(r.rgaa_tests),
                    "help": r.help,
                    "impact": r.impact,
                    "total": r.total,
                    "nodes": list(r.nodes),
                }
                for rid, r in sorted(self.rules.items())
            },
            **({"contrast_measured": [m.to_json() for m in self.contrast]} if self.contrast else {}),
            **({"overruled": list(self.overruled)} if self.overruled else {}),
        }


def _inject(page: Any, source: str) -> None:
    """Put axe in the page: a script tag, or, when the page's CSP forbids inline scripts
    (as a hardened SUT should), evaluation through the DevTools protocol, which CSP does
    not govern. Either way the page's own policy stays in force for its own scripts."""
    try:
        page.add_script_tag(content=source)
        return
    except Exception as exc:
        if "Content Security Policy" not in str(exc):
            raise
    page.evaluate(source + "\n;void 0")


def run_axe(
    page: Any,
    page_name: str,
    *,
    max_nodes: int = 20,
    timeout_ms: int = 60_000,
    axe_js: str | None = None,
    apart: bool = False,
) -> PageAudit:
    """Inject the pinned axe (`axe_js`: `settings.ui.axe_js`) into `page` (a Playwright Page)
    and run its RGAA rules. A frame sandboxed without scripts is audited apart and its
    results joined to the page's (`_audit_apart`); `apart`: `page` is such a frame's
    document, whose own frames of that kind stay unaudited."""
    path, source = find_axe_js(axe_js)
    try:
        _inject(page, source)
        page.evaluate(_ALL_ORIGINS)
        # axe audits a frame's document only with axe in it: put it in each frame the page
        # loaded (one that will not take it stays unaudited, and axe's `frame-tested` says
        # so); not in the browser's error page standing for a frame it could not load (one
        # out of the target's scope): that page is not what the frame shows a visitor
        for frame in page_frames(page).frames:
            if not PageFrames.loaded(frame):
                continue
            try:
                _inject(frame, source)
                frame.evaluate(_ALL_ORIGINS)
            except Exception:  # detached, refused or scriptless: frame-tested tells
                continue
        held = page.evaluate_handle(
            _RUN_JS,
            {
                "maxNodes": max_nodes,
                "timeoutMs": timeout_ms,
                "maxMeasured": 2 * MAX_MEASURED,
                "frameWaitMs": min(timeout_ms, FRAME_WAIT_MS),
                "topOnly": sorted(TOP_ONLY_RULES),
            },
        )
        raw = held.get_property("result").json_value()
    except Exception as exc:
        raise CheckError(f"axe-core could not run on page {page_name!r}: {exc}") from exc
    if not isinstance(raw, dict) or raw.get("version") != AXE_VERSION:
        held.dispose()
        got = raw.get("version") if isinstance(raw, dict) else raw
        raise CheckError(
            f"{path} is axe-core {got}, expected {AXE_VERSION} (the page may also have "
            f"replaced window.axe): {SETUP_HINT}"
        )
    meta: dict[str, Any] = raw["meta"]
    rules: dict[str, RuleResult] = {}

    def add(rule_id: str, outcome: Outcome, item: dict[str, Any] | None = None) -> None:
        info = meta.get(rule_id)
        if info is None:  # not a rule we asked for: ignore rather than guess its criterion
            return
        item = item or {}
        rules[rule_id] = RuleResult(
            rule_id=rule_id,
            outcome=outcome,
            rgaa_tests=tuple(info["tests"]),
            help=str(item.get("help") or info.get("help") or ""),
            help_url=str(item.get("helpUrl") or ""),
            impact=item.get("impact"),
            total=int(item.get("total") or 0),
            nodes=tuple(item.get("nodes") or ()),
            top_only=bool(info.get("topOnly")),
        )

    for rid in raw["inapplicable"]:
        add(rid, "inapplicable")
    for rid in raw["passes"]:
        add(rid, "pass")
    # A rule can be both incomplete and violated on different nodes: violation wins.
    for item in raw["incomplete"]:
        add(item["id"], "incomplete", item)
    for item in raw["violations"]:
        add(item["id"], "violation", item)
    unaudited = [u for u in raw.get("unaudited") or () if isinstance(u, dict)]
    measures: list[ContrastMeasure] = []
    contrast = rules.get("color-contrast")
    try:
        if contrast is not None and contrast.outcome == "incomplete" and raw.get("measure"):
            try:
                elements = held.get_property("elements")
                try:
                    measures = measure_texts(page, elements, list(raw["measure"]))
                finally:
                    elements.dispose()
            except Exception as exc:
                raise CheckError(f"the contrast of page {page_name!r} could not be measured: {exc}") from exc
            rules["color-contrast"] = _measured(contrast, measures)
    finally:
        held.dispose()  # the page's elements let go
    audit = PageAudit(
        page_name=page_name,
        url=str(raw.get("url", "")),
        axe_version=str(raw["version"]),
        rules=rules,
        frames=int(raw.get("frames") or 0),
        unaudited_frames=tuple(str(u.get("label")) for u in unaudited),
        contrast=measures,
        overruled=[o for o in raw.get("overruled") or () if isinstance(o, dict)],
    )
    for frame in unaudited:
        if frame.get("scriptless") and frame.get("selector") and not apart:
            _audit_apart(page, audit, str(frame["selector"]), str(frame["label"]), max_nodes, timeout_ms, axe_js)
    return audit


#: The largest document of a frame sandboxed without scripts audited apart.
MAX_APART_BYTES = 4 * 1024 * 1024
_RANK = {"inapplicable": 0, "pass": 1, "incomplete": 2, "violation": 3}


def _audit_apart(
    page: Any, audit: PageAudit, selector: str, label: str, max_nodes: int, timeout_ms: int, axe_js: str | None
) -> None:
    """Audit the document of the frame `selector` names, sandboxed without scripts, and join
    its results to `audit`.

    No script runs in such a frame, axe's neither (its timers never fire), so axe in the
    page cannot enter it. Its document is what the page loaded, no script having changed
    it: it is opened again in a page of its own, in the same browser context (the same
    cookies, the same scope), at the frame's size and address, served from what the frame
    holds with a policy that runs none of its scripts (`script-src 'none'`), and audited
    there. Its rules join the page's (a violation there is the page's), their elements named
    under the frame's selector; those axe applies to a top document alone (title, language)
    are left out. A frame whose document cannot be read or opened stays unaudited."""
    element = None
    try:
        element, _ = find_by_axe_selector(page, selector)
        frame = element.content_frame() if element is not None else None
        if frame is None or not PageFrames.loaded(frame):
            return
        html = frame.content()
        size = frame.evaluate("[innerWidth, innerHeight]")
    except Exception:  # the frame gone meanwhile: it stays unaudited
        return
    finally:
        if element is not None:
            element.dispose()
    if len(html.encode()) > MAX_APART_BYTES or min(size) < 2:
        return
    # a document written in the frame (srcdoc) has its page's address as its base
    url = page.url if frame.url.startswith(("about:", "data:", "blob:")) else frame.url
    if not url.startswith(("http://", "https://")):
        return  # no address to serve it at
    served = {"done": False}

    def serve(route: Any) -> None:
        if served["done"] or not route.request.is_navigation_request():
            route.fallback()
            return
        served["done"] = True
        route.fulfill(
            status=200,
            body=html,
            headers={"Content-Type": "text/html; charset=utf-8", "Content-Security-Policy": "script-src 'none'"},
        )

    alone = None
    try:
        alone = page.context.new_page()
        alone.set_viewport_size({"width": int(size[0]), "height": int(size[1])})
        alone.route("**/*", serve)
        alone.goto(url, wait_until="load", timeout=timeout_ms)
        with contextlib.suppress(Exception):  # images and fonts: a page that never idles goes on
            alone.wait_for_load_state("networkidle", timeout=5_000)
        name = f"{audit.page_name} > {label}"
        sub = run_axe(alone, name, max_nodes=max_nodes, timeout_ms=timeout_ms, axe_js=axe_js, apart=True)
    except Exception:  # could not be opened or audited: it stays unaudited
        return
    finally:
        if alone is not None:
            alone.close()
    for rule_id, rule in sub.rules.items():
        if rule.top_only:
            continue
        nodes = tuple({**n, "target": [selector, *n.get("target", [])]} for n in rule.nodes)
        rule = replace(rule, nodes=nodes)
        mine = audit.rules.get(rule_id)
        if mine is None or _RANK[rule.outcome] > _RANK[mine.outcome]:
            audit.rules[rule_id] = rule
        elif rule.outcome == mine.outcome and rule.outcome in ("violation", "incomplete"):
            audit.rules[rule_id] = replace(
                mine, total=mine.total + rule.total, nodes=(mine.nodes + rule.nodes)[:max_nodes]
            )
    audit.contrast += [replace(m, target=f"{selector} {m.target}") for m in sub.contrast]
    audit.overruled += [{**o, "target": f"{selector} {o.get('target', '')}"} for o in sub.overruled]
    nested = tuple(f"{selector} {f}" for f in sub.unaudited_frames)
    audit.unaudited_frames = tuple(f for f in audit.unaudited_frames if f != label) + nested
    audit.frames_apart += (label,)


def _measured(rule: RuleResult, measures: list[ContrastMeasure]) -> RuleResult:
    """`color-contrast` once the texts axe left undecided are measured on the rendered
    page: violated by any text measured below its ratio, still undecided for those the
    measure could not tell (and those beyond what axe listed), passed when every one was
    measured above it, draws no text or is exempt (a disabled control's)."""
    failed = [m for m in measures if m.verdict == "failed"]
    undecided = [m for m in measures if m.verdict == "undecided"]
    unlisted = max(0, rule.total - len(measures))
    outcome: Outcome
    if failed:
        chosen, outcome, total = failed, "violation", len(failed)
    elif undecided or unlisted:
        chosen, outcome, total = undecided, "incomplete", len(undecided) + unlisted
    else:
        return replace(rule, outcome="pass", total=0, nodes=())
    nodes = tuple({"target": [m.target], "summary": f"measured on the rendered page: {m.why}"} for m in chosen[:20])
    return replace(rule, outcome=outcome, total=total, nodes=nodes)


@dataclass(frozen=True)
class CriterionDecision:
    """What the axe results say about one RGAA criterion over several pages."""

    verdict: Literal["passed", "failed", "error", "not_applicable"]
    message: str
    failing_pages: tuple[str, ...] = ()


def decide_criterion(criterion: str, audits: list[PageAudit]) -> CriterionDecision:
    """Judge `criterion` from page audits.

    - any violation of a rule mapped to the criterion on any page -> failed;
    - else any `incomplete` result (axe could not tell) -> error: a person must look;
    - else if no mapped rule found an element to test on any page -> not_applicable;
    - else passed (the criterion's automated tests hold on every page).
    """
    if not _CRITERION.match(criterion):
        raise CheckError(f"{criterion!r} is not an RGAA criterion number like '1.1'")
    if not audits:
        raise CheckError("no page was audited")
    if not any(a.for_criterion(criterion) for a in audits):
        raise CheckError(
            f"axe-core {audits[0].axe_version} has no stable rule for RGAA {criterion}: "
            "this criterion must be attested manually"
        )
    violations = [(a, r) for a in audits for r in a.for_criterion(criterion) if r.outcome == "violation"]
    if violations:
        lines = [f"page {a.page_name!r}: {r.describe()}" for a, r in violations]
        pages = tuple(dict.fromkeys(a.page_name for a, _ in violations))
        return CriterionDecision("failed", f"RGAA {criterion} is not met: " + " | ".join(lines), pages)
    incomplete = [(a, r) for a in audits for r in a.for_criterion(criterion) if r.outcome == "incomplete"]
    if incomplete:
        lines = [f"page {a.page_name!r}: {r.describe()}" for a, r in incomplete]
        pages = tuple(dict.fromkeys(a.page_name for a, _ in incomplete))
        return CriterionDecision(
            "error",
            f"axe-core could not decide RGAA {criterion} (needs review by an auditor): " + " | ".join(lines),
            pages,
        )
    framed = [a for a in audits if a.unaudited_frames and not all(r.top_only for r in a.for_criterion(criterion))]
    if framed:
        lines = [f"page {a.page_name!r}: {', '.join(a.unaudited_frames)}" for a in framed]
        return CriterionDecision(
            "error",
            f"RGAA {criterion} is undecided: axe-core could not audit what these frames show "
            "(a frame out of the target's scope, or one sandboxed without scripts that could not be opened apart): "
            + " | ".join(lines),
            tuple(a.page_name for a in framed),
        )
    applied = [r.rule_id for a in audits for r in a.for_criterion(criterion) if r.outcome == "pass"]
    names = ", ".join(a.page_name for a in audits)
    if not applied:
        return CriterionDecision(
            "not_applicable",
            f"RGAA {criterion}: no element the automated rules test was found on {names}",
        )
    rules = ", ".join(sorted(set(applied)))
    return CriterionDecision("passed", f"RGAA {criterion}: automated rules {rules} pass on {names}")
