"""HTTP conformance of every base the system declares (RFC 9110), web-only systems included.

- `rules`: pure readers of header lines (single-valued fields, Date, Content-Type,
  software banners), each problem naming its RFC 9110 clause.
- `probes`: which bases and paths are asked, with which credentials (`Prober`).
- `<group>/<name>.py`: the check `http.<group>.<name>` (`headers/well_formed.py`,
  `headers/banner.py`, `status/not_found.py`, `methods/head.py`, `methods/options.py`).

Target settings read by this domain (`settings.http`, all optional):

    bases: [web, fhir]              # bases to probe (default: every base in base_urls ...)
    external_bases: [psc]           # ... but these, which belong to other systems (default [psc])
    paths: {fhir: [/metadata]}      # more paths per base; {key} placeholders come from data

A base is asked with the `auth` entry of the same name when it has one (header types are
sent as headers, a `form` account logs in through the page map's login page).
"""
