"""Text contrast read from the rendered page where axe-core cannot compute it (RGAA 3.2).

axe-core leaves `color-contrast` undecided ("incomplete") for text over a background image
or gradient, over an `img` element, beside pseudo-element content, in an empty field
(whose placeholder it does not judge), or of one character it cannot tell from an icon:
it computes colours from styles, and a background it cannot reduce to one colour stops it.
The French state's design system (DSFR) underlines its links with a background gradient,
so every page built with it had RGAA 3.2 undecided. Such a text is measured here on the page as rendered:

1. the text's own lines (the client rectangles of its text nodes; a field's content box,
   where its value, placeholder or selected option is drawn) are captured twice, a viewport's height of
   texts at a time: as shown, and with the glyphs made transparent
   (`-webkit-text-fill-color`, a field's `color` or its `::placeholder`'s, decorations and
   shadows off) -
   everything else, backgrounds, gradients, pseudo-elements and icons, drawn the same both
   times;
2. the glyph pixels are those the text covers at least half-way (where the two captures
   differ by half the distance between the text's colour and the ground); the ground of
   each is the transparent capture's pixel;
3. the contrast ratio of the text's colour with each glyph pixel's ground (WCAG's relative
   luminance): the text **passes** when under 1 % of its glyph pixels are below the
   threshold (4.5:1, 3:1 from 24px, or 18.5px bold: RGAA 3.2's tests), **fails** when 5 %
   or more are, and stays undecided between (an auditor looks).

A line of decoration in the text's own colour (an underline drawn as a gradient of
`currentColor`) is no ground: where a glyph crosses it nothing changes between the two
captures. A text of a translucent colour (black at 0.87, as Material writes its texts) is
read as drawn over each glyph pixel's ground: the blend of the two; of a transparent
colour, it draws nothing (no text: a checkbox's label kept for screen readers only). A
text is left undecided, as axe left it, when its colour is not what is drawn (transparent
or gradient fill, a colour under 0.1 opacity, a shadow, opacity or a filter other than a
drop shadow on the way to the root, a blend mode), when it shows no glyph pixel in the
viewport, or when the page changes it between the captures. Its colour is also checked where it is drawn:
each stretch of its lines about as wide as high (a glyph or two) that shows glyph pixels
must show one in the text's own colour, a glyph's core (within a tenth of the way to its
ground; a quarter in a stretch holding only a glyph's sliver, fewer glyph pixels than
twice its height: a thin stem at its edge, no pixel of which is fully covered); under
something translucent (a half-transparent veil, the text's own `::after` box) no core is,
and the text, read in another colour than its own, is undecided. Something opaque over
part of a text hides its glyphs there: what shows of it is judged.

A text a box the user scrolls does not show whole at rest (a wide table's last columns in
its scrolling wrapper, a panel's lines below its fold) is measured once those boxes are
scrolled to show it, and they are put back after; the page is scrolled sideways when the
text lies beyond the window's width. A line wider than its box is never shown whole: what
the box shows of it is judged, saying so. A box positioned absolutely is cut only by the
boxes from its containing block up, a fixed one by none. A text a disabled control shows
beside it, hidden from assistive technologies (a slider's value), is the text of an
inactive component, outside RGAA 3.2 (`exempt`).

A field's placeholder hidden at rest (opacity 0: a floating label stands in its stead, as
Material's fields do) is measured as it shows with focus, once the other texts are: the
field focused, transitions off (a sheet of ours), captured, and focus given back to what
had it; a placeholder hidden with focus too is no text.

A text in a frame's document is found again there by axe's selector (Playwright's query:
no page script stands between) and captured on the page where the frame shows it, the
frame scrolled to it and the page to the frame. A frame in a frame, a frame transformed
(scaled, rotated) or drawn at another size than its document's viewport, and a text not
shown whole where the frame is leave it undecided. A frame that rearranges its document
between axe's run and the measure could have another text found by the selector: the
measure judges the text it finds, as every audit of a page judges what the page shows it.
"""

from __future__ import annotations

import io
import math
import re
import secrets
import time
from dataclasses import dataclass, replace
from typing import Any

__all__ = [
    "MEASURED_REASONS",
    "PAGE_FNS_JS",
    "ContrastMeasure",
    "drawn_in_its_colour",
    "find_by_axe_selector",
    "judge_pixels",
    "measure_texts",
]

#: axe-core's reasons for leaving `color-contrast` undecided that a capture resolves: a
#: ground it cannot reduce to one colour (an image, a gradient, an `img`, a pseudo-element,
#: boxes behind part of the text or something over it) and an empty field; a text outside
#: the viewport is measured once scrolled to; a one-character text axe found below its
#: ratio but could not tell from an icon (`shortTextContent`: a pagination's "2") is
#: measured, judged as text when that character is a letter or a digit. Other texts axe
#: could not tell from an icon (that one character, or a text of symbols only: `nonBmp`,
#: a pagination's "⋯", an arrow) are measured too, and pass when they pass as text (and so
#: as a graphic, whose 3:1 of RGAA 3.3 is never above a text's ratio); below it, whether the
#: symbol is text or a graphic needs a person, and it stays undecided.
MEASURED_REASONS = frozenset(
    {
        "shortTextContent",
        "nonBmp",
        "bgImage",
        "bgGradient",
        "pseudoContent",
        "imgNode",
        "emptyValue",
        "bgOverlap",
        "elmPartiallyObscured",
        "elmPartiallyObscuring",
        "outsideViewport",
    }
)
#: At most this many texts measured per page; the others stay undecided (DSFR's table page
#: has 487 axe cannot decide, 6.4 s to measure on an idle machine, 20 s on a loaded one).
MAX_MEASURED = 1000
#: The time a page's measure may take; the texts left then stay undecided. A bound against a
#: hostile page, far above what the cap's texts take on a loaded machine: a text measured
#: or not must not turn on the machine's speed.
MEASURE_BUDGET_S = 60.0
PASS_SHARE = 0.01
FAIL_SHARE = 0.05
_MIN_PIXELS = 12
# A glyph's core pixel: within this of the text's colour (a channel's 8/255, or a tenth of
# the way to its ground); a stretch of a line needs this many glyph pixels to be judged.
_CORE_TOLERANCE = 8
_CORE_SHARE = 0.1
_MIN_WINDOW_PIXELS = 8
# ... within a quarter of the way in a stretch holding a glyph's sliver (`drawn_in_its_colour`).
_SLIVER_CORE_SHARE = 0.25

