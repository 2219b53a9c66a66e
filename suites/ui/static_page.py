"""Proving that a loaded document cannot change any more: no settle wait is needed for it.

Settling a page (`settle.py`) waits for quiet windows because a scripted page keeps
changing after `load`, for as long as its scripts like. A document in which no script of
the page ever ran cannot: after `load` its DOM is final, and so is every verdict read from
it. Waiting 500 ms of network idle plus a DOM quiet window on such a page only costs time
(about half a second per page, most of a demo run's UI time).

A document is taken as final at load only when each of these holds, and otherwise settles
the usual way (the reason is kept with the settle record):

- it came with an HTTP response that has no `Refresh` header (a page reached by a
  history change or a hash route has none: it belongs to a scripted application);
- nothing that runs page script was ever inserted in it: no script element of an
  executable type (a JSON-LD or template data block is not one), no event-handler
  attribute, no frame or plugin element, even one that was removed again.
  The settle watcher (`settle.WATCH_JS`), installed in every document before any of its
  scripts can run, sees each node the parser inserts, through the browser's own getters
  taken before the page could replace them, and keeps what it saw where the page cannot
  change it. A document it was not installed in from the start is not taken as final;
- its source declares no shadow root (`shadowrootmode`): the watcher does not see inside
  shadow trees, and a closed one cannot be inspected;
- read from the DOM (trustworthy: no page script ran to alter it): the document is
  `complete`; its fonts are loaded; no animation or transition is running; every image
  is complete; no element that loads or plays later (media, lazy images, SMIL animations,
  marquees); no `meta` refresh; an `autofocus` element has taken the focus; at most `MAX_ELEMENTS` elements and a
  source of at most `MAX_SOURCE_BYTES` (what is read back to look for shadow roots).

A page with any script at all, even one that does nothing later, settles the usual way:
the proof is about what cannot happen, not a guess about what will not.
"""

from __future__ import annotations

from typing import Any

__all__ = ["MAX_ELEMENTS", "MAX_SOURCE_BYTES", "not_final_reason"]

MAX_ELEMENTS = 20_000
MAX_SOURCE_BYTES = 4 * 1024 * 1024

# Returns the first reason the document could still change, or "". What follows the
# watcher's answer runs only when no page script ran: the DOM's methods are the browser's.
_DOM_JS = """
([maxElements, maxBytes]) => {
  const watch = window.__homologSettle;
  if (!watch) return 'the settle watcher is not installed in this page';
  if (!watch.early) return 'the settle watcher started after the page began to load';
  if (watch.scripted) return 'page script can run in it: ' + watch.scripted + ' was inserted';
  const nav = performance.getEntriesByType('navigation')[0];
  if (!nav) return 'the browser kept no timing of its navigation';
  if (nav.decodedBodySize > maxBytes) return 'its source is larger than ' + maxBytes + ' bytes';
  if (document.readyState !== 'complete') return 'the document is still ' + document.readyState;
  if (document.fonts && document.fonts.status !== 'loaded') return 'web fonts are still loading';
  if (document.getAnimations && document.getAnimations().length) return 'an animation or transition is running';
  const all = document.getElementsByTagName('*');
  if (all.length > maxElements) return 'more than ' + maxElements + ' elements';
  // Frames, plugins and event-handler attributes are the watcher's: it saw them inserted.
  const later = new Set(['video', 'audio', 'marquee', 'animate', 'animatetransform', 'animatemotion',
                         'animatecolor', 'set']);
  for (const el of all) {
    const name = el.localName.toLowerCase();
    if (later.has(name)) return 'it contains a <' + el.localName + '> element';
    const equiv = name === 'meta' ? (el.getAttribute('http-equiv') || '').toLowerCase() : '';
    if (equiv === 'refresh') return 'it has a meta refresh';
    for (const attr of el.attributes) {
      const a = attr.name.toLowerCase();
      if (a === 'loading' && attr.value.toLowerCase() === 'lazy') return 'an element loads lazily';
      if (a === 'autofocus' && document.activeElement !== el && !el.disabled) return 'autofocus has not applied yet';
    }
    if (name === 'img' && !el.complete) return 'an image is still loading';
  }
  return '';
}
"""


def not_final_reason(page: Any, response: Any) -> str | None:
    """Why the document open in `page` (reached with `response`) could still change after
    `load`; None when it provably cannot (module doc)."""
    if response is None:
        return "no document response (a route change inside the application)"
    try:
        if response.headers.get("refresh") is not None:
            return "its response has a Refresh header"
        reason = page.evaluate(_DOM_JS, [MAX_ELEMENTS, MAX_SOURCE_BYTES])
        if not reason and b"shadowrootmode" in response.body().lower():
            reason = "its source declares a shadow root"
    except Exception as exc:  # a page gone, a browser that cannot evaluate: wait
        return "cannot inspect it: " + (str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
    return str(reason) or None
