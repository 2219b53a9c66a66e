"""A keyboard walk through a page: what Tab reaches, whether focus shows, whether it escapes.

The walk marks the page's visible interactive elements, then presses Tab from the top
of the document and records, for each element focused, its computed style with and
without focus. Chromium moves focus back to the document after the last element (or
wraps straight to the first one), so a normal page gives: e1, e2, ..., en, [<document>,] e1.

Composite controls. Native controls made of parts - date, time, month and week inputs
(day, month, year, picker button), media controls - keep the same active element while
Tab moves through their parts: consecutive Tab presses on one element are one stop, not a
loop.

Frames. What may take focus in a frame's document is marked under its frame element's
mark (`3/0`, named `iframe "Documents" > a "Compte rendu"`), and focus in it is followed
into the frame: each of its elements is a stop, its indicator read in its document. A
frame the browser did not load (out of the target's scope: its document is the browser's
error page) is not entered: focus in it is one stop, listed in `frames_not_walked`, and
the checks relying on what it holds are undecided.

Traps (RGAA 12.9). Focus is trapped when it cannot leave a set of elements by Tab,
Shift+Tab or Escape within a bounded number of presses. Two situations lead to the
escape test: Tab leaves an element in place `max_repeat` times in a row, or focus comes
back to an element of this pass (other than the first stop) before leaving the page. The
test then presses Shift+Tab (up to `max_repeat` times), then Escape, then Escape and Tab;
the first that takes focus out of the set ends the walk as an escapable cycle (a modal
dialog that keeps Tab inside and closes on Escape, say), otherwise the set is a trap.

Modal dialogs. A page may open on a modal dialog (cookie consent, news, a session about
to end): a <dialog> shown modally makes the rest of the page inert, a script may keep Tab
inside an `aria-modal` box and hide the page with `aria-hidden`. Tab then goes round the
dialog only, which is right while it is open, and the page's own controls are not reached.
When a pass ends that way with controls behind the dialog (hidden, inert or not), the walk
does what a keyboard user does: Escape; once the dialog is closed, the page is marked again
(what `aria-hidden` or `inert` kept out) and a new pass goes on behind it (`modals_closed`,
five dialogs at most). A pass also ends when focus has left the page twice without coming
back to its first stop (a dialog opened meanwhile may hide that stop). A dialog that Escape leaves open is
not a trap (one of its buttons may close it, and which one only a person can say) but
leaves the page behind it unwalked (`held_by`): the checks say so as undecided.

Focus indicator (RGAA 10.7). The focused element's computed style is compared with the
same element unfocused: outline, box-shadow, border, background, colour and text
decoration of the element, of its ::before/::after boxes, of its labels and theirs (a
checkbox made transparent over the box its label draws), of its two nearest ancestors
(`:focus-within` styles), of the first MAX_DESCENDANTS elements it holds with a box, and
their ::before/::after (an accordion's heading text taking a background, a ripple, an inner
ring shown), and of the MAX_SIBLINGS elements after it and half as many before it (a box
drawn beside a transparent input: `input:focus-visible ~ .checkmark`); when none of them
draws focus, of every element enclosing it and of the MAX_NEAR smallest elements whose box
comes within NEAR_PX of its own (a field's frame drawn by spans beside its wrapper, marked
active by a component library four levels up), after running CSS
transitions to their end (a Bootstrap-style `transition: box-shadow .15s` otherwise shows
the start value at both instants). A change counts when it comes back once the element is
focused again (what leaving it drew stays: a field checked on blur, framed in red, listed
in the stop's `stayed`) and the focused state draws something a person can see (a part
shown only with focus brings what it paints): not on a part whose opacity along its ancestors is below
MIN_SHOWN, that is `visibility: hidden` or not rendered, or that is clipped to nothing;
nor is a ring the element draws around itself with focus in the colour of the surface it
lies on (`_unseen_ring`, listed in the stop's `unseen`). The contrast between the focused
and unfocused colour of each changed property, through the part's opacity, is recorded
for the auditor. A slider, a file input or a colour input draws its thumb, button or well
in the browser's own shadow tree (`::-webkit-slider-thumb`, `::file-selector-button`), whose
style no script reads: when nothing else shows its focus, its box (with PARTS_MARGIN_PX
about it) is captured focused, unfocused and focused again, and pixels that change with
focus and come back with it are its indicator (`drawn inside`; contrast not measured).

Limits (said in evidence): an indicator drawn by an
element that neither encloses the focused one nor comes near it (NEAR_PX), or is beyond
the MAX_NEAR smallest that do, is not seen and reported as missing; a part covered by
another element counts as seen.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from homolog import CheckError
from homolog.suites.ui.browser import PageFrames, page_frames
from homolog.suites.ui.flat_tree import with_flat_tree

__all__ = ["KeyboardWalk", "Stop", "contrast_ratio", "parse_colour", "walk_keyboard"]

# What may take keyboard focus (a JS expression giving a selector).
_INTERACTIVE = """['a[href]', 'area[href]', 'button', 'input', 'select', 'textarea', 'iframe',
    'summary', '[tabindex]', '[contenteditable=""]', '[contenteditable="true"]', '[onclick]',
    'audio[controls]', 'video[controls]',
    '[role=button]', '[role=link]', '[role=checkbox]', '[role=radio]', '[role=tab]',
    '[role=menuitem]', '[role=switch]', '[role=combobox]', '[role=textbox]', '[role=slider]',
    '[role=spinbutton]', '[role=option]'].join(',')"""

# Marks candidates with data-homolog-kb="<n>", numbered from `start`, leaving out elements
# marked already (a page marked again once a modal dialog is closed); radio buttons of one
# group share an id because Tab enters a radio group once.
_MARK_JS = with_flat_tree(
    """