# Functions the page's scripts here and axe's run (axe.py) share:
# - inactive(el): why `el` is the text of an inactive component, which RGAA 3.2 does not
#   cover (what a disabled control draws beside it, a slider's value and bounds, hidden from
#   assistive technologies: every control its parent holds disabled), or null;
# - bringIn(box, el, x, y): `box` scrolled (sideways when `x`, down when `y`) so that `el`
#   starts where it shows its content.
PAGE_FNS_JS = r"""
const inactive = (el) => {
  if (!el.closest('[aria-hidden="true"]') || !el.parentElement) return null;
  const controls = [...el.parentElement.querySelectorAll('input, select, textarea, button')]
    .filter((c) => c.type !== 'hidden');
  if (!controls.length || !controls.every((c) => c.matches(':disabled'))) return null;
  return "it shows a disabled control's state beside it, hidden from assistive technologies: "
    + "an inactive component's text";
};
const bringIn = (box, el, x = true, y = true) => {
  const r = el.getBoundingClientRect(), b = box.getBoundingClientRect();
  box.scrollBy({left: x ? r.left - b.left - box.clientLeft : 0, top: y ? r.top - b.top - box.clientTop : 0,
                behavior: 'instant'});
};
"""

# A text's lines in document coordinates, and what of the document the boxes scrolled by a
# user that hold it show (`clip`: left, top, right, bottom; the whole plane when none does):
# a table's cells beyond what its scrolling wrapper shows are within the viewport's width
# maybe, but not shown there.
_LINES_FN = r"""
const lines = (el) => {
  const cs = getComputedStyle(el);
  const rects = [];
  if (/^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName)) {
    // a field draws its value, placeholder or selected option in its content box
    const r = el.getBoundingClientRect(), px = (p) => parseFloat(cs[p]) || 0;
    const left = r.left + px('borderLeftWidth') + px('paddingLeft');
    const top = r.top + px('borderTopWidth') + px('paddingTop');
    const width = r.right - px('borderRightWidth') - px('paddingRight') - left;
    const height = r.bottom - px('borderBottomWidth') - px('paddingBottom') - top;
    if (width >= 1 && height >= 1) rects.push([left + scrollX, top + scrollY, width, height]);
  }
  for (const node of el.childNodes) {
    if (el.tagName === 'SELECT') break;  // its options are not drawn where they stand
    if (node.nodeType !== 3 || !node.textContent.trim()) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    for (const r of range.getClientRects()) {
      if (r.width >= 1 && r.height >= 1) rects.push([r.left + scrollX, r.top + scrollY, r.width, r.height]);
    }
  }
  const clip = [-Infinity, -Infinity, Infinity, Infinity];
  const root = document.scrollingElement;
  // a box positioned absolutely is clipped from its containing block up, a fixed one by none
  let free = cs.position === 'absolute';
  for (let e = el.parentElement; e && e !== root && cs.position !== 'fixed'; e = e.parentElement) {
    const s = getComputedStyle(e), scrolls = (o) => o === 'auto' || o === 'scroll';
    if (free && s.position === 'static' && s.transform === 'none') continue;
    free = s.position === 'absolute';
    if (s.position === 'fixed') break;
    if (!scrolls(s.overflowX) && !scrolls(s.overflowY)) continue;
    const b = e.getBoundingClientRect();
    const left = b.left + e.clientLeft + scrollX, top = b.top + e.clientTop + scrollY;
    clip[0] = Math.max(clip[0], left);
    clip[1] = Math.max(clip[1], top);
    clip[2] = Math.min(clip[2], left + e.clientWidth);
    clip[3] = Math.min(clip[3], top + e.clientHeight);
  }
  return [rects, clip.map((v) => (Number.isFinite(v) ? v : null))];
};
"""

