"""The heading outline of a page, and homolog's own heading rule for RGAA 9.1.

axe-core's `heading-order` is tagged best-practice only, so no stable axe rule speaks for
RGAA 9.1 and the criterion would stay manual. The rule here is what can be decided from
the rendered page alone:

- levels are not skipped: a heading is at most one level deeper than the one before it
  (h1 then h3 skips level 2; going back up any number of levels is fine; the first
  heading may be of any level);
- headings are present where the page has sections: a page with `section`, `article`
  or region landmarks but no heading at all fails.

Headings are `h1`-`h6` and `role="heading"` elements (level from `aria-level`, default 2),
in the order the page renders them, open shadow roots included (`flat_tree.py`: a page
built of web components keeps its headings there), left out when hidden from everyone
(`display: none`, `hidden`, `aria-hidden`, `inert`).
Whether each heading's text is relevant (test 9.1.2) stays with the auditor.

A frame's document has its own outline, judged by the same rule (`iframe "Ordonnance"`):
read in each frame the page loaded (the first MAX_FRAMES); a frame the browser did not
load (out of the target's scope: its error page stands in for it) and that shows something
is listed as not read, and the check is undecided about it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from homolog import CheckError
from homolog.suites.ui.browser import PageFrames, page_frames
from homolog.suites.ui.flat_tree import with_flat_tree

__all__ = ["Heading", "Outline", "heading_problems", "read_outline"]

_OUTLINE_JS = with_flat_tree("""
() => {
__FLAT_TREE__
  const shown = (el) => {
    if (flatClosest(el, '[hidden], [aria-hidden="true"], [inert]')) return false;
    for (let n = el; n && n.nodeType === 1; n = flatParent(n)) {
      if (getComputedStyle(n).display === 'none') return false;
    }
    return true;
  };
  const headings = [];
  let sections = 0;
  flatTree((el) => {
    if (el.matches('section, article, [role=region], [role=article]') && shown(el)) sections++;
    if (headings.length >= 300 || !el.matches('h1, h2, h3, h4, h5, h6, [role=heading]')) return;
    const role = (el.getAttribute('role') || '').trim();
    const native = /^H[1-6]$/.test(el.tagName);
    if (role && role !== 'heading') return;  // role=presentation/none/... : not a heading
    if (!shown(el)) return;
    let level = native && !role ? parseInt(el.tagName.slice(1), 10) : 2;
    const aria = parseInt(el.getAttribute('aria-level') || '', 10);
    if (aria >= 1) level = aria;
    const text = (el.innerText || el.textContent || '').replace(/\\s+/g, ' ').trim();
    headings.push({level, tag: el.tagName.toLowerCase(), text: text.slice(0, 80)});
  }, __MAX_FLAT__);
  return {headings, sections};
}
""")


@dataclass(frozen=True)
class Heading:
    """One heading as assistive technologies get it."""

    level: int
    tag: str
    text: str

    def describe(self) -> str:
        """`h3 "Identité"` (`heading[2] "..."` for an ARIA heading)."""
        name = self.tag if self.tag == f"h{self.level}" else f"{self.tag}(level {self.level})"
        return f'{name} "{self.text}"'


# A frame element, as the outline names it, and whether it shows anything.
_FRAME_JS = """
(el) => {
  const s = getComputedStyle(el), title = el.getAttribute('title'), src = el.getAttribute('src');
  const name = el.localName + (title ? ' "' + title.slice(0, 80) + '"' : '')
    + (src ? ' (' + src.slice(0, 120) + ')' : '');
  const shows = el.clientWidth >= 2 && el.clientHeight >= 2 && s.display !== 'none' && s.visibility !== 'hidden';
  return {name, shows};
}
"""


@dataclass(frozen=True)
class Outline:
    """The headings of a page, in document order, and how many sections it has; the
    outlines of the documents its frames show, and the frames whose document was not read."""

    page_name: str
    headings: tuple[Heading, ...]
    sections: int
    frames: tuple[Outline, ...] = ()
    unread_frames: tuple[str, ...] = ()

    @property
    def any_headings(self) -> bool:
        """Whether the page or one of its frames has a heading."""
        return bool(self.headings) or any(f.any_headings for f in self.frames)

    def to_json(self) -> dict[str, Any]:
        """A JSON-friendly summary for evidence."""
        return {
            "page": self.page_name,
            "sections": self.sections,
            "headings": [{"level": h.level, "tag": h.tag, "text": h.text} for h in self.headings],
            **({"frames": [f.to_json() for f in self.frames]} if self.frames else {}),
            **({"frames_not_read": list(self.unread_frames)} if self.unread_frames else {}),
        }


def _outline(context: Any, name: str) -> Outline:
    raw = context.evaluate(_OUTLINE_JS)
    headings = tuple(Heading(int(h["level"]), str(h["tag"]), str(h["text"])) for h in raw["headings"])
    return Outline(name, headings, int(raw["sections"]))


def read_outline(page: Any, page_name: str) -> Outline:
    """The heading outline of the page open in `page` (a Playwright Page), its frames' with it."""
    try:
        top = _outline(page, page_name)
    except Exception as exc:
        raise CheckError(f"cannot read the headings of page {page_name!r}: {str(exc).splitlines()[0]}") from exc
    frames: list[Outline] = []
    unread: list[str] = []
    entered = page_frames(page)
    for frame in entered.frames:
        try:
            element = frame.frame_element()
            about = element.evaluate(_FRAME_JS)
        except Exception:  # a frame gone meanwhile, or one inside a frame: its parent's
            continue
        name = str(about["name"])
        try:
            if not PageFrames.loaded(frame):
                raise LookupError
            frames.append(_outline(frame, name))
        except Exception:  # not loaded (out of scope), or unreadable
            if about["shows"]:
                unread.append(name)
    if entered.beyond:
        unread.append(entered.beyond)
    return Outline(top.page_name, top.headings, top.sections, tuple(frames), tuple(unread))


def heading_problems(outline: Outline) -> list[str]:
    """What breaks the rule on one page (see the module doc), in document order, then in the
    documents its frames show (named by their frame)."""
    problems = _problems(outline)
    for frame in outline.frames:
        problems += [f"in {frame.page_name}: {p}" for p in _problems(frame)]
    return problems


def _problems(outline: Outline) -> list[str]:
    problems = []
    previous: Heading | None = None
    for h in outline.headings:
        if previous is not None and h.level > previous.level + 1:
            missing = ", ".join(str(n) for n in range(previous.level + 1, h.level))
            problems.append(f"{previous.describe()} then {h.describe()} skips level {missing}")
        previous = h
    if outline.sections and not outline.headings:
        problems.append(f"{outline.sections} section(s) but no heading")
    return problems