([max, start]) => {
__FLAT_TREE__
  const sel = __INTERACTIVE__;
  const describe = (el) => {
    let d = el.tagName.toLowerCase();
    if (el.id) d += '#' + el.id;
    const role = el.getAttribute('role'); if (role) d += '[role=' + role + ']';
    const name = (el.getAttribute('aria-label') || el.textContent || el.getAttribute('name')
      || el.getAttribute('value') || el.getAttribute('title') || '').trim().replace(/\\s+/g, ' ');
    if (name) d += ' "' + name.slice(0, 60) + '"';
    return d.slice(0, 160);
  };
  const out = []; const groups = {}; let n = start;
  const roots = new Map();  // radio groups are per form, else per document or shadow root
  flatTree((el) => {
    if (out.length >= max) return false;
    if (!el.matches(sel) || el.hasAttribute('data-homolog-kb')) return;
    // disabled by its own attribute or by a fieldset's (`:disabled`; `disabled`, the
    // property, says only the former)
    if (el.matches('input[type=hidden], :disabled') || el.disabled === true) return;
    if (flatClosest(el, '[inert], [aria-hidden="true"]')) return;
    // A control said to be disabled (a pagination's link to a page that does not exist,
    // `role=link` without href) need not take focus, as a disabled button does not.
    if (flatClosest(el, '[aria-disabled="true"]')) return;
    // tabindex=-1 deliberately takes an element out of the Tab order.
    if (el.getAttribute('tabindex') === '-1') return;
    if (!boxShown(el)) return;
    if (el.matches('input[type=radio]') && el.name) {
      const root = el.getRootNode();
      if (!roots.has(root)) roots.set(root, roots.size);
      const key = (el.form ? 'f' : 'r' + roots.get(root)) + ':' + el.name;
      if (key in groups) { el.setAttribute('data-homolog-kb', groups[key]); return; }
      groups[key] = String(n);
    }
    el.setAttribute('data-homolog-kb', String(n));
    out.push({id: String(n), desc: describe(el)});
    n++;
  }, __MAX_FLAT__);
  return out;
}
""".replace("__INTERACTIVE__", _INTERACTIVE)
)

# The open modal dialog, if any: a <dialog> shown with showModal() (the rest of the page is
# inert) or a visible element with aria-modal="true" (a script keeps focus in it). It is
# marked data-homolog-modal so that the same dialog is known again after a key press.
_MODAL_JS = with_flat_tree(
    """