# Runs in the page: each text's state, its lines in document coordinates and what of them
# the boxes holding it show.
_STATE_JS = (
    r"""
([held, indices, focused, symbols]) => {"""
    + _LINES_FN
    + PAGE_FNS_JS
    + r"""
return indices.map((i) => {
  const el = held.elements[i];
  if (!el || !el.isConnected) return {why: 'the element is gone'};
  const exempt = inactive(el);
  if (exempt) return {exempt};
  // a text axe could not tell from an icon: letters or digits are text; anything else is
  // a symbol, maybe a graphic (`symbol`: its first characters)
  const shown = el.textContent.trim();
  const symbol = symbols.includes(i) && !/^[\p{L}\p{N}]+$/u.test(shown) ? [...shown].slice(0, 8).join('') : null;
  const cs = getComputedStyle(el);
  // an empty field shows its placeholder, drawn in the style of its ::placeholder
  const placeholder = /^(INPUT|TEXTAREA)$/.test(el.tagName) && !el.value;
  if (placeholder && !el.placeholder) return {none: 'an empty field without a placeholder shows no text'};
  const ts = placeholder ? getComputedStyle(el, '::placeholder') : cs;
  if (ts.webkitTextFillColor !== ts.color) return {why: 'its text is filled with another colour than its own'};
  if (ts.textShadow !== 'none') return {why: 'its text has a shadow'};
  // a placeholder hidden at rest (a floating label in its stead) may show with focus:
  // measured then, the field focused (`focused`)
  if (placeholder && !(parseFloat(ts.opacity) > 0)) {
    return focused ? {none: 'its placeholder is not shown, with focus or without'} : {focus: true};
  }
  if (placeholder && parseFloat(ts.opacity) < 1) return {why: 'its placeholder is translucent (opacity)'};
  if (cs.mixBlendMode !== 'normal') return {why: 'it is blended with what is behind it'};
  const rgb = ts.color.match(/^rgba?\(([^()]*)\)$/);
  if (!rgb) return {why: 'its colour ' + ts.color.slice(0, 60) + ' is not an sRGB colour'};
  const channels = rgb[1].split(/[\s,\/]+/).filter(Boolean);
  // a translucent colour is drawn over each ground pixel as its blend with it (Material's
  // rgba(0, 0, 0, .87) text); transparent, it draws nothing; nearly, too faint to read
  const alpha = channels.length > 3 ? parseFloat(channels[3]) : 1;
  if (alpha === 0) return {none: 'its colour is transparent: it draws no glyph'};
  if (!(alpha >= 0.1)) return {why: 'its colour is nearly transparent'};
  for (let e = el; e; e = e.parentElement) {
    const s = getComputedStyle(e);
    if (parseFloat(s.opacity) < 1) return {why: 'it or an ancestor is translucent (opacity)'};
    // a drop shadow is painted behind what it shades; any other filter changes colours
    if (s.filter !== 'none' && !/^(?:drop-shadow\((?:[^()]|\([^()]*\))*\)\s*)+$/.test(s.filter))
      return {why: 'it or an ancestor is filtered (' + s.filter.slice(0, 80) + ')'};
  }
  if (el.tagName === 'SELECT' && (el.multiple || el.size > 1)) return {why: 'it is a list box'};
  const [rects, clip] = lines(el);
  if (!rects.length) return {why: 'it draws no line of text of its own'};
  return {rects: rects.slice(0, 20), clip, color: ts.color, size: parseFloat(ts.fontSize),
          weight: parseInt(ts.fontWeight, 10) || 400, symbol};
});
}
"""
)
# Scrolls the boxes a user scrolls that hold a text (a table's wrapper, a panel) so that its
# element starts where they show their content; their first positions kept (`held.scrolled`)
# to be put back. Returns the lines of the texts at `indices` then (null: gone), and how far
# the document itself scrolls sideways.
_REVEAL_JS = (
    r"""
([held, i, indices]) => {"""
    + _LINES_FN
    + PAGE_FNS_JS
    + r"""
const el = held.elements[i], root = document.scrollingElement;
if (!held.scrolled) held.scrolled = new Map();
if (el && el.isConnected) {
  for (let e = el.parentElement; e && e !== root; e = e.parentElement) {
    const s = getComputedStyle(e), scrolls = (o) => o === 'auto' || o === 'scroll';
    const x = scrolls(s.overflowX), y = scrolls(s.overflowY);
    if (!x && !y) continue;
    if (!held.scrolled.has(e)) held.scrolled.set(e, [e.scrollLeft, e.scrollTop]);
    bringIn(e, el, x, y);
  }
}
return {lines: indices.map((k) => {
          const t = held.elements[k];
          return t && t.isConnected ? lines(t) : null;
        }),
        most: Math.max(0, root.scrollWidth - innerWidth)};
}
"""
)
# Puts back where the boxes scrolled to reveal texts were.
_UNREVEAL_JS = """
(held) => {
  for (const [e, [left, top]] of held.scrolled || []) e.scrollTo({left, top, behavior: 'instant'});
  held.scrolled = null;
}
"""
# Focuses a field (`on`: whether it took focus) or gives focus back to what had it before,
# transitions off meanwhile (a sheet of ours: a placeholder fading in, a floating label
# moving away are drawn at their end at once; a ::placeholder's transition is not one
# `getAnimations` can finish).
_FOCUS_JS = """
([held, i, on]) => {
  const el = held.elements[i];
  if (!held.still) {
    held.still = new CSSStyleSheet();
    held.still.replaceSync('*, *::before, *::after, *::placeholder { transition: none !important; }');
  }
  const flush = () => void getComputedStyle(el, '::placeholder').opacity;
  if (on) {
    // a transition running already is cancelled by the sheet: its property at its end value
    document.adoptedStyleSheets = [...document.adoptedStyleSheets, held.still];
    held.before = document.activeElement;
    el.focus({preventScroll: true});
    flush();
    return el.matches(':focus');
  }
  el.blur();
  const before = held.before;
  held.before = null;
  if (before && before !== document.body && before.isConnected) before.focus({preventScroll: true});
  flush();
  document.adoptedStyleSheets = document.adoptedStyleSheets.filter((s) => s !== held.still);
  return true;
}
"""

# Makes the glyphs of texts transparent (their inline values kept aside), or puts them back.
_HIDE_JS = """
([held, indices, hide]) => {
  const saved = held.saved;
  // no transition: the glyphs are gone at once, not fading over the ground captured
  const props = {'-webkit-text-fill-color': 'transparent', 'text-decoration-color': 'transparent',
                 'text-shadow': 'none', 'transition': 'none'};
  // a placeholder has no inline style: a rule of a sheet of ours hides it (CSSOM, which a
  // page's Content-Security-Policy does not govern), on the fields marked for it
  const mark = held.mark;
  if (!held.sheet) {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync('[' + mark + ']::placeholder { -webkit-text-fill-color: transparent !important; '
      + 'color: transparent !important; transition: none !important; }');
    document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
    held.sheet = sheet;
  }
  for (const i of indices) {
    const el = held.elements[i], s = el.style;
    if (/^(INPUT|TEXTAREA)$/.test(el.tagName) && !el.value) {
      if (hide) el.setAttribute(mark, ''); else el.removeAttribute(mark);
    }
    // a field's value is drawn in its colour ('color' is what a select's text follows)
    const these = /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName) ? {...props, color: 'transparent'} : props;
    if (hide) {
      saved.set(i, Object.keys(these).map(p => [p, s.getPropertyValue(p), s.getPropertyPriority(p)]));
      for (const [p, v] of Object.entries(these)) s.setProperty(p, v, 'important');
    } else {
      // the glyphs back at once too: their style settled before the transition is put back
      const put = ([p, v, priority]) => (v ? s.setProperty(p, v, priority) : s.removeProperty(p));
      const entries = saved.get(i) || [];
      entries.filter((e) => e[0] !== 'transition').forEach(put);
      void getComputedStyle(el).webkitTextFillColor;  // style resolved without a transition
      entries.filter((e) => e[0] === 'transition').forEach(put);
    }
  }
}
"""


