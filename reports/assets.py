"""Stylesheets and script of the HTML report, kept as Python strings.

They are inlined into the page and allowed by hash in its Content-Security-Policy;
keeping them here (not as loose files) means an installed package always has them.
"""

from __future__ import annotations

__all__ = ["REPORT_CSS", "REPORT_JS", "SCREEN_CSS"]

_VERDICT_COLOURS = {
    # verdict: (background, text) — contrast ≥ 4.5:1 for text on background
    "passed": ("#e3f4e6", "#14532d"),
    "failed": ("#fde2e1", "#8a1c15"),
    "error": ("#fbe7c6", "#7a3e00"),
    "skipped": ("#ececec", "#3d3d3d"),
    "not_applicable": ("#eef1f5", "#3b4a5c"),
    "manual": ("#e7e3f7", "#47307f"),
    "attested": ("#dff0f5", "#0d4a5c"),
    "waived": ("#fff4c2", "#5c4700"),
    "deselected": ("#f4f4f4", "#4a4a4a"),  # not a verdict: not run in this session
}

_verdict_rules = "\n".join(
    f".v-{v}.badge,.tile.v-{v},.chip.v-{v},td.v-{v}{{background:{bg};color:{fg}}}\n"
    f"details.req.v-{v}>summary,section.req.v-{v}>h3{{border-left:.4rem solid {fg}}}\n"
    for v, (bg, fg) in _VERDICT_COLOURS.items()
)

# Verdict filters in pure CSS (work even if the script is blocked). Screen only: a
# `:has()` rule is matched against the whole document for every element, which made
# WeasyPrint quadratic in the number of requirements.
SCREEN_CSS = "\n".join(f"body:has(#f-{v}:not(:checked)) .req.v-{v}{{display:none}}" for v in _VERDICT_COLOURS)

REPORT_CSS = (
    """
:root{font-family:system-ui,"Segoe UI",Roboto,"DejaVu Sans",Arial,sans-serif;color:#1b1b1b;
 line-height:1.45;font-size:15px}
body{margin:0 auto;max-width:78rem;padding:1rem 1.5rem 4rem}
h1{font-size:1.7rem;margin:.2rem 0}
h2{font-size:1.25rem;margin:1.4rem 0 .5rem;border-bottom:1px solid #d0d0d0;padding-bottom:.2rem}
h3{font-size:1.05rem;margin:1rem 0 .4rem}
h4{font-size:.95rem;margin:.8rem 0 .3rem}
h5{font-size:.85rem;margin:.6rem 0 .2rem}
code,pre{font-family:"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:.85em}
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f6f6f6;border:1px solid #e0e0e0;
 padding:.5rem;margin:.3rem 0;max-height:32rem;overflow:auto}
a{color:#0b4f9c}
.status{font-size:1.1rem;display:inline-block;padding:.3rem .8rem;border-radius:.3rem;
 margin:.3rem 0}
.s-compliant{background:#e3f4e6;color:#14532d}
.s-non_compliant{background:#fde2e1;color:#8a1c15}
.s-incomplete{background:#fbe7c6;color:#7a3e00}
.ident{margin:.2rem 0 .4rem;overflow-wrap:anywhere}
.meta{display:grid;grid-template-columns:repeat(auto-fit,minmax(18rem,1fr));gap:0 1.5rem}
.meta h2{font-size:1rem}
dl.kv{display:grid;grid-template-columns:max-content 1fr;gap:.15rem .8rem;margin:.3rem 0}
dl.kv dt{font-weight:600;color:#444}
dl.kv dd{margin:0;overflow-wrap:anywhere}
.note{color:#555;font-size:.85rem}
.tiles{list-style:none;display:flex;flex-wrap:wrap;gap:.5rem;padding:0;margin:.5rem 0}
.tile{padding:.4rem .8rem;border-radius:.3rem;min-width:6.5rem;display:flex;flex-direction:column}
.tile .n{font-size:1.4rem;font-weight:700}
.tile.total{background:#1b1b1b;color:#fff}
table.grid{border-collapse:collapse;margin:.4rem 0 1rem;font-size:.9rem}
table.grid th,table.grid td{border:1px solid #d0d0d0;padding:.2rem .5rem;text-align:right}
table.grid th[scope=row]{text-align:left;font-weight:600}
table.grid thead th{background:#f0f0f0;text-align:center}
td.z{color:#999}
table.cov td.vs{text-align:left}
table.cov td.vs .badge{margin:.05rem .1rem}
table.cov tfoot th,table.cov tfoot td{font-weight:700;background:#f7f7f7}
table.list th,table.list td{text-align:left;vertical-align:top}
.badge{display:inline-block;padding:.05rem .45rem;border-radius:.25rem;font-size:.8rem;
 font-weight:600;white-space:nowrap}
.filters{position:sticky;top:0;background:#fff;border-bottom:1px solid #d0d0d0;padding:.4rem 0;
 z-index:2}
.filters fieldset{border:0;padding:0;margin:0;display:flex;flex-wrap:wrap;gap:.4rem}
.filters legend{font-weight:600;padding:0;margin-bottom:.3rem}
.chip{padding:.15rem .5rem;border-radius:1rem;font-size:.85rem;cursor:pointer}
.tools{margin-top:.4rem;display:flex;gap:.5rem;align-items:center;flex-wrap:wrap}
.tools input{padding:.2rem .4rem;min-width:14rem}
details.req{border:1px solid #d8d8d8;border-radius:.3rem;margin:.35rem 0;background:#fff;
 content-visibility:auto;contain-intrinsic-size:auto 2.4rem}
details.req>summary{cursor:pointer;padding:.35rem .6rem;list-style-position:inside}
details.req[open]>summary{background:#f7f7f7;border-bottom:1px solid #e2e2e2}
.req.nomatch{display:none}
.rid{font-weight:700;font-family:"DejaVu Sans Mono",Menlo,Consolas,monospace}
.req .body{padding:.3rem .9rem .6rem}
.text{margin:.3rem 0 .5rem;max-width:60rem}
.box{border-left:.3rem solid;padding:.2rem .8rem;margin:.5rem 0}
.waiver{border-color:#b38f00;background:#fffbe8}
.attestation{border-color:#0d6e85;background:#f0f9fb}
ol.checks{padding-left:1.2rem}
li.check{margin:.4rem 0}
li.check>p{margin:.1rem 0}
.dur,.fid,.label{color:#555;font-size:.8rem;font-weight:400}
.params{font-size:.85rem;color:#444}
pre.msg{background:#fffdf5;border-color:#eadfb8}
.caveats{border:2px solid #b35c00;background:#fff6ec;padding:.3rem .9rem;margin:.6rem 0}
.caveats h3{margin:.2rem 0;color:#7a3e00}
.caveat{border-left:.3rem solid #b35c00;background:#fff6ec;padding:.2rem .8rem;margin:.4rem 0}
.caveat-mark{color:#7a3e00;font-size:.8rem;font-weight:700}
ul.evidence{list-style:none;padding-left:.4rem;margin:.3rem 0}
li.ev{margin:.2rem 0;font-size:.9rem}
li.ev summary{cursor:pointer}
li.ev.bad{color:#8a1c15}
li.ev img{display:block;max-width:100%;max-height:36rem;border:1px solid #ccc;margin:.3rem 0}
pre.wire{font-size:.8rem}
.err{color:#8a1c15}
.path{color:#666;font-size:.8rem}
.file{font-size:.8rem}
@media (max-width:40rem){body{padding:.5rem}dl.kv{grid-template-columns:1fr}
 table.grid{display:block;overflow-x:auto;max-width:100%}}
"""
    + _verdict_rules
    + "\n"
)

