"""Builders of referential files for the engine tests."""

from __future__ import annotations

from pathlib import Path

import yaml


def requirement(rid: str, check: str | None = None, **kw: object) -> dict[str, object]:
    req: dict[str, object] = {
        "id": rid,
        "title": f"title of {rid}",
        "text": {"fr": f"texte de {rid}", "en": f"text of {rid}"},
        "level": "exigence",
        "family": "tests",
        "source": {"document": "engine tests", "section": "1"},
    }
    if check:
        req["checks"] = [{"check": check, **({"with": kw.pop("with_")} if "with_" in kw else {})}]
    req.update(kw)
    return req


def write_referential(path: Path, requirements: list[dict[str, object]], **meta: object) -> Path:
    doc = {
        "format": "homolog.referential/1",
        "id": meta.pop("id", "engine-test"),
        "version": meta.pop("version", "1.0.0"),
        "title": "Engine test referential",
        "publisher": "homolog",
        "date": "2026-11-22",
        **meta,
        "requirements": requirements,
    }
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path
