"""Text contrast read from the rendered page where axe-core cannot compute it (RGAA 3.2).

axe-core leaves `color-contrast` undecided ("incomplete") for text over a background image
or gradient, or beside pseudo-element content: it computes colours from styles, and a
background it cannot reduce to one colour stops it. The French state's design system
(DSFR) underlines its links with a background gradient, so every page built with it had
RGAA 3.2 undecided. Such a text is measured here on the page as rendered:

1. the text's own lines (the client rectangles of its text nodes) are captured twice,
   as shown, and with the glyphs made transparent (`-webkit-text-fill-color`, decorations
   and shadows off) - everything else, backgrounds, gradients, pseudo-elements and icons,
   drawn the same both times;
2. the glyph pixels are those the text covers at least half-way (where the two captures
   differ by half the distance between the text's colour and the ground); the ground of
   each is the transparent capture's pixel;
3. the contrast ratio of the text's colour with each glyph pixel's ground (WCAG's relative
   luminance): the text **passes** when under 1 % of its glyph pixels are below the
   threshold (4.5:1, 3:1 from 24px, or 18.5px bold: RGAA 3.2's tests), **fails** when 5 %
   or more are, and stays undecided between (an auditor looks).

A line of decoration in the text's own colour (an underline drawn as a gradient of
`currentColor`) is no ground: where a glyph crosses it nothing changes between the two
captures. A text is left undecided, as axe left it, when its colour is not what is drawn
(transparent or gradient fill, a shadow, opacity or a filter other than a drop shadow on
the way to the root, a blend mode), when it shows no glyph pixel in the viewport, or when
the page changes it between the captures.
"""

from __future__ import annotations

import io
import re
import secrets
from dataclasses import dataclass
from typing import Any

__all__ = ["MEASURED_REASONS", "ContrastMeasure", "measure_texts"]

#: axe-core's reasons for leaving `color-contrast` undecided that a capture resolves.
MEASURED_REASONS = frozenset({"bgImage", "bgGradient", "pseudoContent"})
#: At most this many texts measured per page; the others stay undecided.
MAX_MEASURED = 60
PASS_SHARE = 0.01
FAIL_SHARE = 0.05
_MIN_PIXELS = 12

# Runs in the page: the text's state and its lines, scrolled into view.
_PREPARE_JS = r"""
([key, i]) => {
  const el = (window[key] || [])[i];
  if (!el || !el.isConnected) return {why: 'the element is gone'};
  el.scrollIntoView({block: 'center', inline: 'center'});
  const cs = getComputedStyle(el);
  if (cs.webkitTextFillColor !== cs.color) return {why: 'its text is filled with another colour than its own'};
  if (cs.textShadow !== 'none') return {why: 'its text has a shadow'};
  if (cs.mixBlendMode !== 'normal') return {why: 'it is blended with what is behind it'};
  const rgb = cs.color.match(/^rgba?\(([^()]*)\)$/);
  if (!rgb) return {why: 'its colour ' + cs.color.slice(0, 60) + ' is not an sRGB colour'};
  const channels = rgb[1].split(/[\s,\/]+/).filter(Boolean);
  if (channels.length > 3 && parseFloat(channels[3]) < 1) return {why: 'its colour is translucent'};
  for (let e = el; e; e = e.parentElement) {
    const s = getComputedStyle(e);
    if (parseFloat(s.opacity) < 1) return {why: 'it or an ancestor is translucent (opacity)'};
    // a drop shadow is painted behind what it shades; any other filter changes colours
    if (s.filter !== 'none' && !/^(?:drop-shadow\((?:[^()]|\([^()]*\))*\)\s*)+$/.test(s.filter))
      return {why: 'it or an ancestor is filtered (' + s.filter.slice(0, 80) + ')'};
  }
  const rects = [];
  for (const node of el.childNodes) {
    if (node.nodeType !== 3 || !node.textContent.trim()) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    for (const r of range.getClientRects()) {
      const x0 = Math.max(0, r.left), y0 = Math.max(0, r.top);
      const x1 = Math.min(innerWidth, r.right), y1 = Math.min(innerHeight, r.bottom);
      if (x1 - x0 >= 1 && y1 - y0 >= 1) rects.push([x0, y0, x1 - x0, y1 - y0]);
    }
  }
  if (!rects.length) return {why: 'no line of its text is in the viewport'};
  return {rects: rects.slice(0, 20), color: cs.color, size: parseFloat(cs.fontSize),
          weight: parseInt(cs.fontWeight, 10) || 400};
}
"""
_HIDE_JS = """
([key, i, hide]) => {
  const s = window[key][i].style;
  for (const p of ['-webkit-text-fill-color', 'text-decoration-color', 'text-shadow']) {
    if (hide) s.setProperty(p, p === 'text-shadow' ? 'none' : 'transparent', 'important');
    else s.removeProperty(p);
  }
}
"""


@dataclass(frozen=True)
class ContrastMeasure:
    """What the capture says of one text: `verdict` passed, failed or undecided."""

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


