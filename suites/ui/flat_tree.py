"""JavaScript the UI suite's page scripts share: the page as it is rendered, shadow roots included.

Applications built of web components (Lit, Stencil, Ionic, Angular's shadow encapsulation)
keep their headings and controls in shadow roots, which `document.querySelectorAll`,
`Element.closest` and `document.activeElement` do not enter: a page script that used them
saw an empty page, or one focused element (the component's host) for every Tab stop.

`FLAT_TREE_JS` declares, for a script to start with:

- `flatTree(visit, limit)`: calls `visit(el)` for the page's elements in the order they are
  rendered (the flat tree): an open shadow root's content in place of its host's children,
  the elements a `<slot>` is given in its place (else its fallback content); `visit`
  returning false stops, and so does reaching `limit` elements. A closed shadow root cannot
  be entered: its host's light children are visited instead.
- `flatParent(node)`, `flatClosest(el, selector)`, `flatContains(outer, el)`: ancestors
  across shadow boundaries (a slotted element's parent is its slot).
- `deepActive()`: the focused element itself, inside shadow roots (not its host).
- `boxShown(el)`: whether `el` is rendered with a box (not `display: none`, not
  `visibility: hidden`, a width and a height).
"""

from __future__ import annotations

__all__ = ["FLAT_TREE_JS", "MAX_FLAT_ELEMENTS", "with_flat_tree"]

#: Elements a flat-tree walk visits at most (a page built to be endless stops there).
MAX_FLAT_ELEMENTS = 200_000

FLAT_TREE_JS = """
const flatParent = (n) => n.assignedSlot || n.parentElement || (n.parentNode && n.parentNode.host) || null;
const flatClosest = (el, selector) => {
  for (let n = el; n; n = flatParent(n)) if (n.nodeType === 1 && n.matches(selector)) return n;
  return null;
};
const flatContains = (outer, el) => {
  for (let n = el; n; n = flatParent(n)) if (n === outer) return true;
  return false;
};
const boxShown = (el) => {
  const s = getComputedStyle(el);
  if (s.visibility === 'hidden' || s.display === 'none') return false;
  const r = el.getBoundingClientRect();
  return r.width > 0 && r.height > 0;
};
const deepActive = () => {
  let el = document.activeElement;
  while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
  return el;
};
const flatTree = (visit, limit) => {
  const stack = document.documentElement ? [document.documentElement] : [];
  let seen = 0;
  while (stack.length) {
    const el = stack.pop();
    if (++seen > limit || visit(el) === false) return;
    let kids;
    if (el.tagName === 'SLOT') {
      const given = el.assignedElements({flatten: true});
      kids = given.length ? given : Array.from(el.children);
    } else {
      kids = Array.from((el.shadowRoot || el).children);
    }
    for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i]);
  }
};
"""


def with_flat_tree(script: str) -> str:
    """`script` (a JS function whose body says `__FLAT_TREE__` where the helpers go) with them."""
    return script.replace("__FLAT_TREE__", FLAT_TREE_JS).replace("__MAX_FLAT__", str(MAX_FLAT_ELEMENTS))
