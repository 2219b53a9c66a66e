"""Engine overhead: `homolog run` against the same GETs as a plain pytest suite, both as whole processes.

    python bench/overhead.py [--checks 2000] [--rounds 5] [--tls] [--tmp DIR] [--against PYTHON]

Each round runs both sides once, alternating which goes first, as separate processes:

- plain: a pytest file with one parametrized test per check, each doing one loopback GET
  through one shared httpx client (session fixture) and asserting 200, pytest loading no
  plugin other packages declare (as a run loads only its own: `homolog.api.RUN_PLUGINS`);
- homolog: `homolog run` of a referential with one requirement per check, each served by
  a one-GET check, writing everything a real run writes: evidence (one sanitised HTTP
  exchange per check), results.jsonl (fsync'ed), run.json and MANIFEST.sha256 (reports off).

Prints each round's figures, then, per side, the median wall time and the median CPU time
(user + system of the process and its children: steadier than wall time on a shared
machine), then the ratios: of those medians, and (`paired`) the median of each round's own
ratio, the two sides of a round having run back to back under the same load.
`--checks 500,2000` runs each size; the marginal cost per check is then printed too.
`--tls`: the server speaks HTTPS (a synthetic CA both sides trust), as real systems do:
what connection reuse saves is then a TLS handshake per check, not only a TCP connect.

`--tmp DIR`: both sides' temporary folders (inputs, the run folders, pytest's own) go in
DIR instead of the system's temporary folder. Every check creates a file, and creating
an inode costs from 0.02 to 0.7 ms of kernel CPU on a disk's file system depending on
the moment: `--tmp /dev/shm` (tmpfs) measures the engine rather than the disk; the
default measures both, as a run on that disk would cost. The folder used is printed.

`--against PYTHON`: a third side, `homolog run` with another checkout's interpreter (its
own venv, e.g. main's), in the same rounds (the three in turn, each round in another order):
two versions compared under the same load, whatever the machine does meanwhile.
"""

from __future__ import annotations

import argparse
import os
import resource
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml

BENCH_CHECKS = '''
from homolog import Params, check, expect_status

class Nth(Params):
    n: int = 0

@check("bench.http.get", params=Nth)
def get_ok(http, params):
    """The loopback server answers 200."""
    expect_status(http.get("/ok", base="web"), 200)
'''

PLAIN_SUITE = """
import os

import httpx
import pytest

BASE = os.environ["BENCH_BASE"]


@pytest.fixture(scope="session")
def client():
    with httpx.Client(trust_env=False, timeout=10, verify=os.environ.get("BENCH_CA") or True) as c:
        yield c


@pytest.mark.parametrize("i", range(int(os.environ["BENCH_CHECKS"])))
def test_get(client, i):
    assert client.get(BASE + "/ok").status_code == 200
"""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    wbufsize = 65536  # one write per response: avoids the Nagle / delayed-ACK 40 ms stall

    def do_GET(self) -> None:
        body = b'{"ok": true}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@dataclass
class Side:
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    def median(self) -> tuple[float, float]:
        return statistics.median(self.wall), statistics.median(self.cpu)


