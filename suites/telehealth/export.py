"""The patient's export, fetched as the patient gets it, and the measurements the patient space shows."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

from homolog import CheckError, Evidence, Target, fail
from homolog.counterparts.psc import PscControl
from homolog.suites.telehealth.patient_login import patient_login

__all__ = ["MAX_EXPORT_BYTES", "PatientExport", "Shown", "numbers_in", "parse_when", "patient_export"]

MAX_EXPORT_BYTES = 20 * 1024 * 1024
# The page's own fetch: status, type and text, or the size when above the limit.
_FETCH_JS = """async ({url, limit}) => {
  try {
    const r = await fetch(url, {credentials: "same-origin", redirect: "follow"});
    const buf = await r.arrayBuffer();
    if (buf.byteLength > limit) return {status: r.status, too_large: true, size: buf.byteLength};
    return {status: r.status, type: r.headers.get("content-type"), text: new TextDecoder().decode(buf)};
  } catch (e) { return {error: String(e)}; }
}"""
_NUMBER = re.compile(r"-?\d+(?:[.,]\d+)?")


@dataclass(frozen=True)
class Shown:
    """One measurement row of the patient space: when, the text of its value, the numbers in it."""

    when: dt.datetime
    text: str
    numbers: tuple[str, ...]


@dataclass(frozen=True)
class PatientExport:
    bundle: dict[str, Any]
    url: str
    shown: list[Shown]


def numbers_in(text: str) -> tuple[str, ...]:
    """Decimal numbers as written (a French comma made a point), in order."""
    return tuple(n.replace(",", ".") for n in _NUMBER.findall(text))


def parse_when(raw: str, date_format: str | None) -> dt.datetime | None:
    """An ISO 8601 date-time (a ``datetime`` attribute), else text in the target's ``date_format``."""
    text = raw.strip()
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        pass
    if date_format:
        try:
            return dt.datetime.strptime(text, date_format)
        except ValueError:
            return None
    return None


def _rows(ui: Any, target: Target) -> list[Shown]:
    page = target.page("patient_space")
    when_sel, value_sel = page.locator("measurement_when"), page.locator("measurement_value")
    date_format = target.settings("telehealth").get("date_format")
    shown = []
    for i, row in enumerate(ui.locator("patient_space", "measurement").all()):
        when_loc, value_loc = row.locator(when_sel).first, row.locator(value_sel).first
        if not when_loc.count() or not value_loc.count():
            raise CheckError(
                f"measurement row {i + 1} of the patient space has no measurement_when or measurement_value element"
            )
        raw = when_loc.get_attribute("datetime") or when_loc.inner_text()
        when = parse_when(raw, date_format)
        if when is None:
            raise CheckError(
                f"measurement row {i + 1}: cannot read the date {raw!r} (give a datetime attribute, or "
                "settings.telehealth.date_format)"
            )
        text = str(value_loc.inner_text()).strip()
        shown.append(Shown(when, text, numbers_in(text)))
    return shown


def patient_export(ui: Any, idp: PscControl, target: Target, evidence: Evidence) -> PatientExport:
    """Log the patient in, read the measurements shown, follow the ``export`` link; the Bundle it gives.

    A missing link, an error status, a body that is not a JSON Bundle: the system fails.
    """
    login = patient_login(ui, idp, target, evidence)
    if login.patient is None:
        raise CheckError(f"the patient login did not open the patient space (ended at {login.final_url})")
    shown = _rows(ui, target)
    link = ui.locator("patient_space", "export")
    if not link.count():
        ui.screenshot("patient-space.png")
        fail("the patient space offers no export of the patient's data (no 'export' element)")
    href = link.first.get_attribute("href")
    if not href:
        fail("the patient space's export element has no href to download the data from")
    url = urljoin(ui.page.url, str(href))
    if not target.in_scope(url):
        raise CheckError(f"the export link points outside the target's hosts: {url}")
    # Fetched by the page itself: the browser's cookies, TLS trust and scope guard apply.
    got = ui.page.evaluate(_FETCH_JS, {"url": url, "limit": MAX_EXPORT_BYTES})
    if not isinstance(got, dict) or "status" not in got:
        raise CheckError(f"cannot download the export {url}: {got.get('error') if isinstance(got, dict) else got}")
    if got.get("too_large"):
        fail(f"the export is {got.get('size')} bytes, above the {MAX_EXPORT_BYTES} the harness reads")
    body = str(got.get("text") or "")
    evidence.attach_text("export.json", body, media_type=str(got.get("type") or "application/json"))
    if got["status"] != 200:
        fail(f"expected 200, got {got['status']} for GET {url}")
    try:
        bundle = json.loads(body)
    except ValueError as exc:
        fail(f"the export at {url} is not JSON ({exc}): not a FHIR Bundle")
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        kind = bundle.get("resourceType") if isinstance(bundle, dict) else type(bundle).__name__
        fail(f"the export at {url} is a {kind!r}, not a FHIR Bundle")
    return PatientExport(bundle, url, shown)