REPORT_JS = """
(function () {
  "use strict";
  var reqs = Array.prototype.slice.call(document.querySelectorAll("details.req"));
  var q = document.getElementById("q");
  var shown = document.getElementById("shown");
  var boxes = Array.prototype.slice.call(
    document.querySelectorAll(".filters input[type=checkbox]"));
  var titles = reqs.map(function (r) {
    var s = r.querySelector("summary");
    return (r.getAttribute("data-id") + " " + (s ? s.textContent : "")).toLowerCase();
  });
  function visible(r, i, term) {
    var on = boxes.some(function (b) {
      return b.checked && r.classList.contains("v-" + b.id.slice(2));
    });
    return on && (!term || titles[i].indexOf(term) !== -1);
  }
  function update() {
    var term = q.value.trim().toLowerCase();
    var n = 0;
    reqs.forEach(function (r, i) {
      var match = !term || titles[i].indexOf(term) !== -1;
      r.classList.toggle("nomatch", !match);
      if (visible(r, i, term)) { n++; }
    });
    shown.textContent = n + " / " + reqs.length + " " + shown.getAttribute("data-label");
  }
  var timer = null;
  q.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(update, 120);
  });
  boxes.forEach(function (b) { b.addEventListener("change", update); });
  function setOpen(open) {
    var term = q.value.trim().toLowerCase();
    reqs.forEach(function (r, i) { if (visible(r, i, term)) { r.open = open; } });
  }
  document.getElementById("expand").addEventListener("click", function () { setOpen(true); });
  document.getElementById("collapse").addEventListener("click", function () { setOpen(false); });
  // Big reports keep each requirement's details in a <template>: build it on first open.
  function fill(d) {
    var t = d.querySelector(":scope > template");
    if (t) { d.replaceChild(t.content, t); }
  }
  document.addEventListener("toggle", function (ev) {
    var d = ev.target;
    if (d.tagName === "DETAILS" && d.open && d.classList.contains("req")) { fill(d); }
  }, true);
  function openHash() {
    var id = decodeURIComponent(location.hash.slice(1));
    var el = id && document.getElementById(id);
    if (el && el.tagName === "DETAILS") { el.open = true; }
  }
  window.addEventListener("hashchange", openHash);
  openHash();
  update();
})();
"""
