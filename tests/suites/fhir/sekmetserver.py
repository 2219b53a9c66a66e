"""Run `sekmet serve` (PyPI sekmet-fhir, a FHIR server nobody on the team wrote) for tests.

The server runs as a subprocess on a free 127.0.0.1 port, in its own folder, with a
static bearer token; it is seeded with synthetic FR Core resources and described by a
homolog target YAML.
"""

from __future__ import annotations

import copy
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import httpx
import yaml

TOKEN_ENV = "HOMOLOG_TEST_SEKMET_TOKEN"
FR = "https://hl7.fr/ig/fhir/core/StructureDefinition/"


def sekmet_executable() -> str | None:
    """The `sekmet` command installed beside this Python, or on PATH."""
    local = Path(sys.executable).with_name("sekmet")
    return str(local) if local.exists() else shutil.which("sekmet")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _patients(example: dict[str, Any]) -> list[dict[str, Any]]:
    """Synthetic FR Core patients made from the FR Core example's shape."""
    people = [
        ("MARTIN", "Jeanne", "female", "1979-03-28"),
        ("BERNARD", "Paul", "male", "1962-11-05"),
        ("PETIT", "Lucie", "female", "2001-07-14"),
        ("DURAND", "Marc", "male", "1955-02-01"),
        ("LEROY", "Anne", "female", "1990-09-30"),
    ]
    out = []
    for i, (family, given, gender, birth) in enumerate(people):
        p = copy.deepcopy(example)
        p.pop("id", None)
        p.pop("text", None)
        p["identifier"] = [{"use": "usual", "system": "urn:oid:1.2.250.1.999.1.1", "value": f"sekmet-{i}"}]
        p["extension"] = [e for e in p["extension"] if "identity-reliability" not in e["url"]] + [
            {
                "url": FR + "fr-core-identity-reliability",
                "extension": [
                    {
                        "url": "identityStatus",
                        "valueCoding": {
                            "system": "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-0445",
                            "code": "PROV",
                        },
                    }
                ],
            }
        ]
        p["name"] = [
            {
                "extension": [{"url": FR + "fr-core-patient-birth-list-given-name", "valueString": given}],
                "use": "official",
                "family": family,
                "given": [given],
            }
        ]
        p["gender"], p["birthDate"] = gender, birth
        out.append(p)
    return out


def _listens(pid: int, port: int) -> bool:
    """Whether process `pid` holds the socket listening on 127.0.0.1:`port` (Linux /proc)."""
    inodes = set()
    with open("/proc/net/tcp", encoding="ascii") as table:
        for line in table.readlines()[1:]:
            fields = line.split()
            if fields[1] == f"0100007F:{port:04X}" and fields[3] == "0A":  # 127.0.0.1, LISTEN
                inodes.add(f"socket:[{fields[9]}]")
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return False
    for fd in fds:
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}") in inodes:
                return True
        except OSError:
            continue
    return False


def _serve(exe: str, workdir: Path, token: str, log: IO[bytes]) -> tuple[subprocess.Popen[bytes], str]:
    """Start sekmet on a free port; its process and FHIR base once it is the one answering there.

    A port found free may be taken by another process before sekmet binds it (the suite runs
    servers of its own in parallel): sekmet then exits, and until it does the other server
    answers on that port. So the server is ready only when sekmet's own process listens on
    the port; when sekmet exits instead, another port is tried.
    """
    for _ in range(5):
        port = _free_port()
        base = f"http://127.0.0.1:{port}/fhir"
        (workdir / "settings.yaml").write_text(
            yaml.safe_dump(
                {
                    "base_url": base,
                    "host": "127.0.0.1",
                    "port": port,
                    "data_dir": str(workdir / "data"),
                    "server_auth": {"types": ["bearer"], "tokens": [token]},
                    "simulator": {"enabled": False},
                }
            ),
            encoding="utf-8",
        )
        env = {**os.environ, "SEKMET_CONFIG": str(workdir / "settings.yaml")}
        proc = subprocess.Popen(
            [exe, "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=workdir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        with httpx.Client(base_url=base, timeout=10, trust_env=False, headers={"Accept": "application/fhir+json"}) as c:
            while proc.poll() is None and time.monotonic() < deadline:
                try:
                    if _listens(proc.pid, port) and c.get("/metadata").status_code == 200:
                        return proc, base
                except httpx.TransportError:
                    pass
                time.sleep(0.3)
        if proc.poll() is None:  # neither ready nor gone: give up
            proc.kill()
            proc.wait(timeout=10)
            break
    raise RuntimeError(f"sekmet did not start: see {workdir / 'sekmet.log'}")


@contextmanager
def sekmet_target(workdir: Path, examples: dict[str, dict[str, Any]]) -> Iterator[Path]:
    """Start sekmet, seed it, and yield a target YAML for it; stop it at exit."""
    exe = sekmet_executable()
    if exe is None:
        raise RuntimeError("sekmet is not installed")
    token = "sekmet-test-token"
    log = (workdir / "sekmet.log").open("wb")
    try:
        proc, base = _serve(exe, workdir, token, log)
    except BaseException:
        log.close()
        raise
    try:
        client = httpx.Client(
            base_url=base,
            timeout=10,
            trust_env=False,
            headers={"Authorization": f"Bearer {token}", "Accept": "application/fhir+json"},
        )
        ids: dict[str, Any] = {}
        for key, name in (
            ("practitioner", "Practitioner-FRCorePractitionerExample.json"),
            ("organization", "Organization-FRCoreOrganizationExample.json"),
        ):
            res = copy.deepcopy(examples[name])
            res.pop("id", None)
            resp = client.post(f"/{res['resourceType']}", json=res, headers={"Content-Type": "application/fhir+json"})
            resp.raise_for_status()
            ids[key] = resp.json()["id"]
        patient_ids = []
        for p in _patients(examples["Patient-FRCorePatientExample.json"]):
            resp = client.post("/Patient", json=p, headers={"Content-Type": "application/fhir+json"})
            resp.raise_for_status()
            patient_ids.append(resp.json()["id"])
        client.close()
        target = {
            "format": "homolog.target/1",
            "system": {"name": "sekmet-fhir", "version": "0.1.1", "vendor": "PyPI sekmet-fhir"},
            "base_urls": {"fhir": base},
            "auth": {"fhir": {"type": "bearer", "token_env": TOKEN_ENV}},
            "data_policy": "create",
            "data": {"patient_qualified": patient_ids[0], "patient_unqualified": patient_ids[1], **ids},
            "settings": {"fhir": {"profiles": {"Patient": FR + "fr-core-patient-ins"}}},
        }
        path = workdir / "sekmet-target.yaml"
        path.write_text(yaml.safe_dump(target), encoding="utf-8")
        os.environ[TOKEN_ENV] = token
        yield path
    finally:
        os.environ.pop(TOKEN_ENV, None)
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()
