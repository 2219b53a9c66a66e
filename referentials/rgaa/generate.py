"""Generate the `rgaa-4.1` referential from the published RGAA 4.1.2 criteria.

    python referentials/rgaa/generate.py [--criteres PATH] [--axe PATH] [--out PATH]

Inputs:
- `criteres.json` of RGAA 4.1.2 (DINUM, Licence Ouverte 2.0), by default
  `../shared/data/rgaa/criteres.json` beside the checkout;
- the pinned axe-core (`axe.min.js`, found like the UI suite finds it), read with node to
  learn which RGAA tests its stable rules cover (`RGAA-<topic>.<crit>.<test>` tags).

A criterion with at least one stable axe rule gets the automated check
`ui.a11y.rgaa_criterion`; 7.3, 10.7 and 12.9 also get the keyboard checks and 9.1 the
heading rule of homolog; every other criterion is an attestation whose scenario is the
text of its RGAA tests. The output is committed: re-run this script when the RGAA data
or the axe-core pin changes.

Published files are never rewritten: when what this script writes changes, raise
EDITION (the version becomes `4.1.2+<edition>`, a new file beside the old ones) and point
the referentials that include RGAA at the new version where they need it. Edition 1 is
`rgaa-4.1-4.1.2.yaml` (version "4.1.2"); edition 2 automates 9.1.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import unicodedata
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
DEFAULT_CRITERES = REPO.parent / "shared" / "data" / "rgaa" / "criteres.json"
RGAA_VERSION = "4.1.2"
EDITION = 2
EDITION_DATE = "2026-11-29"
VERSION = f"{RGAA_VERSION}+{EDITION}"
DEFAULT_OUT = HERE / f"rgaa-4.1-{VERSION}.yaml"
METHOD_URL = "https://accessibilite.numerique.gouv.fr/methode/criteres-et-tests/"

# Keyboard behaviours the Tab walk checks, by RGAA criterion.
KEYBOARD_CHECKS = {
    "7.3": "ui.keyboard.tab_reachable",
    "10.7": "ui.keyboard.focus_visible",
    "12.9": "ui.keyboard.no_trap",
}
# homolog's own rules where axe-core has no stable rule, with what they decide.
OWN_CHECKS = {
    "9.1": (
        "ui.a11y.headings",
        "niveaux de titres sans saut, titres présents dans les pages découpées en sections ; "
        "la pertinence des titres (test 9.1.2) relève de l'auditeur",
    ),
}

_NODE_JS = """
const axe = require(process.argv[1]);
const out = {version: axe.version, rules: {}};
for (const r of axe.getRules(['RGAAv4'])) {
  if (r.tags.includes('experimental')) continue;
  const tests = r.tags.filter(t => /^RGAA-\\d+\\.\\d+\\.\\d+$/.test(t));
  out.rules[r.ruleId] = tests.map(t => t.slice(5));
}
console.log(JSON.stringify(out));
"""


def plain(text: str) -> str:
    """Drop the glossary links of the RGAA markdown: `[mot](#ancre)` -> `mot`."""
    text = re.sub(r"\[([^\]]+)\]\(#[^)]*\)", r"\1", text)
    return re.sub(r"\s+", " ", text).strip()


def slug(text: str) -> str:
    """ASCII id of a topic name: 'Éléments obligatoires' -> 'elements-obligatoires'."""
    ascii_ = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_.lower()).strip("-")


def axe_coverage(axe_js: Path) -> tuple[str, dict[str, list[str]]]:
    """axe version and, per RGAA test ("1.1.1"), the stable rules tagged for it."""
    proc = subprocess.run(
        ["node", "-e", _NODE_JS, str(axe_js)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    data = json.loads(proc.stdout)
    by_test: dict[str, list[str]] = {}
    for rule, tests in sorted(data["rules"].items()):
        for test in tests:
            by_test.setdefault(test, []).append(rule)
    return str(data["version"]), by_test


def test_lines(tests: dict[str, list[str]], crit: str) -> list[str]:
    """'Test 1.1.1 : question — condition ; condition' per RGAA test."""
    lines = []
    for num, parts in sorted(tests.items(), key=lambda kv: int(kv[0])):
        head, *conds = [plain(p) for p in parts]
        text = head + (" " + " ".join(f"— {c}" for c in conds) if conds else "")
        lines.append(f"Test {crit}.{num} : {text}")
    return lines


def build(criteres: dict[str, Any], axe_version: str, by_test: dict[str, list[str]]) -> dict[str, Any]:
    """The referential document."""
    families: dict[str, Any] = {}
    requirements: list[dict[str, Any]] = []
    for topic in criteres["topics"]:
        family = slug(topic["topic"])
        families[family] = {"fr": f"{topic['number']}. {topic['topic']}"}
        for item in topic["criteria"]:
            c = item["criterium"]
            crit = f"{topic['number']}.{c['number']}"
            tests = test_lines(c["tests"], crit)
            wcag = [w for ref in c.get("references", []) for w in ref.get("wcag", [])]
            covered = sorted(
                {t for t in by_test if t.rsplit(".", 1)[0] == crit},
                key=lambda t: int(t.rsplit(".", 1)[1]),
            )
            req: dict[str, Any] = {
                "id": f"RGAA-{crit}",
                "title": plain(c["title"]),
                "text": {"fr": plain(c["title"]) + "\n" + "\n".join(tests)},
                "level": "exigence",
                "family": family,
                "source": {
                    "document": "RGAA 4.1.2 — critères et tests (DINUM, Licence Ouverte 2.0)",
                    "section": f"Critère {crit} (thématique {topic['topic']})",
                    "version": RGAA_VERSION,
                    "url": f"{METHOD_URL}#{crit}",
                    **({"reference": "WCAG 2.1 : " + ", ".join(wcag)} if wcag else {}),
                },
                "tags": ["rgaa"],
            }
            checks: list[dict[str, Any]] = []
            if covered:
                rules = sorted({r for t in covered for r in by_test[t]})
                req["text"]["fr"] += (
                    f"\nContrôle automatique (axe-core {axe_version}, règles "
                    f"{', '.join(rules)}) des tests {', '.join(covered)} ; les autres aspects "
                    "de ces tests et les autres tests du critère relèvent de l'auditeur."
                )
                checks.append({"check": "ui.a11y.rgaa_criterion", "with": {"criterion": crit}})
            if crit in OWN_CHECKS:
                own, scope = OWN_CHECKS[crit]
                checks.append({"check": own, "with": {}})
                req["text"]["fr"] += f"\nContrôle automatique ({own}) sur les pages auditées : {scope}."
            if crit in KEYBOARD_CHECKS:
                checks.append({"check": KEYBOARD_CHECKS[crit], "with": {}})
                req["text"]["fr"] += (
                    f"\nContrôle automatique au clavier ({KEYBOARD_CHECKS[crit]}) sur les pages auditées."
                )
            if checks:
                req["checks"] = checks
                req["tags"].append("automatise")
            else:
                req["attestation"] = {
                    "scenario": {"fr": "Sur l'échantillon de pages de l'audit, vérifier :\n" + "\n".join(tests)},
                    "evidence": {
                        "fr": f"Grille d'audit RGAA 4.1.2 : résultat du critère {crit} "
                        "(conforme, non conforme, non applicable) par page, avec "
                        "captures d'écran des non-conformités."
                    },
                }
            requirements.append(req)
    return {
        "format": "homolog.referential/1",
        "id": "rgaa-4.1",
        "version": VERSION,
        "title": "RGAA 4.1.2 — Référentiel général d'amélioration de l'accessibilité",
        "publisher": "homolog (d'après la DINUM)",
        "date": EDITION_DATE,
        "description": (
            "Les 106 critères du RGAA 4.1.2. Les critères couverts par des règles stables "
            f"d'axe-core {axe_version} sont contrôlés automatiquement sur les pages auditées "
            "(paramètre pages, ou settings.ui.a11y_pages de la cible) ; les autres sont à "
            f"attester par un audit manuel. Édition {EDITION} de homolog : le critère 9.1 est "
            "contrôlé par la règle de titres de homolog (ui.a11y.headings)."
        ),
        "url": METHOD_URL,
        "licence": "Licence Ouverte 2.0 (critères RGAA, DINUM)",
        "families": families,
        "requirements": requirements,
    }


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--criteres", type=Path, default=DEFAULT_CRITERES)
    parser.add_argument("--axe", type=Path, default=None, help="axe.min.js (default: lookup)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    if args.axe is None:
        from homolog.suites.ui.axe import find_axe_js

        args.axe, _ = find_axe_js()
    criteres = json.loads(args.criteres.read_text(encoding="utf-8"))
    axe_version, by_test = axe_coverage(args.axe)
    doc = build(criteres, axe_version, by_test)
    header = (
        "# GENERATED by referentials/rgaa/generate.py from RGAA 4.1.2 criteres.json\n"
        "# (DINUM, Licence Ouverte 2.0) and axe-core "
        f"{axe_version} rule tags. Do not edit by hand.\n"
    )
    body = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=100)
    args.out.write_text(header + body, encoding="utf-8")
    n_auto = sum(1 for r in doc["requirements"] if "checks" in r)
    print(f"{args.out}: {len(doc['requirements'])} criteria, {n_auto} automated", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