@dataclass(frozen=True)
class ContrastMeasure:
    """What the capture says of one text: `verdict` passed, failed, undecided, "no text"
    (an empty field without a placeholder: nothing drawn to judge) or "exempt" (a disabled
    control's text, which RGAA 3.2 does not cover)."""

    target: str
    verdict: str
    why: str
    threshold: float = 0.0
    lowest: float | None = None
    share_below: float | None = None
    pixels: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "verdict": self.verdict,
            "why": self.why,
            "threshold": self.threshold,
            "lowest_ratio": None if self.lowest is None else round(self.lowest, 2),
            "share_of_glyph_pixels_below": None if self.share_below is None else round(self.share_below, 4),
            "glyph_pixels": self.pixels,
        }


def _channel(v: int) -> float:
    c = v / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


_LUMA = [_channel(v) for v in range(256)]


def _luminance(rgb: tuple[int, int, int]) -> float:
    r, g, b = rgb
    return 0.2126 * _LUMA[r] + 0.7152 * _LUMA[g] + 0.0722 * _LUMA[b]


def contrast_ratio(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    """WCAG's contrast ratio of two opaque sRGB colours (1 to 21)."""
    la, lb = _luminance(a), _luminance(b)
    return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)


def threshold(size_px: float, weight: int) -> float:
    """RGAA 3.2's ratio for a text: 3:1 from 24px, or from 18.5px in bold; 4.5:1 below."""
    return 3.0 if size_px >= 24 or (weight >= 700 and size_px >= 18.5) else 4.5


def _glyph(s: tuple[int, int, int], g: tuple[int, int, int], color: tuple[int, int, int]) -> int:
    """How far the text's colour is from the ground `g` (a channel's largest difference) when
    the pixel `s` is a glyph pixel - the text covers it at least half-way - else 0."""
    full = max(abs(color[0] - g[0]), abs(color[1] - g[1]), abs(color[2] - g[2]))
    if full == 0 or 2 * max(abs(s[0] - g[0]), abs(s[1] - g[1]), abs(s[2] - g[2])) < full:
        return 0
    return full


def _over(color: tuple[int, int, int], alpha: float, ground: tuple[int, int, int]) -> tuple[int, int, int]:
    """The colour a text of `color` at opacity `alpha` draws over `ground`."""
    r, g, b = (round(c * alpha + k * (1 - alpha)) for c, k in zip(color, ground, strict=True))
    return (r, g, b)


def judge_pixels(
    shown: list[tuple[int, int, int]],
    ground: list[tuple[int, int, int]],
    color: tuple[int, int, int],
    ratio: float,
    alpha: float = 1.0,
) -> tuple[str, float | None, float | None, int]:
    """(verdict, lowest ratio, share below `ratio`, glyph pixels) from the two captures'
    pixels, in the same order: the text's glyph pixels are those it covers half-way. A
    translucent colour (`alpha`) is read as drawn over each glyph pixel's ground."""
    ratios: dict[tuple[int, int, int], float] = {}
    below = glyphs = 0
    lowest = None
    opaque = alpha >= 1
    for s, g in zip(shown, ground, strict=True):
        if s == g:  # the glyphs' absence changed nothing: a ground pixel (`_glyph` says 0)
            continue
        drawn = color if opaque else _over(color, alpha, g)
        if not _glyph(s, g, drawn):
            continue
        glyphs += 1
        r = ratios.get(g)
        if r is None:
            r = ratios[g] = contrast_ratio(drawn, g)
        lowest = r if lowest is None else min(lowest, r)
        below += r < ratio
    if glyphs < _MIN_PIXELS:
        return "undecided", lowest, None, glyphs
    share = below / glyphs
    verdict = "passed" if share < PASS_SHARE else "failed" if share >= FAIL_SHARE else "undecided"
    return verdict, lowest, share, glyphs


def drawn_in_its_colour(
    shown: list[tuple[int, int, int]],
    ground: list[tuple[int, int, int]],
    color: tuple[int, int, int],
    whole: int = 0,
    alpha: float = 1.0,
) -> bool | None:
    """Whether a stretch of a text's line (about a glyph or two) shows a glyph pixel drawn in
    the text's own colour; None when it holds too few glyph pixels to tell. A glyph's core
    is drawn in the text's colour; under something translucent (a veil, a pseudo-element's
    half-transparent box) it is not, and the text is read in another colour than its own.

    A stretch with fewer glyph pixels than `whole` (twice its line's height) holds a
    glyph's sliver, cut by its edge, or a thin stem no pixel of which is fully covered: its
    core may be a quarter of the way to its ground instead of a tenth. A translucent colour
    (`alpha`) is drawn as its blend with each ground pixel."""
    glyphs = 0
    nearest = 1.0
    opaque = alpha >= 1
    for s, g in zip(shown, ground, strict=True):
        if s == g:  # a ground pixel (`_glyph` says 0)
            continue
        drawn = color if opaque else _over(color, alpha, g)
        full = _glyph(s, g, drawn)
        if not full:
            continue
        glyphs += 1
        off = max(abs(s[0] - drawn[0]), abs(s[1] - drawn[1]), abs(s[2] - drawn[2]))
        if off <= max(_CORE_TOLERANCE, full * _CORE_SHARE):
            return True
        nearest = min(nearest, off / full)
    if glyphs < _MIN_WINDOW_PIXELS:
        return None
    return glyphs < whole and nearest <= _SLIVER_CORE_SHARE


