"""Waiting for a page to settle, and telling whether it shows anything at all.

A web client that renders with JavaScript after `load` gives a different DOM at every
instant of its first second: auditing it "as soon as loaded" made axe counts and RGAA
verdicts vary between identical runs. A page is audited once it has settled:

1. `load` (the navigation itself waits for it);
2. network idle (no request for 500 ms, Playwright's `networkidle`), waited for at most
   `NETWORK_IDLE_MS` - a page that long-polls never gets there and goes on to step 4,
   and a page whose data takes longer than that to come declares `ready:`;
3. the page map's `ready:` selector, when the page declares one, visible;
4. no DOM mutation for a quiet window (`settings.ui.quiet_ms`, default 500 ms), and no CSS
   animation or transition of at most `ANIMATION_WAIT_MS` still running (an entrance fade
   audited half-way had another contrast; a handler at its end changes the page). Changes
   of `style` attributes alone are ignored: they are what JavaScript animations touch
   every frame, and they neither add nor remove content.

A document that provably cannot change after `load` (no script of its own ran, nothing in
it loads, plays or fires later: `static_page.py`) is final at `load` and skips steps 2 and
4; the settle record says which way the page went, and why it had to wait.

All of it is bounded by the page budget (the navigation timeout). A page that never stops
changing, or whose `ready:` selector never shows, is an error naming the page: there is no
stable state to judge.

A page that renders nothing a person can perceive - no text and no control, as a failed
render or an empty shell gives - is also an error naming the page: auditing it would turn
every criterion into "not applicable" or "passed" about nothing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from homolog import CheckError
from homolog.suites.ui.static_page import not_final_reason

__all__ = ["DEFAULT_QUIET_MS", "WATCH_JS", "PageContent", "SettleRecord", "page_content", "settle_page"]

DEFAULT_QUIET_MS = 500
NETWORK_IDLE_MS = 5_000

# Installed in every document before its own scripts run (UiSession adds it to each
# browser context): the time of the last DOM change since the document started, so that
# the quiet window can have elapsed while the harness waited for the network, and whether
# anything that runs page script (a script element, an event-handler attribute, a frame
# or plugin element) was ever inserted (`static_page.py`). The state lives in a closure
# behind a frozen object of getters on a property the page cannot redefine, and the
# observer reads records and nodes through the browser's own getters taken before any
# page script ran: a page that rewrites the DOM's prototypes cannot change what it reports.
WATCH_JS = """
(() => {
  if (window.__homologSettle) return 0;
  const getter = (proto, name) => Object.getOwnPropertyDescriptor(proto, name).get;
  const apply = Reflect.apply;
  const now = performance.now.bind(performance);
  const recordType = getter(MutationRecord.prototype, 'type');
  const recordAttr = getter(MutationRecord.prototype, 'attributeName');
  const recordAdded = getter(MutationRecord.prototype, 'addedNodes');
  const listLength = getter(NodeList.prototype, 'length');
  const nodeType = getter(Node.prototype, 'nodeType');
  const localName = getter(Element.prototype, 'localName');
  const attributes = getter(Element.prototype, 'attributes');
  const mapLength = getter(NamedNodeMap.prototype, 'length');
  const attrName = getter(Attr.prototype, 'name');
  const toLower = String.prototype.toLowerCase;
  const startsWith = String.prototype.startsWith;
  const getAttribute = Element.prototype.getAttribute;
  const trim = String.prototype.trim;
  const running = {script: 1, iframe: 1, frame: 1, object: 1, embed: 1, fencedframe: 1, portal: 1};
  // A script element whose type is none of these is a data block the browser never runs.
  const code = new Set(['', 'module', 'application/ecmascript', 'application/javascript', 'application/x-ecmascript',
    'application/x-javascript', 'text/ecmascript', 'text/javascript', 'text/javascript1.0', 'text/javascript1.1',
    'text/javascript1.2', 'text/javascript1.3', 'text/javascript1.4', 'text/javascript1.5', 'text/jscript',
    'text/livescript', 'text/x-ecmascript', 'text/x-javascript']);
  const has = Set.prototype.has;
  const early = document.readyState === 'loading';
  let last = now();
  let mutations = 0;
  let scripted = '';
  const isHandler = (name) => apply(startsWith, apply(toLower, name, []), ['on']);
  const scan = (node) => {
    if (apply(nodeType, node, []) !== 1) return;
    const name = apply(toLower, apply(localName, node, []), []);
    if (running[name] === 1) {
      const type = name === 'script' ? apply(getAttribute, node, ['type']) : null;
      if (type === null || apply(has, code, [apply(toLower, apply(trim, type, []), [])])) {
        scripted = scripted || 'a <' + name + '> element';
        return;
      }
    }
    const attrs = apply(attributes, node, []);
    for (let i = 0; i < apply(mapLength, attrs, []); i++) {
      const a = apply(attrName, attrs[i], []);
      if (isHandler(a)) { scripted = scripted || 'an event-handler attribute (' + a + ')'; return; }
    }
  };
  new MutationObserver((records) => {
    let changed = false;
    for (let i = 0; i < records.length; i++) {
      const r = records[i];
      const type = apply(recordType, r, []);
      if (type === 'childList') {
        const added = apply(recordAdded, r, []);
        for (let j = 0; j < apply(listLength, added, []); j++) scan(added[j]);
      } else if (type === 'attributes') {
        const name = apply(recordAttr, r, []);
        if (isHandler(name)) scripted = scripted || 'an event-handler attribute (' + name + ')';
        if (name === 'style') continue;
      }
      changed = true;
    }
    if (changed) { last = now(); mutations++; }
  }).observe(document, {subtree: true, childList: true, characterData: true, attributes: true});
  Object.defineProperty(window, '__homologSettle', {
    value: Object.freeze({
      get last() { return last; },
      get mutations() { return mutations; },
      get scripted() { return scripted; },
      get early() { return early; },
    }),
    enumerable: false,
  });
  return 1;
})()
"""

_QUIET_JS = """
async ({quietMs, timeoutMs, animationMs}) => {
  const state = window.__homologSettle;
  const start = performance.now();
  const seen = state.mutations;
  // A CSS animation or transition of the document that ends within animationMs (an
  // entrance fade, a panel sliding in) is still moving the page: waited for. One that never
  // ends (a spinner) or lasts longer (a slow background fade) is how the page looks.
  const moving = () => document.getAnimations().some((a) => {
    if (a.playState !== 'running' && !a.pending) return false;
    const t = a.effect && a.effect.getComputedTiming();
    if (!t || !Number.isFinite(t.endTime)) return false;
    const left = t.endTime - (t.localTime || 0);
    return left > 0 && t.endTime <= animationMs;
  });
  for (;;) {
    const now = performance.now();
    const mutations = state.mutations - seen;
    if (now - state.last >= quietMs && !moving()) return {settled: true, waited_ms: Math.round(now - start), mutations};
    if (now - start >= timeoutMs) return {settled: false, waited_ms: Math.round(now - start), mutations};
    await new Promise((r) => setTimeout(r, Math.min(50, quietMs)));
  }
}
"""
#: A CSS animation or transition lasting at most this long is waited for before a page is
#: audited (its end may change what the page shows: a handler, a fade's contrast).
ANIMATION_WAIT_MS = 3_000

# Text and controls, through open shadow roots too (web components render there, where
# innerText and querySelectorAll do not look).
_CONTENT_JS = """
() => {
  if (!document.body) return {text_chars: 0, sample: '', controls: 0};
  const sel = 'a[href], button, input:not([type=hidden]), select, textarea, summary, iframe, '
    + '[role=button], [role=link], [role=textbox], [role=combobox], [contenteditable=""], [contenteditable=true]';
  const shown = (el) => {
    const s = getComputedStyle(el);
    if (s.visibility === 'hidden' || s.display === 'none') return false;
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0;
  };
  const skip = new Set(['SCRIPT', 'STYLE', 'NOSCRIPT', 'TEMPLATE']);
  let text = '';
  let controls = 0;
  let visited = 0;
  const roots = [document.body];
  while (roots.length && visited < 20000 && !(text.length >= 120 && controls > 0)) {
    const walker = document.createTreeWalker(roots.pop(), NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
    for (let n = walker.currentNode; n && visited < 20000; n = walker.nextNode()) {
      visited++;
      if (n.nodeType === Node.TEXT_NODE) {
        const t = n.data.replace(/\\s+/g, ' ').trim();
        const parent = n.parentElement;
        if (t && parent && !skip.has(parent.tagName) && shown(parent)) text += (text ? ' ' : '') + t;
      } else if (n.nodeType === Node.ELEMENT_NODE) {
        if (n.shadowRoot) roots.push(n.shadowRoot);
        if (controls < 50 && n.matches(sel) && shown(n)) controls++;
      }
    }
  }
  return {text_chars: text.length, sample: text.slice(0, 120), controls};
}
"""


@dataclass(frozen=True)
class SettleRecord:
    """How a page settled (for evidence: durations vary between runs, verdicts must not)."""

    network_idle: bool
    ready: str | None
    quiet_ms: int
    waited_ms: int
    mutations: int
    final_at_load: bool = False
    why_waited: str | None = None

    def to_json(self) -> dict[str, Any]:
        """A JSON-friendly summary for evidence."""
        return {
            "network_idle": self.network_idle,
            "ready_selector": self.ready,
            "quiet_window_ms": self.quiet_ms,
            "waited_ms": self.waited_ms,
            "mutations_seen": self.mutations,
            "final_at_load": self.final_at_load,
            "why_waited": self.why_waited,
        }


def settle_page(
    page: Any,
    page_name: str,
    *,
    timeout_ms: int,
    quiet_ms: int = DEFAULT_QUIET_MS,
    ready: str | None = None,
    response: Any = None,
) -> SettleRecord:
    """Wait until `page` has settled (see the module doc); CheckError naming the page if
    it does not within `timeout_ms`. `response` is the Playwright Response of the document
    just loaded, None when it is not known (no document can then be taken as final at load)."""
    deadline = time.monotonic() + timeout_ms / 1000
    start = time.monotonic()

    def left_ms() -> int:
        return max(0, int((deadline - time.monotonic()) * 1000))

    def wait_ready() -> None:
        if not ready:
            return
        try:
            page.locator(ready).first.wait_for(state="visible", timeout=max(1, left_ms()))
        except Exception:
            raise CheckError(
                f"page {page_name!r} ({page.url}): its ready selector {ready!r} did not appear within "
                f"{timeout_ms / 1000:g} s (a login wall, an error page or a failed render?)"
            ) from None

    why_waited = not_final_reason(page, response)
    if why_waited is None:
        wait_ready()
        waited = int((time.monotonic() - start) * 1000)
        return SettleRecord(False, ready, quiet_ms, waited, 0, final_at_load=True)
    network_idle = True
    try:
        page.wait_for_load_state("networkidle", timeout=max(1, min(NETWORK_IDLE_MS, timeout_ms // 2)))
    except Exception:  # long polling, a websocket-less push channel: go on, the DOM decides
        network_idle = False
    wait_ready()
    try:
        page.evaluate(WATCH_JS)  # a no-op where the browser context installed it already
        quiet = page.evaluate(
            _QUIET_JS,
            {"quietMs": quiet_ms, "timeoutMs": max(quiet_ms, left_ms()), "animationMs": ANIMATION_WAIT_MS},
        )
    except Exception as exc:
        raise CheckError(f"page {page_name!r}: cannot watch it settle: {str(exc).splitlines()[0]}") from exc
    if not quiet["settled"]:
        raise CheckError(
            f"page {page_name!r} ({page.url}) kept changing for {timeout_ms / 1000:g} s "
            f"(no {quiet_ms} ms without a DOM change): no stable page to audit"
        )
    return SettleRecord(
        network_idle, ready, quiet_ms, int(quiet["waited_ms"]), int(quiet["mutations"]), why_waited=why_waited
    )


@dataclass(frozen=True)
class PageContent:
    """What a person can perceive on a page, roughly: its visible text and controls."""

    text_chars: int
    controls: int
    sample: str

    @property
    def blank(self) -> bool:
        """Nothing to read and nothing to operate."""
        return self.text_chars == 0 and self.controls == 0


def page_content(page: Any, page_name: str) -> PageContent:
    """Visible text and controls of the page as rendered."""
    try:
        raw = page.evaluate(_CONTENT_JS)
    except Exception as exc:
        raise CheckError(f"page {page_name!r}: cannot read what it shows: {str(exc).splitlines()[0]}") from exc
    return PageContent(int(raw["text_chars"]), int(raw["controls"]), str(raw["sample"]))
