"""A keyboard walk through a page: what Tab reaches, whether focus shows, whether it escapes.

The walk marks the page's visible interactive elements, then presses Tab from the top
of the document and records, for each element focused, its computed style with and
without focus. Chromium moves focus back to the document after the last element (or
wraps straight to the first one), so a normal page gives: e1, e2, ..., en, [<document>,] e1.

Composite controls. Native controls made of parts - date, time, month and week inputs
(day, month, year, picker button), media controls, a frame's content - keep the same
active element while Tab moves through their parts: consecutive Tab presses on one
element are one stop, not a loop.

Traps (RGAA 12.9). Focus is trapped when it cannot leave a set of elements by Tab,
Shift+Tab or Escape within a bounded number of presses. Two situations lead to the
escape test: Tab leaves an element in place `max_repeat` times in a row, or focus comes
back to an element of this pass (other than the first stop) before leaving the page. The
test then presses Shift+Tab (up to `max_repeat` times), then Escape, then Escape and Tab;
the first that takes focus out of the set ends the walk as an escapable cycle (a modal
dialog that keeps Tab inside and closes on Escape, say), otherwise the set is a trap.

Focus indicator (RGAA 10.7). The focused element's computed style is compared with the
same element unfocused: outline, box-shadow, border, background, colour and text
decoration of the element, of its ::before/::after boxes and of its two nearest
ancestors (`:focus-within` styles), after running CSS transitions to their end (a
Bootstrap-style `transition: box-shadow .15s` otherwise shows the start value at both
instants). A change counts when the focused state draws something; the contrast between
the focused and unfocused colour of each changed property is recorded for the auditor.

Limits (said in evidence): content inside frames is not walked; an indicator drawn by an
element that is neither the focused one, its pseudo-elements nor its two nearest
ancestors is not seen and reported as missing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from homolog import CheckError

__all__ = ["KeyboardWalk", "Stop", "contrast_ratio", "parse_colour", "walk_keyboard"]

# Marks candidates with data-homolog-kb="<n>"; radio buttons of one group share an id
# because Tab enters a radio group once.
_MARK_JS = """
(max) => {
  const sel = ['a[href]', 'area[href]', 'button', 'input', 'select', 'textarea', 'iframe',
    'summary', '[tabindex]', '[contenteditable=""]', '[contenteditable="true"]', '[onclick]',
    'audio[controls]', 'video[controls]',
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
    if (out.length >= max) break;
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

# Which element has focus, cheaply (every key press).
_ACTIVE_JS = """
() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return {exit: true};
  const d = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '');
  return {exit: false, id: el.getAttribute('data-homolog-kb'), desc: d.slice(0, 160),
          frame: el.tagName === 'IFRAME' || el.tagName === 'FRAME'};
}
"""

# The focused element's drawing, focused then unfocused (new stops only).
_STYLE_JS = """
() => {
  const el = document.activeElement;
  const props = ['outline-style', 'outline-width', 'outline-color', 'outline-offset', 'box-shadow',
    'background-color', 'background-image', 'color', 'text-decoration-line', 'text-decoration-color',
    'text-decoration-thickness'];
  for (const side of ['top', 'right', 'bottom', 'left']) {
    props.push('border-' + side + '-style', 'border-' + side + '-width', 'border-' + side + '-color');
  }
  const settle = () => {
    for (const a of document.getAnimations()) {
      if (typeof CSSTransition !== 'undefined' && a instanceof CSSTransition) {
        try { a.finish(); } catch (e) { /* a transition without an end cannot be finished */ }
      }
    }
  };
  const parts = [['', el, null], ['::before', el, '::before'], ['::after', el, '::after']];
  let up = el.parentElement;
  for (let i = 1; i <= 2 && up && up !== document.body && up !== document.documentElement; i++) {
    parts.push(['ancestor ' + i, up, null]);
    up = up.parentElement;
  }
  const background = (node) => {
    for (let n = node; n && n.nodeType === 1; n = n.parentElement) {
      const c = getComputedStyle(n).backgroundColor;
      if (c && c !== 'transparent' && !/rgba\\(.*,\\s*0\\)$/.test(c)) return c;
    }
    return 'rgb(255, 255, 255)';
  };
  const snap = () => {
    settle();
    const out = {};
    for (const [label, node, pseudo] of parts) {
      const s = getComputedStyle(node, pseudo);
      if (pseudo && (s.content === 'none' || s.content === 'normal')) continue;
      const o = {};
      for (const p of props) o[p] = s.getPropertyValue(p);
      out[label] = o;
    }
    return out;
  };
  const focused = snap();
  // Compare with the same element unfocused, then give focus back so that the next Tab
  // continues from here (Chromium keeps :focus-visible after keyboard navigation).
  el.blur();
  const blurred = snap();
  el.focus({preventScroll: true});
  settle();
  return {focused, blurred, backdrop: background(el.parentElement || el),
          refocused: document.activeElement === el};
}
"""

_COLOUR = re.compile(r"rgba?\(\s*([\d.]+)[,\s]+([\d.]+)[,\s]+([\d.]+)(?:\s*[,/]\s*([\d.]+%?))?\s*\)")


def parse_colour(text: str) -> tuple[float, float, float, float] | None:
    """(r, g, b, alpha) of the first `rgb()`/`rgba()` colour in a computed value."""
    m = _COLOUR.search(text or "")
    if not m:
        return None
    alpha = m.group(4)
    a = 1.0 if alpha is None else (float(alpha[:-1]) / 100 if alpha.endswith("%") else float(alpha))
    return float(m.group(1)), float(m.group(2)), float(m.group(3)), a


def _luminance(rgb: tuple[float, float, float]) -> float:
    def channel(c: float) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.04045 else float(((c + 0.055) / 1.055) ** 2.4)

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _over(fg: tuple[float, float, float, float], bg: tuple[float, float, float]) -> tuple[float, float, float]:
    r, g, b, a = fg
    return (r * a + bg[0] * (1 - a), g * a + bg[1] * (1 - a), b * a + bg[2] * (1 - a))


def contrast_ratio(a: tuple[float, float, float], b: tuple[float, float, float]) -> float:
    """WCAG contrast ratio between two opaque colours (1 to 21)."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _px(value: str) -> float:
    m = re.match(r"\s*([\d.]+)px", value or "")
    return float(m.group(1)) if m else 0.0


def _draws(prop: str, state: dict[str, str]) -> bool:
    """Whether `prop` in this state paints something a person can see."""
    value = state.get(prop, "")
    if prop.startswith("outline"):
        colour = parse_colour(state.get("outline-color", ""))
        return (
            state.get("outline-style", "none") != "none"
            and _px(state.get("outline-width", "0px")) > 0
            and (colour is None or colour[3] > 0)
        )
    if prop.startswith("border-"):
        side = prop.split("-")[1]
        colour = parse_colour(state.get(f"border-{side}-color", ""))
        return (
            state.get(f"border-{side}-style", "none") not in ("none", "hidden")
            and _px(state.get(f"border-{side}-width", "0px")) > 0
            and (colour is None or colour[3] > 0)
        )
    if prop == "box-shadow":
        if value in ("", "none"):
            return False
        colour = parse_colour(value)
        return colour is None or colour[3] > 0
    return True  # a background, colour or decoration change is itself visible


def _drawing(prop: str) -> tuple[str, str]:
    """What `prop` belongs to (outline, border, ...) and the property holding its colour."""
    if prop.startswith("outline"):
        return "outline", "outline-color"
    if prop.startswith("border-"):
        return "border", f"border-{prop.split('-')[1]}-color"
    if prop.startswith("text-decoration"):
        return "text-decoration", "text-decoration-color"
    if prop.startswith("background"):
        return "background", "background-color"
    return prop, prop


def _indicator(
    focused: dict[str, dict[str, str]], blurred: dict[str, dict[str, str]], backdrop: str
) -> tuple[list[str], dict[str, float]]:
    """What changes with focus and draws something (`outline`, `::after box-shadow`...),
    and the contrast of each change.

    The contrast compares the colour the focused state paints with what was there
    unfocused: the same drawing's colour when it was drawn, else the backdrop.
    """
    changed: list[str] = []
    contrast: dict[str, float] = {}
    back = parse_colour(backdrop) or (255.0, 255.0, 255.0, 1.0)
    base = (back[0], back[1], back[2])
    for part, state in focused.items():
        before = blurred.get(part, {})
        for prop, value in state.items():
            if before.get(prop) == value or not _draws(prop, state):
                continue
            drawing, colour_prop = _drawing(prop)
            label = drawing if not part else f"{part} {drawing}"
            if label not in changed:
                changed.append(label)
            now = parse_colour(state.get(colour_prop, ""))
            if now is None:
                continue
            was = parse_colour(before.get(colour_prop, "")) if _draws(prop, before) else None
            then = _over(was, base) if was is not None else base
            ratio = round(contrast_ratio(_over(now, base), then), 2)
            # Several sides or parts of one drawing: the most visible change counts.
            contrast[label] = max(ratio, contrast.get(label, 0.0))
    return changed, contrast


@dataclass
class Stop:
    """One element reached with Tab (several presses when it is a composite control)."""

    element: str
    mark: str | None
    indicator: list[str]
    presses: int = 1
    contrast: dict[str, float] = field(default_factory=dict)


@dataclass
class KeyboardWalk:
    """The result of walking one page with Tab."""

    page_name: str
    url: str
    candidates: dict[str, str]
    stops: list[Stop] = field(default_factory=list)
    exits: int = 0
    trap: list[str] = field(default_factory=list)
    # A set focus cycles in with Tab but leaves by the named key (an escapable cycle).
    cycle: list[str] = field(default_factory=list)
    escaped_by: str | None = None
    truncated: bool = False
    settle: dict[str, Any] | None = None
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
        return bool(self.trap or self.truncated or self.cycle or self.unreached() or self.without_indicator())

    def to_json(self) -> dict[str, Any]:
        """A JSON-friendly summary for evidence."""
        return {
            "page": self.page_name,
            "url": self.url,
            "candidates": self.candidates,
            "stops": [s.__dict__ for s in self.stops],
            "left_page": self.exits,
            "trap": self.trap,
            "cycle": self.cycle,
            "cycle_left_by": self.escaped_by,
            "truncated": self.truncated,
            "settled": self.settle,
        }


def _active(page: Any) -> dict[str, Any]:
    info: dict[str, Any] = page.evaluate(_ACTIVE_JS)
    if not info["exit"]:
        info["key"] = info["id"] if info.get("id") is not None else info["desc"]
    return info


def _leaves(page: Any, inside: set[str], *, max_presses: int) -> str | None:
    """The key that takes focus out of `inside` (Shift+Tab, Escape, Escape then Tab), or None."""

    def outside() -> bool:
        info = _active(page)
        return bool(info["exit"] or info["key"] not in inside)

    for _ in range(max_presses):
        page.keyboard.press("Shift+Tab")
        if outside():
            return "Shift+Tab"
    page.keyboard.press("Escape")
    if outside():
        return "Escape"
    page.keyboard.press("Tab")
    if outside():
        return "Escape then Tab"
    return None


def walk_keyboard(page: Any, page_name: str, *, max_tabs: int = 200, max_repeat: int = 20) -> KeyboardWalk:
    """Press Tab through `page` (a Playwright Page already on the page) and record it.

    Stops after one full pass (focus left the page and came back to the first stop, or
    wrapped to it), on a trap or an escapable cycle (see the module doc), or after
    `max_tabs` presses (truncated).
    """
    try:
        marks = page.evaluate(_MARK_JS, int(max_tabs))
        page.evaluate("() => { if (document.activeElement) document.activeElement.blur(); }")
    except Exception as exc:
        raise CheckError(f"cannot prepare the keyboard walk on page {page_name!r}: {exc}") from exc
    names = {m["id"]: m["desc"] for m in marks}
    walk = KeyboardWalk(page_name, page.url, dict(names))
    this_pass: list[str] = []
    first: str | None = None
    last: str | None = None
    repeats = 0
    for _ in range(max_tabs):
        page.keyboard.press("Tab")
        info = _active(page)
        if info["exit"]:
            walk.exits += 1
            this_pass.clear()
            last = None
            if first is None and walk.exits >= 2:
                break  # nothing focusable at all
            continue
        key = info["key"]
        element = names.get(key, info["desc"]) if info.get("id") is not None else info["desc"]
        if key == last:
            # Tab moved inside the same element: the parts of a date input or of media
            # controls, or a frame's own elements. A frame's content may be long; other
            # composites have a few parts, so many presses in place mean Tab is held.
            walk.stops[-1].presses += 1
            repeats += 1
            if repeats >= max_repeat and not info["frame"]:
                _judge_loop(page, walk, [key], names, max_repeat)
                break
            continue
        last, repeats = key, 0
        if key == first:
            # A full pass: focus came back to the first stop, either after leaving the
            # page or by wrapping around (headless Chromium does both, depending on
            # whether the browser takes focus back).
            break
        if key in this_pass:
            # Focus came back to an element without leaving the page: a cycle.
            _judge_loop(page, walk, this_pass[this_pass.index(key) :], names, max_repeat)
            break
        this_pass.append(key)
        if first is None:
            first = key
        if info["frame"]:
            # Focus inside a frame shows as the frame element here: its indicator is inside.
            walk.stops.append(Stop(element=element, mark=info.get("id"), indicator=["(in frame)"]))
            continue
        style = page.evaluate(_STYLE_JS)
        changed, contrast = _indicator(style["focused"], style["blurred"], style["backdrop"])
        walk.stops.append(Stop(element=element, mark=info.get("id"), indicator=changed, contrast=contrast))
    else:
        walk.truncated = True
    return walk


def _judge_loop(page: Any, walk: KeyboardWalk, loop: list[str], names: dict[str, str], max_repeat: int) -> None:
    described = [names.get(k, k) for k in loop]
    way_out = _leaves(page, set(loop), max_presses=max_repeat + len(loop))
    if way_out is None:
        walk.trap = described
    else:
        walk.cycle = described
        walk.escaped_by = way_out