() => {
__FLAT_TREE__
  const isModal = (e) => {
    try { if (e.matches('dialog:modal')) return true; } catch (err) { /* no :modal here */ }
    return e.matches('[aria-modal="true"]') && boxShown(e);
  };
  let el = null;
  flatTree((e) => { if (isModal(e)) { el = e; return false; } }, __MAX_FLAT__);
  if (!el) return null;
  if (!el.hasAttribute('data-homolog-modal')) {
    window.__homologModals = (window.__homologModals || 0) + 1;
    el.setAttribute('data-homolog-modal', String(window.__homologModals));
  }
  let d = el.tagName.toLowerCase();
  if (el.id) d += '#' + el.id;
  const role = el.getAttribute('role'); if (role) d += '[role=' + role + ']';
  const by = el.getAttribute('aria-labelledby');
  const title = el.getAttribute('aria-label')
    || (by && by.split(/\\s+/).map(i => (document.getElementById(i) || {}).textContent || '').join(' '))
    || '';
  const name = title.trim().replace(/\\s+/g, ' ');
  if (name) d += ' "' + name.slice(0, 60) + '"';
  const sel = __INTERACTIVE__;
  let behind = 0;
  flatTree((c) => {
    if (c.matches(sel) && !flatContains(el, c) && c.disabled !== true
        && !c.matches('input[type=hidden], [tabindex="-1"], :disabled') && boxShown(c)) behind++;
  }, __MAX_FLAT__);
  return {id: el.getAttribute('data-homolog-modal'), desc: d.slice(0, 160),
          holds_focus: flatContains(el, deepActive()), behind: behind};
}
""".replace("__INTERACTIVE__", _INTERACTIVE)
)
_BLUR_JS = with_flat_tree("() => {\n__FLAT_TREE__\n const el = deepActive(); if (el) el.blur(); }")
#: Modal dialogs closed in one walk at most (a page that opens one after another forever).
MAX_MODALS = 5

# The focused element itself (a frame element, to go into its document).
_ACTIVE_ELEMENT_JS = with_flat_tree("() => {\n__FLAT_TREE__\n return deepActive(); }")

# Which element has focus, cheaply (every key press).
_ACTIVE_JS = with_flat_tree("""
() => {
__FLAT_TREE__
  const el = deepActive();
  if (!el || el === document.body || el === document.documentElement) return {exit: true};
  const d = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '');
  return {exit: false, id: el.getAttribute('data-homolog-kb'), desc: d.slice(0, 160),
          frame: el.tagName === 'IFRAME' || el.tagName === 'FRAME'};
}
""")

#: Elements inside the focused one whose drawing is compared, at most (the first in the flat
#: tree with a box: a focusable region may hold a whole page).
MAX_DESCENDANTS = 24
#: Elements beside the focused one whose drawing is compared, at most: this many after it,
#: half as many before.
MAX_SIBLINGS = 4
#: When nothing of the above draws focus, what is drawn about the element is looked at: every
#: element enclosing it, and at most this many others (the smallest first) whose box comes
#: within NEAR_PX of its box.
MAX_NEAR = 40
NEAR_PX = 16
#: About a control drawing parts of its own (a slider's thumb), the margin captured with it.
PARTS_MARGIN_PX = 8
#: The indicator of a control whose own parts change with focus (their pixels compared).
DRAWN_INSIDE = "drawn inside (its thumb, button or well: pixels)"

# The focused element's box when it draws parts in the browser's own shadow tree.
_PARTS_JS = """
() => {
  const el = document.activeElement;
  if (!el || !el.matches('input[type=range], input[type=file], input[type=color]')) return null;
  const r = el.getBoundingClientRect();
  return [r.left, r.top, r.width, r.height, innerWidth, innerHeight];
}
"""

# The focused element's drawing, focused, unfocused and focused again (new stops only);
# `near`: with what is drawn about it (`MAX_NEAR`).
_STYLE_JS = (
    with_flat_tree("""
