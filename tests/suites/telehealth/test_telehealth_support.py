"""What the telehealth checks read: dates and numbers shown, levels, audit agents."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from homolog.suites.telehealth.alerts.ack_traced import _agents_name, _names_entity, _recorded
from homolog.suites.telehealth.export import Shown, numbers_in, parse_when
from homolog.suites.telehealth.levels import LevelParams, acr_rank, asked_levels
from homolog.suites.telehealth.portability.export_complete import _matches, _same_instant


def test_numbers_shown_in_french_or_english() -> None:
    assert numbers_in("72,4 kg") == ("72.4",)
    assert numbers_in("128/82 mmHg") == ("128", "82")
    assert numbers_in("aucune") == ()


def test_dates_from_an_attribute_or_the_declared_format() -> None:
    assert parse_when("2026-11-20T07:30:00+01:00", None) == dt.datetime(
        2026, 11, 20, 7, 30, tzinfo=dt.timezone(dt.timedelta(hours=1))
    )
    assert parse_when("20/11/2026 07:30", "%d/%m/%Y %H:%M") == dt.datetime(2026, 11, 20, 7, 30)
    assert parse_when("20/11/2026 07:30", None) is None


def test_a_row_matches_the_observation_value_as_rounded_for_display() -> None:
    when = dt.datetime(2026, 11, 20, 7, 30)
    assert _matches(Shown(when, "72,4 kg", ("72.4",)), [Decimal("72.43")])
    assert not _matches(Shown(when, "72,4 kg", ("72.4",)), [Decimal("72.6")])
    assert _matches(Shown(when, "128/82", ("128", "82")), [Decimal("128"), Decimal("82")])
    assert not _matches(Shown(when, "128/82", ("128", "82")), [Decimal("128")])


def test_instants_compare_with_offsets_or_as_wall_clock() -> None:
    paris = dt.timezone(dt.timedelta(hours=1))
    recorded = dt.datetime(2026, 11, 20, 7, 30, tzinfo=paris)
    assert _same_instant(dt.datetime(2026, 11, 20, 6, 30, tzinfo=dt.UTC), recorded)
    assert _same_instant(dt.datetime(2026, 11, 20, 7, 30), recorded)
    assert not _same_instant(dt.datetime(2026, 11, 21, 7, 30), recorded)


def test_levels() -> None:
    assert acr_rank("eidas2") > acr_rank("eidas1") > acr_rank("anything")
    assert asked_levels([{"acr_values": "eidas1 eidas2"}, {"acr_values": None}]) == ["eidas1", "eidas2"]
    with pytest.raises(ValueError):
        LevelParams(acr="substantial")


def test_audit_agents_and_instants() -> None:
    event = {"agent": [{"who": {"identifier": {"value": "alice"}}}], "recorded": "2026-11-30T03:00:00+00:00"}
    assert _agents_name(event, {"alice"}) and not _agents_name(event, {"bob"})
    assert _recorded(event) == dt.datetime(2026, 11, 30, 3, tzinfo=dt.UTC)
    assert _recorded({"recorded": "2026-11-30T03:00:00"}) is None  # an instant without offset says no when
    assert not _agents_name({"agent": [None, {"who": "x"}]}, {"x"})


def test_an_audit_event_names_the_alert_by_a_relative_or_absolute_reference() -> None:
    def event(ref: str) -> dict[str, object]:
        return {"entity": [{"what": {"reference": ref}}]}

    assert _names_entity(event("Flag/a1"), "Flag/a1")
    assert _names_entity(event("https://dpi.example/fhir/Flag/a1"), "Flag/a1")
    assert not _names_entity(event("Flag/a10"), "Flag/a1")
    assert not _names_entity(event("https://dpi.example/fhir/OtherFlag/a1"), "Flag/a1")
    assert not _names_entity({"entity": ["Flag/a1", {"what": "Flag/a1"}]}, "Flag/a1")