def _alpha(css: str) -> float:
    """The opacity of an `rgba()` colour (1 for `rgb()`)."""
    numbers = re.findall(r"[\d.]+%?", css)
    if len(numbers) < 4:
        return 1.0
    a = numbers[3]
    return max(0.0, min(1.0, float(a[:-1]) / 100 if a.endswith("%") else float(a)))


def _rgb(css: str) -> tuple[int, int, int] | None:
    numbers = re.findall(r"[\d.]+", css)
    if not css.startswith("rgb") or len(numbers) < 3:
        return None
    r, g, b = (min(255, round(float(n))) for n in numbers[:3])
    return (r, g, b)


def _image(png: bytes) -> Any:
    from PIL import Image

    with Image.open(io.BytesIO(png)) as img:
        return img.convert("RGB")


def _crop(img: Any, box: tuple[int, int, int, int]) -> list[tuple[int, int, int]]:
    raw = img.crop(box).tobytes()
    return list(zip(raw[0::3], raw[1::3], raw[2::3], strict=True))


@dataclass
class _Text:
    position: int
    index: int
    target: str
    rects: list[list[float]]
    color: tuple[int, int, int]
    ratio: float
    alpha: float = 1.0
    #: what of the document the boxes a user scrolls that hold it show: left, top, right,
    #: bottom (None: unbounded)
    clip: tuple[float | None, ...] = (None, None, None, None)
    #: its characters when axe could not tell it from an icon and they are not letters or
    #: digits: text or a graphic, a person tells
    symbol: str | None = None

    @property
    def top(self) -> float:
        return min(r[1] for r in self.rects)

    @property
    def left(self) -> float:
        return min(r[0] for r in self.rects)

    def fits(self, x0: float, y0: float, width: float, height: float) -> bool:
        return all(
            x0 <= r[0] and r[0] + r[2] <= x0 + width and y0 <= r[1] and r[1] + r[3] <= y0 + height for r in self.rects
        )

    def as_shown(self) -> _Text:
        """Itself with its lines cut to what the boxes holding it show (a line wider than
        the box scrolling it: the part shown), the lines they do not show left out."""
        left, top, right, bottom = self.clip
        cut = []
        for x, y, w, h in self.rects:
            x0, y0 = max(x, left if left is not None else x), max(y, top if top is not None else y)
            x1 = min(x + w, right if right is not None else x + w)
            y1 = min(y + h, bottom if bottom is not None else y + h)
            if x1 - x0 >= 1 and y1 - y0 >= 1:
                cut.append([x0, y0, x1 - x0, y1 - y0])
        return replace(self, rects=cut)

    def across(self, x0: float, width: float, whole: bool = True) -> bool:
        """Whether its lines are within the viewport's width with the document scrolled
        `x0` sideways, and (`whole`) within what the boxes holding it show."""
        left, top, right, bottom = self.clip
        return all(
            x0 <= r[0]
            and r[0] + r[2] <= x0 + width
            and not (
                whole
                and (
                    (left is not None and r[0] < left - 0.5)
                    or (top is not None and r[1] < top - 0.5)
                    or (right is not None and r[0] + r[2] > right + 0.5)
                    or (bottom is not None and r[1] + r[3] > bottom + 0.5)
                )
            )
            for r in self.rects
        )


Pixels = list[tuple[int, int, int]]


def _verdict(text: _Text, windows: list[tuple[Pixels, Pixels, int]]) -> ContrastMeasure:
    shown = [p for w in windows for p in w[0]]
    ground = [p for w in windows for p in w[1]]
    faded = sum(drawn_in_its_colour(s, g, text.color, whole, text.alpha) is False for s, g, whole in windows)
    if faded:
        why = (
            f"{faded} stretch(es) of its lines show no glyph pixel in its own colour: something "
            "translucent is drawn over it, it is read in another colour"
        )
        return ContrastMeasure(text.target, "undecided", why, text.ratio)
    verdict, lowest, share, glyphs = judge_pixels(shown, ground, text.color, text.ratio, text.alpha)
    ratio = text.ratio
    if verdict == "undecided" and share is None:
        why = f"only {glyphs} glyph pixel(s) could be told from their ground"
    elif verdict == "undecided":
        why = f"{share:.1%} of its glyph pixels are below {ratio:g}:1: too few to fail it, too many to pass it"
    elif verdict == "failed":
        why = f"{share:.1%} of its glyph pixels are read on a ground below {ratio:g}:1 (lowest {lowest:.2f}:1)"
    else:
        why = f"its glyph pixels are read on grounds of {lowest:.2f}:1 at the lowest (at least {ratio:g}:1)"
    if text.symbol is not None and verdict == "failed":
        verdict = "undecided"
        why += (
            f", but it is a symbol ({text.symbol!r}) axe-core could not tell from an icon: as text it fails"
            " (RGAA 3.2), as a graphic it is judged by RGAA 3.3; a person must tell which it is"
        )
    elif text.symbol is not None and verdict == "passed":
        why += f" (a symbol, {text.symbol!r}: it passes as text, and so as a graphic)"
    return ContrastMeasure(text.target, verdict, why, ratio, lowest, share, glyphs)