(near) => {
__FLAT_TREE__
  const el = deepActive();
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
  const looked = new Set([el]);  // the elements among the parts (a label beside it is one)
  const withPseudos = (name, node) => {
    if (looked.has(node)) return false;
    looked.add(node);
    parts.push([name, node, null], [name + '::before', node, '::before'], [name + '::after', node, '::after']);
    return true;
  };
  const tagOf = (d) => {
    const cls = typeof d.className === 'string' && d.className.trim() ? '.' + d.className.trim().split(/\\s+/)[0] : '';
    return d.localName + cls.slice(0, 60);
  };
  // Ancestors across shadow boundaries (a component's host draws a :host(:focus-within)
  // ring); a <slot> or other `display: contents` box draws nothing and is passed over.
  let up = flatParent(el);
  for (let i = 1; i <= 2 && up && up !== document.body && up !== document.documentElement; up = flatParent(up)) {
    if (up.nodeType !== 1 || getComputedStyle(up).display === 'contents') continue;
    parts.push(['ancestor ' + i, up, null]);
    looked.add(up);
    i++;
  }
  // A control's own label may draw its focus: a checkbox made transparent over the box its
  // label draws (`input:focus-visible + label::before`). A label around it is an ancestor.
  Array.from(el.labels || []).filter(l => !l.contains(el)).slice(0, 2).forEach((l, i) => {
    withPseudos(i ? 'label ' + (i + 1) : 'label', l);
  });
  // What the element holds may draw its focus (`button:focus .title { background: ... }`,
  // an accordion's heading text, a ripple's ::before): its first __MAX_DESCENDANTS__ elements
  // with a box, in the flat tree (what a `display: none` element holds has none; at most
  // 2,000 elements looked at: a focusable region may hold a whole page).
  const stack = Array.from((el.shadowRoot || el).children).reverse();
  for (let n = 0, seen = 0; stack.length && n < __MAX_DESCENDANTS__ && seen < 2000; seen++) {
    const d = stack.pop();
    const display = getComputedStyle(d).display;
    if (display === 'none') continue;
    const kids = d.tagName === 'SLOT' && d.assignedElements({flatten: true}).length
      ? d.assignedElements({flatten: true}) : Array.from((d.shadowRoot || d).children);
    for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i]);
    if (display === 'contents' || !d.getClientRects().length) continue;
    n++;
    withPseudos('descendant ' + n + ' (' + tagOf(d) + ')', d);
  }
  // The elements beside it may draw its focus: a box drawn next to a transparent input
  // (`input:focus-visible ~ .checkmark`, in the label that wraps both), or before it
  // (`:has(+ input:focus)`): the nearest __MAX_SIBLINGS__ after it and half as many before,
  // with a box.
  const beside = (step, word, most) => {
    let n = 0;
    for (let s = step(el); s && n < most; s = step(s)) {
      if (getComputedStyle(s).display === 'none' || !s.getClientRects().length) continue;
      if (withPseudos(word + ' ' + (n + 1) + ' (' + tagOf(s) + ')', s)) n++;
    }
  };
  beside(s => s.nextElementSibling, 'next', __MAX_SIBLINGS__);
  beside(s => s.previousElementSibling, 'previous', Math.ceil(__MAX_SIBLINGS__ / 2));
  // What is drawn about it, further up (a form field's frame or underline drawn by other
  // children of its wrapper, which a component library marks focused four levels up): every
  // element enclosing it, then the __MAX_NEAR__ smallest whose box comes within __NEAR_PX__
  // px of its own. A change there comes from focus alone: no timer or animation frame runs
  // between the snapshots.
  if (near) {
    for (let up = flatParent(el), i = 1; up && up.nodeType === 1; up = flatParent(up), i++) {
      withPseudos('enclosing ' + i + ' (' + tagOf(up) + ')', up);
    }
    const r = el.getBoundingClientRect();
    const m = __NEAR_PX__;
    const found = [];
    flatTree((c) => {
      if (looked.has(c) || !c.getClientRects().length) return;
      const b = c.getBoundingClientRect();
      if (b.right < r.left - m || b.left > r.right + m || b.bottom < r.top - m || b.top > r.bottom + m) return;
      found.push([b.width * b.height, found.length, c]);
    }, __MAX_FLAT__);
    found.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    found.slice(0, __MAX_NEAR__).forEach(([, , c], i) => withPseudos('near ' + (i + 1) + ' (' + tagOf(c) + ')', c));
  }
  // How much of a part shows: the product of the opacities up to the root; nothing when it
  // or an ancestor is invisible, not rendered or clipped to nothing (the visually-hidden
  // patterns).
  const clipped = (s) => {
    if (/^inset\\(\\s*50%/.test(s.clipPath || '')) return true;
    if (s.position !== 'absolute' && s.position !== 'fixed') return false;
    const m = /rect\\(\\s*(-?[\\d.]+)px,?\\s*(-?[\\d.]+)px,?\\s*(-?[\\d.]+)px,?\\s*(-?[\\d.]+)px/.exec(s.clip || '');
    return !!m && (+m[3] <= +m[1] || +m[2] <= +m[4]);
  };
  const shown = (node, pseudo) => {
    let o = 1;
    if (pseudo) {
      const p = getComputedStyle(node, pseudo);
      if (p.visibility !== 'visible') return 0;
      o *= parseFloat(p.opacity);
    } else if (getComputedStyle(node).visibility !== 'visible') {
      return 0;
    }
    for (let n = node; n && n.nodeType === 1; n = flatParent(n)) {
      const s = getComputedStyle(n);
      o *= parseFloat(s.opacity);
      if (!(o > 0) || clipped(s) || s.display === 'none') return 0;
    }
    return o;
  };
  // What lies behind the element: the first background colour up its ancestors (white past
  // the root), and whether a ring drawn round the element is seen on exactly that colour:
  // opaque, with no image on the way (the canvas's own colour depends on the colour scheme).
  const backdropOf = (node) => {
    let image = false;
    for (let n = node; n && n.nodeType === 1; n = flatParent(n)) {
      const st = getComputedStyle(n);
      if (st.backgroundImage && st.backgroundImage !== 'none') image = true;
      const c = st.backgroundColor;
      if (c && c !== 'transparent' && !/rgba\\(.*,\\s*0\\)$/.test(c)) {
        return {colour: c, surface: image || /^rgba/.test(c) ? null : c};
      }
    }
    return {colour: 'rgb(255, 255, 255)', surface: null};
  };
  const snap = () => {
    settle();
    const out = {};
    for (const [label, node, pseudo] of parts) {
      const s = getComputedStyle(node, pseudo);
      if (pseudo && (s.content === 'none' || s.content === 'normal')) continue;
      const o = {};
      for (const p of props) o[p] = s.getPropertyValue(p);
      o['(shown)'] = String(shown(node, pseudo));
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
  // Focused again: what leaving the element drew (a field's check on blur) stays.
  const again = snap();
  const back = backdropOf(flatParent(el) || el);
  return {focused, blurred, again, backdrop: back.colour, surface: back.surface,
          refocused: deepActive() === el};
}
""")
    .replace("__MAX_DESCENDANTS__", str(MAX_DESCENDANTS))
    .replace("__MAX_SIBLINGS__", str(MAX_SIBLINGS))
    .replace("__MAX_NEAR__", str(MAX_NEAR))
    .replace("__NEAR_PX__", str(NEAR_PX))
)

#: The key of a part's snapshot that says how much of it shows (not a CSS property).
SHOWN = "(shown)"
#: Below this opacity (the product along the ancestors) a part's drawing is not seen.
MIN_SHOWN = 0.1
#: A focus ring of about the surface's own colour (white on white) is not seen.
MIN_RING_CONTRAST = 1.1

_COLOUR = re.compile(r"rgba?\(\s*([\d.]+)[,\s]+([\d.]+)[,\s]+([\d.]+)(?:\s*[,/]\s*([\d.]+%?))?\s*\)")


def parse_colour(text: str) -> tuple[float, float, float, float] | None:
    """(r, g, b, alpha) of the first `rgb()`/`rgba()` colour in a computed value."""
    colours = _colours(text)
    return colours[0] if colours else None


def _colours(text: str) -> list[tuple[float, float, float, float]]:
    """(r, g, b, alpha) of each `rgb()`/`rgba()` colour in a computed value, in order (the
    shadows of a `box-shadow` list: a white gap then a blue ring)."""
    out = []
    for m in _COLOUR.finditer(text or ""):
        alpha = m.group(4)
        a = 1.0 if alpha is None else (float(alpha[:-1]) / 100 if alpha.endswith("%") else float(alpha))
        out.append((float(m.group(1)), float(m.group(2)), float(m.group(3)), a))
    return out


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


def _px(value: str | None) -> float:
    m = re.match(r"\s*(-?[\d.]+)px", value or "")
    return float(m.group(1)) if m else 0.0


def _shown(state: dict[str, str]) -> float:
    """How much of a part shows (1 opaque, 0 invisible), from its `(shown)` entry."""
    try:
        return max(0.0, min(1.0, float(state.get(SHOWN, "1"))))
    except ValueError:
        return 1.0


def _draws(prop: str, state: dict[str, str]) -> bool:
    """Whether `prop` in this state paints something a person can see."""
    if _shown(state) < MIN_SHOWN:
        return False  # drawn on an invisible element (a transparent checkbox), or clipped away
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


def _paints(prop: str, state: dict[str, str]) -> bool:
    """Whether `prop` paints anything at all in this state (a ring, a border, a shadow, a
    background colour or image): what a part shown only with focus brings."""
    value = state.get(prop, "")
    if prop == "background-color":
        colour = parse_colour(value)
        return colour is not None and colour[3] > 0
    if prop == "background-image":
        return value not in ("", "none")
    return prop.startswith(("outline", "border-", "box-shadow")) and _draws(prop, state)


def _faded(
    colour: tuple[float, float, float, float] | None, state: dict[str, str]
) -> tuple[float, float, float, float] | None:
    """A part's colour as it shows through the part's opacity."""
    if colour is None:
        return None
    return colour[0], colour[1], colour[2], colour[3] * _shown(state)


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


def _differs(prop: str, state: dict[str, str], before: dict[str, str]) -> bool:
    """Whether `prop` draws in `state` something other than in `before`: another value, or
    what a part shown only in `state` paints (its opacity, visibility or display changed)."""
    if not _draws(prop, state):
        return False
    appeared = bool(before) and _shown(before) < MIN_SHOWN <= _shown(state)
    return before.get(prop) != state.get(prop) or (appeared and _paints(prop, state))


def _indicator(
    focused: dict[str, dict[str, str]],
    blurred: dict[str, dict[str, str]],
    backdrop: str,
    surface: str | None,
    again: dict[str, dict[str, str]] | None = None,
) -> tuple[list[str], dict[str, float], list[str], list[str]]:
    """What changes with focus and draws something a person sees (`outline`, `::after
    box-shadow`...), the contrast of each change, the changes no one sees (`_unseen_ring`),
    and the changes that stayed once focus came back (`again`: the element focused anew):
    what leaving the element drew, not what focus draws (a field checked on blur).

    The contrast compares the colour the focused state paints with what was there
    unfocused: the same drawing's colour when it was drawn, else the backdrop.
    """
    changed: list[str] = []
    stayed: list[str] = []
    contrast: dict[str, float] = {}
    back = parse_colour(backdrop) or (255.0, 255.0, 255.0, 1.0)
    base = (back[0], back[1], back[2])
    for part, state in focused.items():
        before = blurred.get(part, {})
        for prop in state:
            if prop == SHOWN or not _differs(prop, state, before):
                continue
            drawing, colour_prop = _drawing(prop)
            label = drawing if not part else f"{part} {drawing}"
            if again is not None and not _differs(prop, again.get(part, {}), before):
                if label not in stayed:
                    stayed.append(label)
                continue
            if label not in changed:
                changed.append(label)
            # Each shadow of a box-shadow list paints a ring of its own colour.
            now = _colours(state.get(colour_prop, ""))
            if prop != "box-shadow":
                now = now[:1]
            if not now:
                continue
            was = _faded(parse_colour(before.get(colour_prop, "")), before) if _draws(prop, before) else None
            then = _over(was, base) if was is not None else base
            ratio = max(round(contrast_ratio(_over(_faded(c, state) or c, base), then), 2) for c in now)
            # Several sides, parts or shadows of one drawing: the most visible change counts.
            contrast[label] = max(ratio, contrast.get(label, 0.0))
    unseen = _unseen_ring(focused, blurred, surface)
    if unseen and "outline" in changed:
        changed.remove("outline")
    stayed = [label for label in stayed if label not in changed]
    return changed, contrast, unseen, stayed


def _unseen_ring(
    focused: dict[str, dict[str, str]], blurred: dict[str, dict[str, str]], surface: str | None
) -> list[str]:
    """The element's focus ring when no one can see it: drawn only with focus, outside the
    element (offset 0 or more), in the colour of the surface around it (contrast under
    MIN_RING_CONTRAST). Nothing is judged when that surface is not known (an image, a
    translucent colour, the canvas), for a part not fully shown, or for Chromium's `auto`
    ring (two-tone, seen on any colour)."""
    now, before = focused.get("", {}), blurred.get("", {})
    back = parse_colour(surface or "")
    ring = parse_colour(now.get("outline-color", ""))
    if back is None or ring is None or _shown(now) < 1.0 or not _draws("outline-style", now):
        return []
    if now.get("outline-style") == "auto" or _draws("outline-style", before):
        return []
    if _px(now.get("outline-offset")) < 0:
        return []
    base = (back[0], back[1], back[2])
    ratio = round(contrast_ratio(_over(ring, base), base), 2)
    if ratio >= MIN_RING_CONTRAST:
        return []
    return [f"outline ({now.get('outline-color')} on {surface}: contrast {ratio})"]


@dataclass
class Stop:
    """One element reached with Tab (several presses when it is a composite control)."""

    element: str
    mark: str | None
    indicator: list[str]
    presses: int = 1
    contrast: dict[str, float] = field(default_factory=dict)
    # Drawings that change with focus and that no one sees (a ring of the surface's colour).
    unseen: list[str] = field(default_factory=list)
    # Drawings that changed when focus left and stayed when it came back: what leaving the
    # element drew (a field checked on blur), not a focus indicator.
    stayed: list[str] = field(default_factory=list)


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
    # Modal dialogs closed (by the key named) to walk the page behind them, in order.
    modals_closed: list[str] = field(default_factory=list)
    # A modal dialog that kept focus and that Escape left open: the page behind is not walked.
    held_by: str | None = None
    truncated: bool = False
    settle: dict[str, Any] | None = None
    screenshot: bytes | None = field(default=None, repr=False)
    # Frames focus went into that the walk could not enter (out of the target's scope).
    frames_not_walked: list[str] = field(default_factory=list)

    @property
    def reached(self) -> set[str]:
        """Marks of the candidates focused at least once (a frame whose document held focus
        with them: `3` with `3/0`)."""
        marks = {s.mark for s in self.stops if s.mark is not None}
        return marks | {m[:i] for m in marks for i, c in enumerate(m) if c == "/"}

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
        return bool(
            self.trap or self.truncated or self.cycle or self.held_by or self.unreached() or self.without_indicator()
        )

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
            "modals_closed": self.modals_closed,
            "held_by_modal": self.held_by,
            "truncated": self.truncated,
            "frames_not_walked": self.frames_not_walked,
            "settled": self.settle,
        }


def _active(page: Any) -> dict[str, Any]:
    """Which element has focus: its key (its mark, else its description), and `context`, the
    Playwright frame its document is in. Focus in a frame's document is followed into it (the
    frame's marks are prefixed with its element's); a frame the walk cannot enter (out of the
    target's scope, gone) or whose document holds no focus is the stop itself."""
    info: dict[str, Any] = page.evaluate(_ACTIVE_JS)
    info["context"] = page
    prefix = ""
    while not info["exit"] and info["frame"]:
        frame = _frame_of_active(info["context"])
        if frame is None:
            info["unwalked"] = True
            break
        try:
            inner: dict[str, Any] = frame.evaluate(_ACTIVE_JS)
        except Exception:  # a frame navigating or gone: the frame element is the stop
            info["unwalked"] = True
            break
        if inner["exit"]:  # its document holds nothing focusable: the frame is the stop
            break
        prefix += f"{info['id'] if info.get('id') is not None else info['desc']}/"
        inner["id"] = None if inner.get("id") is None else prefix + inner["id"]
        inner["context"] = frame
        info = inner
    if not info["exit"]:
        info["key"] = info["id"] if info.get("id") is not None else info["desc"]
    return info


def _frame_of_active(context: Any) -> Any:
    """The Playwright frame of the frame element focused in `context` (a page or frame), when
    the walk may enter it: a document the page loaded (not the browser's error page standing
    for a frame out of the target's scope)."""
    try:
        handle = context.evaluate_handle(_ACTIVE_ELEMENT_JS)
        element = handle.as_element()
        frame = element.content_frame() if element is not None else None
    except Exception:
        return None
    if frame is None or not PageFrames.loaded(frame):
        return None
    return frame


def _mark_frames(page: Any, walk: KeyboardWalk, names: dict[str, str], max_tabs: int) -> None:
    """Mark what may take focus in the page's frames (those the walk may enter), each under
    its frame element's mark: `3/0` is the first control of the frame marked 3. Frames beyond
    the first MAX_FRAMES are not walked, and said so."""
    entered = page_frames(page)
    if entered.beyond:
        walk.frames_not_walked.append(entered.beyond)
    for frame in entered.frames:
        if not PageFrames.loaded(frame):
            continue
        prefix = ""
        try:
            for outer in reversed(_frame_chain(frame)):
                mark = outer.frame_element().get_attribute("data-homolog-kb")
                if mark is None:  # a frame Tab does not reach (hidden, tabindex=-1): not walked
                    raise LookupError
                prefix += f"{mark}/"
            frame_name = names.get(prefix[:-1], "frame")
            for m in frame.evaluate(_MARK_JS, [int(max_tabs), 0]):
                key = prefix + m["id"]
                names[key] = walk.candidates[key] = f"{frame_name} > {m['desc']}"
        except Exception:  # a frame gone or not reachable: nothing marked in it
            continue


def _frame_chain(frame: Any) -> list[Any]:
    """`frame` and the frames it is in, up to (not including) the page's main frame."""
    chain = []
    while frame is not None and frame.parent_frame is not None:
        chain.append(frame)
        frame = frame.parent_frame
    return chain


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
    `max_tabs` presses (truncated). A pass that went round a modal dialog with controls
    behind it goes on behind the dialog once Escape has closed it (see the module doc).
    """
    try:
        marks = page.evaluate(_MARK_JS, [int(max_tabs), 0])
        page.evaluate(_BLUR_JS)
    except Exception as exc:
        raise CheckError(f"cannot prepare the keyboard walk on page {page_name!r}: {exc}") from exc
    names = {m["id"]: m["desc"] for m in marks}
    walk = KeyboardWalk(page_name, page.url, dict(names))
    _mark_frames(page, walk, names, max_tabs)
    at = _Pass()
    for _ in range(max_tabs):
        page.keyboard.press("Tab")
        info = _active(page)
        if info["exit"]:
            walk.exits += 1
            at.exits += 1
            at.this_pass.clear()
            at.last = None
            if at.first is None and at.exits >= 2:
                # nothing focusable at all, or nothing but what a closed dialog held
                if _behind_modal(page, walk, names, max_tabs):
                    at = _Pass()
                    continue
                break
            if at.first is not None:
                at.exits_since_first += 1
                if at.exits_since_first >= 2:
                    # Focus went round the whole page without coming back to the pass's first
                    # stop, which a dialog opened meanwhile may hide now: a full pass.
                    if _behind_modal(page, walk, names, max_tabs):
                        at = _Pass()
                        continue
                    break
            continue
        key = info["key"]
        element = names.get(key, info["desc"]) if info.get("id") is not None else info["desc"]
        if key == at.last:
            # Tab moved inside the same element: the parts of a date input or of media
            # controls, or a frame's own elements. A frame's content may be long; other
            # composites have a few parts, so many presses in place mean Tab is held.
            walk.stops[-1].presses += 1
            at.repeats += 1
            if at.repeats >= max_repeat and not info["frame"]:
                if _judge_loop(page, walk, [key], names, max_repeat, max_tabs):
                    at = _Pass()
                    continue
                break
            continue
        at.last, at.repeats = key, 0
        if key == at.first:
            # A full pass: focus came back to the first stop, either after leaving the
            # page or by wrapping around (headless Chromium does both, depending on
            # whether the browser takes focus back).
            if _behind_modal(page, walk, names, max_tabs):
                at = _Pass()
                continue
            break
        if key in at.this_pass:
            # Focus came back to an element without leaving the page: a cycle.
            if _judge_loop(page, walk, at.this_pass[at.this_pass.index(key) :], names, max_repeat, max_tabs):
                at = _Pass()
                continue
            break
        at.this_pass.append(key)
        if at.first is None:
            at.first = key
        if info["frame"]:
            # Focus in a frame's document where nothing takes it, or in a frame the walk could
            # not enter (out of the target's scope): what shows it is inside, unseen here.
            walk.stops.append(Stop(element=element, mark=info.get("id"), indicator=["(in frame)"]))
            if info.get("unwalked"):
                walk.frames_not_walked.append(element)
            continue
        style = info["context"].evaluate(_STYLE_JS, False)
        changed, contrast, unseen, stayed = _indicator(
            style["focused"], style["blurred"], style["backdrop"], style["surface"], style["again"]
        )
        if not changed:
            # Nothing the element or its kin draw: what is drawn about it (`MAX_NEAR`).
            style = info["context"].evaluate(_STYLE_JS, True)
            changed, contrast, unseen, more = _indicator(
                style["focused"], style["blurred"], style["backdrop"], style["surface"], style["again"]
            )
            stayed += [label for label in more if label not in stayed]
        if not changed and info["context"] is page:
            changed = _drawn_inside(page)
        walk.stops.append(
            Stop(
                element=element,
                mark=info.get("id"),
                indicator=changed,
                contrast=contrast,
                unseen=unseen,
                stayed=stayed,
            )
        )
    else:
        walk.truncated = True
    return walk


def _drawn_inside(page: Any) -> list[str]:
    """[DRAWN_INSIDE] when the focused control draws parts of its own (a slider's thumb) whose
    pixels change with focus and come back with it; else nothing (see the module doc)."""
    box = page.evaluate(_PARTS_JS)
    if not box:
        return []
    left, top, width, height, view_w, view_h = (float(v) for v in box)
    x0, y0 = max(0.0, left - PARTS_MARGIN_PX), max(0.0, top - PARTS_MARGIN_PX)
    x1 = min(view_w, left + width + PARTS_MARGIN_PX)
    y1 = min(view_h, top + height + PARTS_MARGIN_PX)
    if x1 - x0 < 1 or y1 - y0 < 1:
        return []
    clip = {"x": x0, "y": y0, "width": x1 - x0, "height": y1 - y0}
    element = page.evaluate_handle("document.activeElement")
    try:
        # transitions and animations run to their end for each capture
        focused = page.screenshot(clip=clip, animations="disabled", caret="hide")
        element.evaluate("(el) => el.blur()")
        blurred = page.screenshot(clip=clip, animations="disabled", caret="hide")
        element.evaluate("(el) => el.focus({preventScroll: true})")
        again = page.screenshot(clip=clip, animations="disabled", caret="hide")
    finally:
        element.dispose()
    return [DRAWN_INSIDE] if focused == again and focused != blurred else []


@dataclass
class _Pass:
    """Where one Tab pass through the page is (a new one starts behind a closed dialog)."""

    first: str | None = None
    last: str | None = None
    this_pass: list[str] = field(default_factory=list)
    repeats: int = 0
    exits: int = 0
    exits_since_first: int = 0


# What a key set going in the page runs after it: a dialog's `close` event comes with the next
# rendering step (Chromium dispatches it with animation-frame events), and a page that opens
# another dialog from it has done so once a frame and a task have passed (at most 250 ms).
_AFTER_KEY_JS = """
() => new Promise(done => {
  const guard = setTimeout(done, 250);
  requestAnimationFrame(() => setTimeout(() => { clearTimeout(guard); done(); }, 0));
})
"""


def _after_key(page: Any) -> None:
    """Let the page run what the last key set going (see `_AFTER_KEY_JS`)."""
    page.evaluate(_AFTER_KEY_JS)


def _modal(page: Any) -> dict[str, Any] | None:
    found: dict[str, Any] | None = page.evaluate(_MODAL_JS)
    return found


def _behind_modal(page: Any, walk: KeyboardWalk, names: dict[str, str], max_tabs: int) -> bool:
    """After a pass that went round an open modal dialog with controls behind it: close the
    dialog as a keyboard user does (Escape) and say whether the walk goes on behind it.

    A dialog that Escape leaves open is recorded (`held_by`): what is behind it is not
    walked, and whether one of its controls closes it is for a person to see.
    """
    if len(walk.modals_closed) >= MAX_MODALS:
        return False
    modal = _modal(page)
    if modal is None or not modal["behind"]:
        return False
    page.keyboard.press("Escape")
    _after_key(page)
    still = _modal(page)
    if still is not None and still["id"] == modal["id"]:
        walk.held_by = modal["desc"]
        return False
    _closed(page, walk, f"{modal['desc']} (Escape)", names, max_tabs)
    return True


def _closed(page: Any, walk: KeyboardWalk, dialog: str, names: dict[str, str], max_tabs: int) -> None:
    """A modal dialog is closed: record it, take focus off its element (hidden now) so that the
    next pass starts clean, and mark what it had kept out (aria-hidden or inert behind it),
    numbered after the rest."""
    walk.modals_closed.append(dialog)
    page.evaluate(_BLUR_JS)
    start = 1 + max((int(k) for k in names if k.isdigit()), default=-1)
    for m in page.evaluate(_MARK_JS, [int(max_tabs), start]):
        names[m["id"]] = m["desc"]
        walk.candidates[m["id"]] = m["desc"]


def _judge_loop(
    page: Any, walk: KeyboardWalk, loop: list[str], names: dict[str, str], max_repeat: int, max_tabs: int
) -> bool:
    """Judge a set focus keeps coming back to; True when it was a modal dialog that the
    way out closed, and the walk goes on behind it."""
    described = [names.get(k, k) for k in loop]
    modal = _modal(page)
    way_out = _leaves(page, set(loop), max_presses=max_repeat + len(loop))
    if way_out is None:
        if modal is not None and modal["holds_focus"]:
            # Tab kept inside a modal dialog that Escape does not close: one of its controls
            # may (a "Close" or "I agree" button); which one, only a person can tell.
            walk.cycle = described
            walk.held_by = modal["desc"]
        else:
            walk.trap = described
        return False
    if modal is not None and modal["behind"] and len(walk.modals_closed) < MAX_MODALS:
        _after_key(page)
        if _modal(page) is None:
            _closed(page, walk, f"{modal['desc']} ({way_out})", names, max_tabs)
            return True
    walk.cycle = described
    walk.escaped_by = way_out
    return False