def judge_pixels(
    shown: list[tuple[int, int, int]], ground: list[tuple[int, int, int]], color: tuple[int, int, int], ratio: float
) -> tuple[str, float | None, float | None, int]:
    """(verdict, lowest ratio, share below `ratio`, glyph pixels) from the two captures'
    pixels, in the same order: the text's glyph pixels are those it covers half-way."""
    ratios: dict[tuple[int, int, int], float] = {}
    below = glyphs = 0
    lowest = None
    for s, g in zip(shown, ground, strict=True):
        full = max(abs(color[0] - g[0]), abs(color[1] - g[1]), abs(color[2] - g[2]))
        if full == 0 or 2 * max(abs(s[0] - g[0]), abs(s[1] - g[1]), abs(s[2] - g[2])) < full:
            continue
        glyphs += 1
        r = ratios.get(g)
        if r is None:
            r = ratios[g] = contrast_ratio(color, g)
        lowest = r if lowest is None else min(lowest, r)
        below += r < ratio
    if glyphs < _MIN_PIXELS:
        return "undecided", lowest, None, glyphs
    share = below / glyphs
    verdict = "passed" if share < PASS_SHARE else "failed" if share >= FAIL_SHARE else "undecided"
    return verdict, lowest, share, glyphs


def _rgb(css: str) -> tuple[int, int, int] | None:
    numbers = re.findall(r"[\d.]+", css)
    if not css.startswith("rgb") or len(numbers) < 3:
        return None
    r, g, b = (min(255, round(float(n))) for n in numbers[:3])
    return (r, g, b)


def _pixels(png: bytes) -> tuple[tuple[int, int], list[tuple[int, int, int]]]:
    from PIL import Image

    with Image.open(io.BytesIO(png)) as img:
        rgb = img.convert("RGB")
        raw = rgb.tobytes()
        return rgb.size, list(zip(raw[0::3], raw[1::3], raw[2::3], strict=True))


def _measure_one(page: Any, key: str, index: int, target: str) -> ContrastMeasure:
    state = page.evaluate(_PREPARE_JS, [key, index])
    if "why" in state:
        return ContrastMeasure(target, "undecided", str(state["why"]))
    color = _rgb(str(state["color"]))
    if color is None:
        return ContrastMeasure(target, "undecided", f"its colour {state['color']!r} is not an sRGB colour")
    ratio = threshold(float(state["size"]), int(state["weight"]))
    page.mouse.move(0, 0)  # no hover state on the text
    shown: list[tuple[int, int, int]] = []
    ground: list[tuple[int, int, int]] = []
    for x, y, w, h in state["rects"]:
        clip = {"x": x, "y": y, "width": w, "height": h}
        first = page.screenshot(clip=clip, caret="hide")
        page.evaluate(_HIDE_JS, [key, index, True])
        try:
            hidden = page.screenshot(clip=clip, caret="hide")
        finally:
            page.evaluate(_HIDE_JS, [key, index, False])
        again = page.screenshot(clip=clip, caret="hide")
        if again != first:
            return ContrastMeasure(target, "undecided", "the text changed while it was captured", ratio)
        size, a = _pixels(first)
        size_b, b = _pixels(hidden)
        if size != size_b:
            return ContrastMeasure(target, "undecided", "the two captures differ in size", ratio)
        shown += a
        ground += b
    verdict, lowest, share, glyphs = judge_pixels(shown, ground, color, ratio)
    if verdict == "undecided" and share is None:
        why = f"only {glyphs} glyph pixel(s) could be told from their ground"
    elif verdict == "undecided":
        why = f"{share:.1%} of its glyph pixels are below {ratio:g}:1: too few to fail it, too many to pass it"
    elif verdict == "failed":
        why = f"{share:.1%} of its glyph pixels are read on a ground below {ratio:g}:1 (lowest {lowest:.2f}:1)"
    else:
        why = f"its glyph pixels are read on grounds of {lowest:.2f}:1 at the lowest (at least {ratio:g}:1)"
    return ContrastMeasure(target, verdict, why, ratio, lowest, share, glyphs)


def measure_texts(page: Any, key: str, nodes: list[dict[str, Any]]) -> list[ContrastMeasure]:
    """Measure each of `nodes` (`{"index", "target", "reasons"}`: the elements axe left
    undecided, kept in the page's `window[key]`) whose reasons are all MEASURED_REASONS;
    the page's scroll position is put back after."""
    out = []
    measured = 0
    scroll = page.evaluate("[scrollX, scrollY]")
    try:
        for n in nodes:
            reasons = set(n.get("reasons") or ())
            target = str(n.get("target") or "")
            if not reasons or not reasons <= MEASURED_REASONS:
                why = ", ".join(sorted(reasons)) or "no reason given"
                out.append(ContrastMeasure(target, "undecided", f"axe-core: {why}"))
            elif measured >= MAX_MEASURED:
                out.append(ContrastMeasure(target, "undecided", f"more than {MAX_MEASURED} texts to measure"))
            else:
                measured += 1
                out.append(_measure_one(page, key, int(n["index"]), target))
    finally:
        page.evaluate("([x, y]) => scrollTo(x, y)", scroll)
        page.evaluate("(key) => { delete window[key]; }", key)
    return out


def new_key() -> str:
    """A name for the page's list of undecided elements no page script expects."""
    return f"__homolog_contrast_{secrets.token_hex(8)}"