# Runs in the top document: the frame element's document area scrolled to, the point
# `down` pixels below its top (where the band of texts starts) brought to the viewport's
# top, or lower when the frame is shorter than the viewport: the band's first line (`lead`
# below that point) a third of the way down, away from a header fixed at the top. Returns
# the area's box in the viewport and the viewport's size, or why the frame is not drawn as
# its document is laid out (scaled, rotated: its lines are not where its document puts them).
_PLACE_FRAME_JS = """
([el, down, lead, height]) => {
  for (let e = el; e; e = e.parentElement) {
    const s = getComputedStyle(e);
    if (s.transform !== 'none' || (s.zoom && parseFloat(s.zoom) !== 1))
      return {why: 'its frame, or what holds it, is transformed'};
  }
  const cs = getComputedStyle(el), px = (p) => parseFloat(cs[p]) || 0;
  const edge = (r) => [r.left + px('borderLeftWidth') + px('paddingLeft'),
                       r.top + px('borderTopWidth') + px('paddingTop')];
  const at = Math.max(0, Math.min(innerHeight - Math.min(height, innerHeight), innerHeight / 3 - lead));
  const [, y] = edge(el.getBoundingClientRect());
  scrollTo({left: 0, top: y + scrollY + down - at, behavior: 'instant'});
  const r = el.getBoundingClientRect(), [left, top] = edge(r);
  const width = r.right - px('borderRightWidth') - px('paddingRight') - left;
  const bottom = r.bottom - px('borderBottomWidth') - px('paddingBottom');
  return {box: [left, top, width, bottom - top], viewport: [innerWidth, innerHeight]};
}
"""


@dataclass(frozen=True)
class _Document:
    """Where the texts measured together live: the top document (`frame` None), or the
    document a frame of the page shows (`frame` its Playwright Frame, `element` the frame
    element in the top document, as an ElementHandle)."""

    page: Any
    frame: Any = None
    element: Any = None

    @property
    def context(self) -> Any:
        """What runs scripts in the document (the Page or the Frame)."""
        return self.page if self.frame is None else self.frame


def _capture_band(where: _Document, held: Any, band: list[_Text], left: float, top: float) -> list[ContrastMeasure]:
    """Measure the texts of one viewport's height: the viewport captured as shown, with
    their glyphs transparent, and as shown again (a text that changed is undecided). A
    frame's texts are captured where the page shows the frame, brought into view."""
    page, context = where.page, where.context
    # instant: a page's `scroll-behavior: smooth` would still be scrolling when captured
    scroll_x, scroll_y, width, height = context.evaluate(
        "([x, y]) => { scrollTo({left: x, top: y, behavior: 'instant'}); "
        "return [scrollX, scrollY, innerWidth, innerHeight]; }",
        [left, top],
    )
    # the document's viewport in the page's: its box (left, top, width, height)
    box = (0.0, 0.0, float(width), float(height))
    if where.element is not None:
        lead = min(t.top for t in band) - top
        placed = page.evaluate(_PLACE_FRAME_JS, [where.element, top - scroll_y, lead, height])
        if "why" in placed:
            return [ContrastMeasure(t.target, "undecided", str(placed["why"]), t.ratio) for t in band]
        left, top_edge, frame_width, frame_height = (float(v) for v in placed["box"])
        box = (left, top_edge, frame_width, frame_height)
        # a frame drawn at another size than its document's viewport is scaled
        if abs(box[2] - width) > 1 or abs(box[3] - height) > 1:
            why = "its frame is drawn at another size than its document's viewport"
            return [ContrastMeasure(t.target, "undecided", why, t.ratio) for t in band]
        width, height = placed["viewport"]
    # the pointer off the page, below and right of it (not across its top, where pages
    # watch for a visitor leaving): no text is shown in its hover state
    page.mouse.move(width + 1, height + 1)
    indices = [t.index for t in band]
    first = page.screenshot(caret="hide")
    context.evaluate(_HIDE_JS, [held, indices, True])
    try:
        hidden = page.screenshot(caret="hide")
    finally:
        context.evaluate(_HIDE_JS, [held, indices, False])
    again = page.screenshot(caret="hide")
    images = [_image(first), _image(hidden), _image(again) if again != first else None]
    scale = images[0].width / max(1, width)
    # what of the page shows the document: its box within the viewport
    shown = (max(0.0, box[0]), max(0.0, box[1]), min(width, box[0] + box[2]), min(height, box[1] + box[3]))
    out = []
    for text in band:
        # the text's lines in the page's viewport
        lines = [(box[0] + x - scroll_x, box[1] + y - scroll_y, w, h) for x, y, w, h in text.rects]
        if where.frame is not None and not all(
            shown[0] <= x and x + w <= shown[2] and shown[1] <= y and y + h <= shown[3] for x, y, w, h in lines
        ):
            why = "it is not shown whole where the page shows its frame"
            out.append(ContrastMeasure(text.target, "undecided", why, text.ratio))
            continue
        windows: list[tuple[Pixels, Pixels, int]] = []
        changed = False
        for x, y, w, h in lines:
            area = (
                max(0, math.floor(x * scale)),
                max(0, math.floor(y * scale)),
                min(images[0].width, math.ceil((x + w) * scale)),
                min(images[0].height, math.ceil((y + h) * scale)),
            )
            if area[2] <= area[0] or area[3] <= area[1]:
                continue
            if images[2] is not None and _crop(images[2], area) != _crop(images[0], area):
                changed = True
                break
            # stretches of the line about as wide as it is high: a glyph or two each
            step = max(4, area[3] - area[1])
            for left in range(area[0], area[2], step):
                part = (left, area[1], min(area[2], left + step), area[3])
                whole = 2 * (area[3] - area[1])  # glyph pixels of a stretch holding a whole glyph
                windows.append((_crop(images[0], part), _crop(images[1], part), whole))
        if changed:
            out.append(ContrastMeasure(text.target, "undecided", "the text changed while it was captured", text.ratio))
        else:
            out.append(_verdict(text, windows))
    return out


