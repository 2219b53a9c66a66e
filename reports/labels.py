"""Report labels in French (default) and English.

One dictionary per language with the same keys; :func:`labels` falls back to French
for an unknown language so a report is never rendered with missing words.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["LANGS", "labels", "override_lines", "verdict_label"]

_FR: dict[str, str] = {
    "title": "Rapport d'homologation",
    "colon": "\u00a0: ",  # French typography: a no-break space before the colon
    "run": "Exécution",
    "status": "Statut",
    "status.compliant": "Conforme",
    "status.non_compliant": "Non conforme",
    "status.incomplete": "Incomplet",
    "referential": "Référentiel",
    "name_title": "Titre",
    "name": "Nom",
    "version": "Version",
    "publisher": "Éditeur",
    "date": "Date",
    "target": "Système évalué",
    "vendor": "Éditeur du système",
    "options": "Options déclarées",
    "started": "Début",
    "finished": "Fin",
    "tool": "Outil",
    "summary": "Synthèse",
    "by_family": "Par famille",
    "by_origin": "Par référentiel d'origine",
    "family": "Famille",
    "origin": "Origine",
    "total": "Total",
    "requirements": "Exigences",
    "requirement": "Exigence",
    "checks": "Contrôles",
    "check": "Contrôle",
    "verdict": "Verdict",
    "message": "Message",
    "evidence": "Preuves",
    "no_evidence": "Aucune preuve enregistrée.",
    "level": "Niveau",
    "level.exigence": "Exigence",
    "level.preconisation": "Préconisation",
    "source": "Source",
    "reason": "Motif",
    "scenario": "Scénario",
    "statement": "Déclaration",
    "attestation": "Attestation",
    "waiver": "Dérogation",
    "justification": "Justification",
    "approver": "Approbateur",
    "expires": "Échéance",
    "author": "Auteur",
    "reviewer": "Relecteur",
    "evidence_expected": "Preuve attendue",
    "file": "Fichier",
    "hash_ok": "le fichier joint a bien cette empreinte",
    "hash_bad": "ATTENTION : le fichier joint a une autre empreinte",
    "params": "Paramètres",
    "override": "Fixé par la cible",
    "shared_from": "Même vérification, mêmes paramètres : résultat et preuves de l'exécution faite pour",
    "override_line": "{param} = {value} (valeur par défaut : {default} ; overrides.{source})",
    "duration": "Durée",
    "filter": "Filtrer par verdict",
    "search": "Rechercher une exigence",
    "expand_all": "Tout déplier",
    "collapse_all": "Tout replier",
    "open_file": "ouvrir le fichier",
    "request": "Requête",
    "response": "Réponse",
    "truncated": "contenu tronqué",
    "not_inlined": "non inclus dans le rapport (taille) ; voir le fichier",
    "missing_file": "fichier absent du dossier d'exécution",
    "unsafe_path": "chemin refusé (hors du dossier d'exécution)",
    "transport_error": "Erreur de transport",
    "mode": "Couverture",
    "mode.automated": "automatisée",
    "mode.manual": "manuelle",
    "mode.not_tested": "non testée",
    "none": "aucune",
    "generated": "Rapport généré à partir du dossier d'exécution ; il ne rejoue aucun contrôle.",
    "integrity_note": ("Intégrité : voir MANIFEST.sha256 et sa signature dans le dossier d'exécution."),
    "contents": "Sommaire",
    "details": "Détail des exigences",
    "shown": "affichées",
    "deselected_line": "{n} exigence(s) non lancée(s) dans cette session (désélectionnées), hors des décomptes",
    "caveats": "Réserves",
    "caveats_lead": (
        "Des vérifications ont été faites avec des limites : leur verdict tient sur ce qui a pu être"
        " vérifié, pas sur ce qui suit."
    ),
    "caveat": "Réserve",
    "caveat_requirements": "exigences concernées",
    "coverage": "Couverture du référentiel",
    "coverage_lead": (
        "Exigences telles que le référentiel les écrit, par famille : vérifiées par des contrôles automatisés"
        " (avec leurs verdicts dans cette exécution), par une attestation de l'éditeur revue par un auditeur,"
        " ou non testées."
    ),
    "cov.automated": "Automatisées",
    "cov.verdicts": "Verdicts des automatisées",
    "cov.manual": "Par attestation",
    "cov.not_tested": "Non testées",
    "cov.share": "Part automatisée",
    "to_confirm": "Identifiants à confirmer sur le texte publié",
    "to_confirm_lead": (
        "L'identifiant ou la numérotation de ces exigences n'a pas pu être confirmé sur le texte publié ;"
        " le motif est donné pour chacune."
    ),
    "req_id": "Identifiant",
    "req_title": "Intitulé",
}

_EN: dict[str, str] = {
    "title": "Certification report",
    "colon": ": ",
    "run": "Run",
    "status": "Status",
    "status.compliant": "Compliant",
    "status.non_compliant": "Non-compliant",
    "status.incomplete": "Incomplete",
    "referential": "Referential",
    "name_title": "Title",
    "name": "Name",
    "version": "Version",
    "publisher": "Publisher",
    "date": "Date",
    "target": "System under test",
    "vendor": "Vendor",
    "options": "Declared options",
    "started": "Started",
    "finished": "Finished",
    "tool": "Tool",
    "summary": "Summary",
    "by_family": "By family",
    "by_origin": "By source referential",
    "family": "Family",
    "origin": "Origin",
    "total": "Total",
    "requirements": "Requirements",
    "requirement": "Requirement",
    "checks": "Checks",
    "check": "Check",
    "verdict": "Verdict",
    "message": "Message",
    "evidence": "Evidence",
    "no_evidence": "No evidence recorded.",
    "level": "Level",
    "level.exigence": "Requirement",
    "level.preconisation": "Recommendation",
    "source": "Source",
    "reason": "Reason",
    "scenario": "Scenario",
    "statement": "Statement",
    "attestation": "Attestation",
    "waiver": "Waiver",
    "justification": "Justification",
    "approver": "Approver",
    "expires": "Expires",
    "author": "Author",
    "reviewer": "Reviewer",
    "evidence_expected": "Expected evidence",
    "file": "File",
    "hash_ok": "the attached file has this hash",
    "hash_bad": "WARNING: the attached file has another hash",
    "params": "Parameters",
    "override": "Set by the target",
    "shared_from": "Same check, same parameters: result and evidence of the execution made for",
    "override_line": "{param} = {value} (default: {default}; overrides.{source})",
    "duration": "Duration",
    "filter": "Filter by verdict",
    "search": "Find a requirement",
    "expand_all": "Expand all",
    "collapse_all": "Collapse all",
    "open_file": "open the file",
    "request": "Request",
    "response": "Response",
    "truncated": "content truncated",
    "not_inlined": "not included in the report (size); see the file",
    "missing_file": "file missing from the run directory",
    "unsafe_path": "path refused (outside the run directory)",
    "transport_error": "Transport error",
    "mode": "Coverage",
    "mode.automated": "automated",
    "mode.manual": "manual",
    "mode.not_tested": "not tested",
    "none": "none",
    "generated": "Report generated from the run directory; it re-runs nothing.",
    "integrity_note": "Integrity: see MANIFEST.sha256 and its signature in the run directory.",
    "contents": "Contents",
    "details": "Requirements in detail",
    "shown": "shown",
    "deselected_line": "{n} requirement(s) not run in this session (deselected), left out of every count",
    "caveats": "Caveats",
    "caveats_lead": (
        "Some verifications ran with limits: their verdict stands on what could be verified, not on what follows."
    ),
    "caveat": "Caveat",
    "caveat_requirements": "requirements concerned",
    "coverage": "Coverage of the referential",
    "coverage_lead": (
        "Requirements as the referential writes them, by family: verified by automated checks (with their"
        " verdicts in this run), by the vendor's attestation an auditor reviews, or not tested."
    ),
    "cov.automated": "Automated",
    "cov.verdicts": "Verdicts of the automated ones",
    "cov.manual": "By attestation",
    "cov.not_tested": "Not tested",
    "cov.share": "Share automated",
    "to_confirm": "Ids to confirm against the published text",
    "to_confirm_lead": (
        "The id or numbering of these requirements could not be confirmed against the published text;"
        " the reason is given for each."
    ),
    "req_id": "Id",
    "req_title": "Title",
}

_VERDICTS: dict[str, dict[str, str]] = {
    "fr": {
        "passed": "Conforme",
        "failed": "Non conforme",
        "error": "Erreur",
        "skipped": "Non exécuté",
        "not_applicable": "Non applicable",
        "manual": "Manuel (en attente)",
        "attested": "Attesté",
        "waived": "Dérogation",
        "deselected": "Non lancé (désélectionné)",
    },
    "en": {
        "passed": "Passed",
        "failed": "Failed",
        "error": "Error",
        "skipped": "Skipped",
        "not_applicable": "Not applicable",
        "manual": "Manual (pending)",
        "attested": "Attested",
        "waived": "Waived",
        "deselected": "Not run (deselected)",
    },
}

LANGS: tuple[str, ...] = ("fr", "en")


def labels(lang: str) -> Mapping[str, str]:
    """The label dictionary for ``lang`` ("fr" or "en"; anything else gives French)."""
    return _EN if lang == "en" else _FR


def override_lines(overrides: Iterable[Mapping[str, Any]], lang: str) -> list[str]:
    """One line per parameter the target set (`overrides:`), with the default it replaces."""
    line = labels(lang)["override_line"]
    return [
        line.format(
            param=o.get("param"),
            value=json.dumps(o.get("value"), ensure_ascii=False, sort_keys=True),
            default=json.dumps(o.get("default"), ensure_ascii=False, sort_keys=True),
            source=o.get("set_by"),
        )
        for o in overrides
    ]


def verdict_label(verdict: str, lang: str) -> str:
    """The human label of a verdict in ``lang``."""
    table = _VERDICTS["en" if lang == "en" else "fr"]
    return table.get(verdict, verdict)
