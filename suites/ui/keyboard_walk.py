"""A keyboard walk through a page: what Tab reaches, whether focus shows, whether it escapes.

The walk marks the page's visible interactive elements, then presses Tab from the top
of the document and records, for each stop, the element focused and its computed style
with and without focus. Chromium moves focus back to the document after the last
element (or wraps straight to the first one), so a normal page gives: e1, e2, ..., en,
[<document>,] e1. An element other than the first stop focused twice before focus leaves
the page is a keyboard trap.

Limits (said in evidence): content inside frames is not walked; the focus indicator is
detected through computed-style changes of the focused element itself (outline,
box-shadow, border, background, colour, text decoration), so an indicator drawn by
another element is not seen and reported as missing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from homolog import CheckError

__all__ = ["KeyboardWalk", "Stop", "walk_keyboard"]

# Marks candidates with data-homolog-kb="<n>"; radio buttons of one group share an id
# because Tab enters a radio group once.
_MARK_JS = """
() => {
  const sel = ['a[href]', 'area[href]', 'button', 'input', 'select', 'textarea', 'iframe',
    'summary', '[tabindex]', '[contenteditable=""]', '[contenteditable="true"]', '[onclick]',
    '[role=button]', '[role=link]', '[role=checkbox]', '[role=radio]', '[role=tab]',
    '[role=menuitem]', '[role=switch]', '[role=combobox]', '[role=textbox]', '[role=slider]',
    '[role=spinbutton]', '[role=option]'].join(',');
  const visible = (el) => {
    const s = getComputedStyle(el);
    if (s.visibility === 'hidden' || s.display === 'none') return false;
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0;
  };
  const describe = (el) => {
    let d = el.tagName.toLowerCase();
    if (el.id) d += '#' + el.id;
    const role = el.getAttribute('role'); if (role) d += '[role=' + role + ']';
    const name = (el.getAttribute('aria-label') || el.textContent || el.getAttribute('name')
      || el.getAttribute('value') || '').trim().replace(/\\s+/g, ' ');
    if (name) d += ' "' + name.slice(0, 60) + '"';
    return d.slice(0, 160);
  };
  const out = []; const groups = {}; let n = 0;
  for (const el of document.querySelectorAll(sel)) {
    if (out.length >= opts_max) break;
    if (el.matches('input[type=hidden]') || el.disabled) continue;
    if (el.closest('[inert], [aria-hidden="true"]')) continue;
    // tabindex=-1 deliberately takes an element out of the Tab order.
    if (el.getAttribute('tabindex') === '-1') continue;
    if (!visible(el)) continue;
    if (el.matches('input[type=radio]') && el.name) {
      const key = (el.form ? 'f' : 'd') + ':' + el.name;
      if (key in groups) { el.setAttribute('data-homolog-kb', groups[key]); continue; }
      groups[key] = String(n);
    }
    el.setAttribute('data-homolog-kb', String(n));
    out.push({id: String(n), desc: describe(el)});
    n++;
  }
  return out;
}
"""

_FOCUS_JS = """
() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return {exit: true};
  const props = ['outline-style', 'outline-width', 'outline-color', 'outline-offset',
    'box-shadow', 'background-color', 'color', 'border-top-color', 'border-bottom-color',
    'border-top-width', 'border-bottom-width', 'text-decoration-line'];
  const snap = () => { const s = getComputedStyle(el); const o = {};
    for (const p of props) o[p] = s.getPropertyValue(p); return o; };
  const kb = el.getAttribute('data-homolog-kb');
  let d = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '');
  // Focus inside a frame shows as the frame element here: its indicator is inside.
  if (el.tagName === 'IFRAME' || el.tagName === 'FRAME') {
    return {exit: false, frame: true, id: kb, desc: d.slice(0, 160), focused: {}, blurred: {}};
  }
  const focused = snap();
  // Compare with the same element unfocused, then give focus back so that the next Tab
  // continues from here (Chromium keeps :focus-visible after keyboard navigation).
  el.blur();
  const blurred = snap();
  el.focus({preventScroll: true});
  return {exit: false, frame: false, id: kb, desc: d.slice(0, 160), focused: focused,
          blurred: blurred, refocused: document.activeElement === el};
}
"""


def _indicator(focused: dict[str, str], blurred: dict[str, str]) -> list[str]:
    """Style properties that change with focus in a way a person can see."""
    changed = []
    for prop, value in focused.items():
        if blurred.get(prop) == value:
            continue
        if prop.startswith("outline"):
            style = focused.get("outline-style", "none")
            width = focused.get("outline-width", "0px")
            if style == "none" or width in ("0px", "0") or "rgba(0, 0, 0, 0)" in focused.get("outline-color", ""):
                continue
        if prop == "box-shadow" and value == "none":
            continue
        changed.append(prop)
    return changed


@dataclass
class Stop:
    """One Tab stop."""

    element: str
    mark: str | None
    indicator: list[str]


@dataclass
class KeyboardWalk:
    """The result of walking one page with Tab."""

    page_name: str
    url: str
    candidates: dict[str, str]
    stops: list[Stop] = field(default_factory=list)
    exits: int = 0
    trap: list[str] = field(default_factory=list)
    truncated: bool = False
    screenshot: bytes | None = field(default=None, repr=False)

    @property
    def reached(self) -> set[str]:
        """Marks of the candidates focused at least once."""
        return {s.mark for s in self.stops if s.mark is not None}

    def unreached(self) -> list[str]:
        """Descriptions of interactive elements Tab never focused."""
        return [d for m, d in self.candidates.items() if m not in self.reached]

    def without_indicator(self) -> list[str]:
        """Elements whose focus changed nothing visible."""
        seen: dict[str, None] = {}
        for s in self.stops:
            if not s.indicator:
                seen.setdefault(s.element, None)
        return list(seen)

    @property
    def has_findings(self) -> bool:
        """Whether a keyboard check could fail or err on this walk."""
        return bool(self.trap or self.truncated or self.unreached() or self.without_indicator())

    def to_json(self) -> dict[str, Any]:
        """A JSON-friendly summary for evidence."""
        return {
            "page": self.page_name,
            "url": self.url,
            "candidates": self.candidates,
            "stops": [s.__dict__ for s in self.stops],
            "left_page": self.exits,
            "trap": self.trap,
            "truncated": self.truncated,
        }


def walk_keyboard(page: Any, page_name: str, *, max_tabs: int = 200) -> KeyboardWalk:
    """Press Tab through `page` (a Playwright Page already on the page) and record it.

    Stops after one full pass (focus left the page and came back to the first stop), on a
    trap (an element focused twice before focus left the page), or after `max_tabs`.
    """
    try:
        marks = page.evaluate(_MARK_JS.replace("opts_max", str(int(max_tabs))))
        page.evaluate("() => { if (document.activeElement) document.activeElement.blur(); }")
    except Exception as exc:
        raise CheckError(f"cannot prepare the keyboard walk on page {page_name!r}: {exc}") from exc
    walk = KeyboardWalk(page_name, page.url, {m["id"]: m["desc"] for m in marks})
    names = {m["id"]: m["desc"] for m in marks}
    this_pass: list[str] = []
    first: str | None = None
    for _ in range(max_tabs):
        page.keyboard.press("Tab")
        info = page.evaluate(_FOCUS_JS)
        if info["exit"]:
            walk.exits += 1
            this_pass.clear()
            if first is None and walk.exits >= 2:
                break  # nothing focusable at all
            continue
        mark = info.get("id")
        key = mark if mark is not None else info["desc"]
        element = names.get(mark, info["desc"]) if mark is not None else info["desc"]
        if key == first:
            # A full pass: focus came back to the first stop, either after leaving the
            # page or by wrapping around (headless Chromium does both, depending on
            # whether the browser takes focus back).
            break
        if info.get("frame"):
            # Tab moves through the frame's own elements while the frame element stays
            # the active element here: repeats are expected, not a trap.
            if key not in this_pass:
                this_pass.append(key)
                first = first or key
                walk.stops.append(Stop(element=element, mark=mark, indicator=["(in frame)"]))
            continue
        if key in this_pass:
            # Focus came back to an element without leaving the page: trapped.
            loop = this_pass[this_pass.index(key) :]
            walk.trap = [names.get(k, k) for k in loop]
            break
        this_pass.append(key)
        if first is None:
            first = key
        walk.stops.append(Stop(element=element, mark=mark, indicator=_indicator(info["focused"], info["blurred"])))
    else:
        walk.truncated = True
    return walk