def measure_texts(
    page: Any, elements: Any, nodes: list[dict[str, Any]], *, budget_s: float = MEASURE_BUDGET_S
) -> list[ContrastMeasure]:
    """Measure each of `nodes` (`{"index", "target", "reasons", "frame"}`: the elements axe
    left undecided, at `index` in the page's array `elements`, a Playwright handle the
    harness holds, no page script reaching it) whose reasons are all MEASURED_REASONS, a
    viewport's height of them at a time; the page's scroll position is put back after.

    A text in a frame (`frame`: axe's selectors, the frame element's in the top document
    then the text's in the frame's) is found again in the frame's document, through
    Playwright, and measured where the page shows the frame. A text in a frame within a
    frame, or in a frame's shadow root, stays undecided."""
    results: dict[int, ContrastMeasure] = {}
    top: list[tuple[int, dict[str, Any]]] = []
    framed: dict[str, list[tuple[int, dict[str, Any], str]]] = {}
    count = 0
    for position, n in enumerate(nodes):
        reasons = set(n.get("reasons") or ())
        target = str(n.get("target") or "")
        path = n.get("frame")
        if n.get("why"):  # what axe's run said it could not look at
            results[position] = ContrastMeasure(target, "undecided", str(n["why"]))
        elif not reasons or not reasons <= MEASURED_REASONS:
            why = ", ".join(sorted(reasons)) or "no reason given"
            results[position] = ContrastMeasure(target, "undecided", f"axe-core: {why}")
        elif count >= MAX_MEASURED:
            results[position] = ContrastMeasure(target, "undecided", f"more than {MAX_MEASURED} texts to measure")
        elif not path:
            count += 1
            top.append((position, n))
        elif isinstance(path, list) and len(path) == 2 and all(isinstance(p, str) and p for p in path):
            count += 1
            framed.setdefault(path[0], []).append((position, n, path[1]))
        else:
            why = "it is inside a frame within a frame, or a frame's shadow root: not measured"
            results[position] = ContrastMeasure(target, "undecided", why)
    deadline = time.monotonic() + budget_s
    scroll = page.evaluate("[scrollX, scrollY]")
    try:
        if top:
            _measure_document(_Document(page), elements, top, results, deadline, budget_s)
        for selector, group in framed.items():
            _measure_frame(page, selector, group, results, deadline, budget_s)
    finally:
        page.evaluate("([x, y]) => scrollTo({left: x, top: y, behavior: 'instant'})", scroll)
    return [results[p] for p in range(len(nodes))]


def _measure_frame(
    page: Any,
    selector: str,
    group: list[tuple[int, dict[str, Any], str]],
    results: dict[int, ContrastMeasure],
    deadline: float,
    budget_s: float,
) -> None:
    """Measure the texts axe found in the frame its `selector` names: each found again in
    the frame's document by its own selector (Playwright's query, in a world no page
    script reaches); a text not found again stays undecided."""
    element, why = find_by_axe_selector(page, selector)
    frame = element.content_frame() if element is not None else None
    if frame is None:
        why = why or f"its frame ({selector[:120]}) is no longer in the page"
        for position, n, _ in group:
            results[position] = ContrastMeasure(str(n.get("target") or ""), "undecided", why)
        if element is not None:
            element.dispose()
        return
    queried = [find_by_axe_selector(frame, inner) for _, _, inner in group]
    found = [handle for handle, _ in queried]
    elements = frame.evaluate_handle("(found) => found", found)
    try:
        todo = []
        for i, ((position, n, _), (handle, why)) in enumerate(zip(group, queried, strict=True)):
            if handle is None:
                why = why or "it is no longer in its frame's document"
                results[position] = ContrastMeasure(str(n.get("target") or ""), "undecided", why)
            else:
                todo.append((position, {**n, "index": i}))
        if todo:
            _measure_document(_Document(page, frame, element), elements, todo, results, deadline, budget_s)
    finally:
        for handle in (elements, element, *found):
            if handle is not None:
                handle.dispose()


def find_by_axe_selector(root: Any, selector: str) -> tuple[Any, str | None]:
    """The element `selector` names in `root` (a Page or Frame), or None and why not when
    Playwright cannot read axe's selector."""
    try:
        return root.query_selector(f"css={selector}"), None  # axe's CSS, not Playwright's other engines
    except Exception as exc:
        if "selector" not in str(exc).lower():
            raise
        return None, f"axe's selector {selector[:120]!r} could not be used to find it again"