def _timed(cmd: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """Wall and CPU seconds of a whole process (its children included)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd[:4])}... exited {proc.returncode}:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def _write_inputs(work: Path, base: str, checks: int, ca: Path | None = None) -> None:
    (work / "bench_checks.py").write_text(BENCH_CHECKS)
    (work / "test_plain.py").write_text(PLAIN_SUITE)
    (work / "pytest.ini").write_text("[pytest]\n")
    reqs = [
        {
            "id": f"BENCH.{i:04d}",
            "title": "get",
            "text": "GET /ok",
            "level": "exigence",
            "source": {"document": "bench"},
            # one execution each, as the plain side's parametrized tests: a check with the
            # same parameters for several requirements would run once for all of them
            "checks": [{"check": "bench.http.get", "with": {"n": i}}],
        }
        for i in range(checks)
    ]
    ref = {
        "format": "homolog.referential/1",
        "id": "bench",
        "version": "1.0.0",
        "title": "bench",
        "publisher": "bench",
        "date": "2026-11-22",
        "requirements": reqs,
    }
    (work / "ref.yaml").write_text(yaml.safe_dump(ref))
    target: dict[str, object] = {
        "format": "homolog.target/1",
        "system": {"name": "bench", "version": "1"},
        "base_urls": {"web": base},
    }
    if ca is not None:
        target["tls"] = {"ca_file": str(ca)}
    (work / "target.yaml").write_text(yaml.safe_dump(target))


def _homolog_command(python: str, out: str) -> list[str]:
    run = ["run", "-r", "ref.yaml", "-t", "target.yaml", "--out", out, "--report", ""]
    return [python, "-m", "homolog.cli", *run, "--", "-p", "bench_checks", "-qq"]


def _round_commands(work: Path, run: int, against: str | None = None) -> dict[str, list[str]]:
    commands = {
        # no entry-point plugins (hypothesis, faker, anyio… installed here for other reasons), as
        # a run loads none it does not use (`homolog.api.RUN_PLUGINS`): both sides pay pytest's
        # own costs, not those of whatever else the environment holds
        "plain": [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--disable-plugin-autoload",
            "-c",
            "pytest.ini",
            "test_plain.py",
        ],
        "homolog": _homolog_command(sys.executable, f"run-{run}"),
    }
    if against:
        commands["against"] = _homolog_command(against, f"against-{run}")
    return commands


def _check_run(run_dir: Path, checks: int) -> str:
    """What the homolog side wrote: the figures are only fair if it kept everything."""
    lines = (run_dir / "results.jsonl").read_text().splitlines()
    evidence = sum(1 for p in (run_dir / "evidence").rglob("*") if p.is_file())
    if len(lines) != checks or evidence < checks or not (run_dir / "MANIFEST.sha256").exists():
        sys.exit(f"{run_dir}: {len(lines)} results, {evidence} evidence files: the run did not keep everything")
    return f"{len(lines)} results, {evidence} evidence files, run.json and MANIFEST.sha256"


def bench(
    checks: int, rounds: int, base: str, ca: Path | None, tmp_root: Path | None = None, against: str | None = None
) -> dict[str, Side]:
    sides = {"plain": Side(), "homolog": Side(), **({"against": Side()} if against else {})}
    with tempfile.TemporaryDirectory(prefix="homolog-bench-", dir=tmp_root) as tmp:
        work = Path(tmp)
        _write_inputs(work, base, checks, ca)
        env = dict(os.environ, BENCH_BASE=base, BENCH_CHECKS=str(checks), BENCH_CA=str(ca or ""))
        env["PYTHONPATH"] = os.pathsep.join([str(work), env.get("PYTHONPATH", "")])
        if tmp_root is not None:  # what either side puts in a temporary folder goes there too
            env["TMPDIR"] = str(tmp_root)
        kept = ""
        for r in range(rounds):
            commands = _round_commands(work, r, against)
            names = list(commands)
            order = names[r % len(names) :] + names[: r % len(names)]
            if r % 2:
                order.reverse()
            for name in order:
                wall, cpu = _timed(commands[name], env, work)
                sides[name].wall.append(wall)
                sides[name].cpu.append(cpu)
            kept = _check_run(work / f"run-{r}", checks)
            if against:
                _check_run(work / f"against-{r}", checks)
            pw, pc = sides["plain"].wall[-1], sides["plain"].cpu[-1]
            figures = "; ".join(
                f"{name} wall {sides[name].wall[-1]:6.2f} s cpu {sides[name].cpu[-1]:6.2f} s"
                f" (ratio {sides[name].wall[-1] / pw:4.2f} / {sides[name].cpu[-1] / pc:4.2f} x)"
                for name in sides
                if name != "plain"
            )
            print(f"  round {r + 1} ({' '.join(order)}): plain wall {pw:6.2f} s cpu {pc:6.2f} s; {figures}", flush=True)
        print(f"homolog side kept: {kept}")
    return sides


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checks", default="2000", help="number of checks, or a comma-separated list of sizes")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--tls", action="store_true", help="HTTPS server (synthetic CA)")
    parser.add_argument(
        "--tmp",
        type=Path,
        metavar="DIR",
        help="put both sides' temporary folders in DIR (/dev/shm: measure the engine, not the disk)",
    )
    parser.add_argument(
        "--against", metavar="PYTHON", help="also run `homolog run` with this interpreter (another checkout's venv)"
    )
    args = parser.parse_args()
    sizes = [int(s) for s in args.checks.split(",")]
    if args.tmp is not None and not args.tmp.is_dir():
        parser.error(f"--tmp {args.tmp}: not a folder")
    print(f"python {sys.executable}; temporary folders in {args.tmp or tempfile.gettempdir()}", flush=True)
    if args.against:
        print(f"against: {args.against}", flush=True)

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    ca: Path | None = None
    if args.tls:
        from homolog.fixtures.refsut.tlsconf import make_certificates

        ca, cert, key = make_certificates(Path(tempfile.mkdtemp(prefix="homolog-bench-tls-")))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"{'https' if args.tls else 'http'}://127.0.0.1:{server.server_address[1]}"
    results: dict[int, dict[str, Side]] = {}
    try:
        for n in sizes:
            print(f"== {n} checks, {args.rounds} alternated rounds, medians")
            results[n] = sides = bench(n, args.rounds, base, ca, args.tmp, args.against)
            for name, side in sides.items():
                wall, cpu = side.median()
                print(f"{name:<8} wall {wall:7.2f} s  cpu {cpu:7.2f} s   ({wall / n * 1000:.2f} ms wall per check)")
            pw, pc = sides["plain"].median()
            for name in sides:
                if name != "plain":
                    hw, hc = sides[name].median()
                    label = "ratio" if name == "homolog" else f"ratio ({name})"
                    print(f"{label:<8} wall {hw / pw:7.2f} x  cpu {hc / pc:7.2f} x")
                    # each round's two sides ran back to back, under the same load: the median of
                    # the rounds' own ratios is steadier than the ratio of medians on a busy machine
                    walls = [h / p for h, p in zip(sides[name].wall, sides["plain"].wall, strict=True)]
                    cpus = [h / p for h, p in zip(sides[name].cpu, sides["plain"].cpu, strict=True)]
                    print(
                        f"{'paired':<8} wall {statistics.median(walls):7.2f} x  cpu {statistics.median(cpus):7.2f} x"
                        f"   (median of the rounds' ratios; cpu {min(cpus):.2f}-{max(cpus):.2f} x)"
                    )
    finally:
        server.shutdown()
    if len(sizes) > 1:
        lo, hi = min(sizes), max(sizes)
        print(f"== marginal cost per check between {lo} and {hi} checks (median wall / cpu)")
        for name in results[lo]:
            (wl, cl), (wh, ch) = results[lo][name].median(), results[hi][name].median()
            print(f"{name:<8} {(wh - wl) / (hi - lo) * 1000:6.2f} ms wall  {(ch - cl) / (hi - lo) * 1000:6.2f} ms cpu")
    return 0


if __name__ == "__main__":
    sys.exit(main())