@dataclass
class _Bands:
    """Measures the texts of one document, a band of its viewport's height at a time."""

    where: _Document
    held: Any
    results: dict[int, ContrastMeasure]
    deadline: float
    budget_s: float
    width: float
    height: float

    def text(self, position: int, n: dict[str, Any], state: dict[str, Any]) -> list[_Text]:
        """The text to measure from its state, or none when the state decides it (nothing
        drawn; undecided, saying why)."""
        target = str(n.get("target") or "")
        if "none" in state:  # nothing drawn, no contrast to judge
            self.results[position] = ContrastMeasure(target, "no text", str(state["none"]))
            return []
        if "exempt" in state:  # RGAA 3.2's exception for an inactive component
            self.results[position] = ContrastMeasure(target, "exempt", str(state["exempt"]))
            return []
        color = _rgb(str(state.get("color") or ""))
        if "why" in state or color is None:
            why = str(state.get("why") or f"its colour {state.get('color')!r} is not an sRGB colour")
            self.results[position] = ContrastMeasure(target, "undecided", why)
            return []
        ratio = threshold(float(state["size"]), int(state["weight"]))
        alpha = _alpha(str(state.get("color") or ""))
        clip = tuple(state.get("clip") or (None, None, None, None))
        symbol = str(state["symbol"]) if state.get("symbol") else None
        return [_Text(position, int(n["index"]), target, state["rects"], color, ratio, alpha, clip, symbol)]

    def _late(self, texts: list[_Text]) -> bool:
        """Whether the budget is spent (the texts left then undecided, saying so)."""
        if time.monotonic() <= self.deadline:
            return False
        for t in texts:  # a long page of scattered texts
            self.results[t.position] = ContrastMeasure(
                t.target, "undecided", f"not measured within {self.budget_s:g} s", t.ratio
            )
        return True

    def measure(self, texts: list[_Text]) -> None:
        """The texts shown whole as the page is, in bands; then those a box the user
        scrolls does not show (a wide table's last columns, a panel's last lines), each box
        scrolled to show the first text left, and the texts it then shows measured."""
        aside = self._bands(sorted(texts, key=lambda t: t.top), 0.0)
        while aside and not self._late(aside):
            found = self.where.context.evaluate(_REVEAL_JS, [self.held, aside[0].index, [t.index for t in aside]])
            again: list[_Text] = []
            for t, lines in zip(aside, found["lines"], strict=True):
                if lines and lines[0]:
                    clip = tuple(lines[1])
                    again.append(replace(t, rects=lines[0][:20], clip=clip))
                else:
                    self.results[t.position] = ContrastMeasure(
                        t.target, "undecided", "it is gone, or draws no line", t.ratio
                    )
            if not again or again[0].position != aside[0].position:
                aside = again
                continue
            first = again[0]
            # the document scrolled sideways only when the text is beyond its viewport's width
            left = 0.0 if first.across(0.0, self.width, False) else max(0.0, min(float(found["most"]), first.left - 16))
            rest = self._bands(again, left)
            if rest and rest[0].position == first.position:
                # shown whole nowhere (a line wider than the box scrolling it): what the box
                # shows of it measured, if the viewport holds that
                rest.pop(0)
                part = first.as_shown()
                if part.rects and part.across(left, self.width, whole=False):
                    self._bands([part], left, whole=False)
                    done = self.results[first.position]
                    if done.pixels:  # read on the page, not left out
                        why = f"{done.why} (what of it the box scrolling it shows: it is wider or taller than that box)"
                        self.results[first.position] = replace(done, why=why)
                else:
                    why = "its text does not fit in the viewport"
                    self.results[first.position] = ContrastMeasure(first.target, "undecided", why, first.ratio)
            aside = rest

    def _bands(self, texts: list[_Text], left: float, whole: bool = True) -> list[_Text]:
        """Measure those of `texts` shown within the viewport's width (and, `whole`, shown
        whole by the boxes holding them) with the document scrolled `left` sideways, in
        bands of a viewport's height, the first text a third of the way down (away from a
        header fixed at the top), ending a sixth above the bottom (a fixed footer); returns
        the others, in their order."""
        shown = [t for t in texts if t.across(left, self.width, whole)]
        measured = {t.position for t in shown}
        rest = [t for t in texts if t.position not in measured]
        while shown and not self._late(shown):
            top = max(0.0, shown[0].top - self.height / 3)
            band = [t for t in shown if t.fits(left, top, self.width, self.height * 5 / 6)]
            if not band:
                first = shown.pop(0)
                self.results[first.position] = ContrastMeasure(
                    first.target, "undecided", "its text does not fit in the viewport", first.ratio
                )
                continue
            done = {t.position for t in band}
            shown = [t for t in shown if t.position not in done]
            for text, measure in zip(band, _capture_band(self.where, self.held, band, left, top), strict=True):
                self.results[text.position] = measure
        return rest


def _measure_focused(context: Any, held: Any, position: int, n: dict[str, Any], bands: _Bands) -> None:
    """Measure the placeholder of a field that shows it only with focus: the field focused,
    its state read and captured then; focus given back after."""
    index = int(n["index"])
    target = str(n.get("target") or "")
    try:
        if not context.evaluate(_FOCUS_JS, [held, index, True]):
            why = "its placeholder shows only with focus, and the field does not take focus"
            bands.results[position] = ContrastMeasure(target, "undecided", why)
            return
        state = context.evaluate(_STATE_JS, [held, [index], True, []])[0]
        bands.measure(bands.text(position, n, state))
    finally:
        context.evaluate(_FOCUS_JS, [held, index, False])
    done = bands.results[position]
    if done.verdict in ("passed", "failed", "undecided"):
        bands.results[position] = replace(done, why=f"{done.why} (its placeholder, shown while the field has focus)")


def _measure_document(
    where: _Document,
    elements: Any,
    todo: list[tuple[int, dict[str, Any]]],
    results: dict[int, ContrastMeasure],
    deadline: float,
    budget_s: float,
) -> None:
    """Measure the texts of one document (`todo`: their positions among the nodes, and the
    nodes, whose `index` is in `elements`), a band of its viewport's height at a time."""
    context = where.context
    scroll = context.evaluate("[scrollX, scrollY]") if where.frame is not None else None
    # what the measure keeps in the page (the elements, their inline styles set aside, the
    # sheet hiding placeholders) in an object only this handle reaches
    mark = f"data-homolog-hide-{secrets.token_hex(8)}"
    held = context.evaluate_handle(
        "([elements, mark]) => ({elements, mark, saved: new Map(), sheet: null, still: null})", [elements, mark]
    )
    try:
        iconic = {"shortTextContent", "nonBmp"}
        symbols = [int(n["index"]) for _, n in todo if iconic & set(n.get("reasons") or ())]
        states = context.evaluate(_STATE_JS, [held, [int(n["index"]) for _, n in todo], False, symbols])
        width, height = context.evaluate("[innerWidth, innerHeight]")
        if where.frame is not None:
            # a frame's band: what of its viewport the page's viewport can show at once
            height = min(height, where.page.evaluate("innerHeight"))
        band_of = _Bands(where, held, results, deadline, budget_s, width, height)
        with_focus: list[tuple[int, dict[str, Any]]] = []
        texts: list[_Text] = []
        for (position, n), state in zip(todo, states, strict=True):
            if "focus" in state:
                with_focus.append((position, n))
            else:
                texts += band_of.text(position, n, state)
        band_of.measure(texts)
        # Placeholders shown only with focus, each measured alone once the others are (what
        # focusing and leaving a field does to the page cannot move them): the field focused.
        for position, n in with_focus:
            _measure_focused(context, held, position, n, band_of)
    finally:
        context.evaluate(_UNREVEAL_JS, held)
        if scroll is not None:
            context.evaluate("([x, y]) => scrollTo({left: x, top: y, behavior: 'instant'})", scroll)
        context.evaluate(
            """(held) => {
              if (held.sheet) document.adoptedStyleSheets = document.adoptedStyleSheets.filter((s) => s !== held.sheet);
            }""",
            held,
        )
        held.dispose()
