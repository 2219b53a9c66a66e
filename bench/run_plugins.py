"""A run's pytest process with only the plugins it uses, against every installed one loaded.

    python bench/run_plugins.py [--rounds 7] [--checks 1]

A run's pytest command line (`homolog.api.pytest_args`, as `homolog run` and the test
suite's defect matrix give it) names its plugins and turns entry-point autoloading off
(`homolog.api.RUN_PLUGINS`). This bench runs that command as a whole process two ways,
alternated, each round in the other order:

- named: the command as a run gives it;
- autoload: the same without `--disable-plugin-autoload` and the named plugins, so that
  pytest loads every plugin installed packages declare (hypothesis, anyio, pytest-timeout,
  …, homolog's own through its entry point), as runs did before.

The run is a small referential (`--checks` one-GET checks against a loopback server), so
that the figures are a run's fixed cost per process: what each of the defect matrix's ~93
runs, and each xdist worker, pays. Prints each round, the medians of wall and CPU seconds
(the process and its children) and their difference; checks that both sides gave the same
verdicts.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
from http.server import ThreadingHTTPServer
from pathlib import Path

from overhead import _Handler, _timed, _write_inputs

from homolog.api import plugin_args, pytest_args, run_plugins

EXTRA = ["-p", "bench_checks"]  # what the run's pytest gets after `--`


def _commands(work: Path, r: int) -> dict[str, list[str]]:
    python = [sys.executable, "-m", "pytest"]
    commands = {}
    for side in ("named", "autoload"):
        (work / f"{side}-{r}").mkdir()
        args = pytest_args("ref.yaml", "target.yaml", work / f"{side}-{r}", extra=EXTRA)
        if side == "autoload":  # the same command without the part naming the plugins
            block = plugin_args(EXTRA)
            at = args.index(block[0])
            assert args[at : at + len(block)] == block
            args = args[:at] + args[at + len(block) :]
        commands[side] = [*python, *args]
    return commands


def _verdicts(run_dir: Path) -> dict[str, str]:
    doc = json.loads((run_dir / "run.json").read_text("utf-8"))
    return {r["id"]: r["verdict"] for r in doc["requirements"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--checks", type=int, default=1)
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    print(f"python {sys.executable}; plugins named in a run: {', '.join(run_plugins(EXTRA))}")
    walls: dict[str, list[float]] = {"named": [], "autoload": []}
    cpus: dict[str, list[float]] = {"named": [], "autoload": []}
    try:
        with tempfile.TemporaryDirectory(prefix="homolog-bench-plugins-") as tmp:
            work = Path(tmp)
            _write_inputs(work, base, args.checks)
            env = dict(os.environ)
            env["PYTHONPATH"] = os.pathsep.join([str(work), env.get("PYTHONPATH", "")])
            env.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)
            for r in range(args.rounds):
                commands = _commands(work, r)
                order = ["named", "autoload"] if r % 2 == 0 else ["autoload", "named"]
                for name in order:
                    wall, cpu = _timed(commands[name], env, work)
                    walls[name].append(wall)
                    cpus[name].append(cpu)
                named, autoload = _verdicts(work / f"named-{r}"), _verdicts(work / f"autoload-{r}")
                if named != autoload or set(named.values()) != {"passed"}:
                    sys.exit(f"round {r + 1}: the two sides' verdicts differ or did not pass: {named} / {autoload}")
                print(
                    f"  round {r + 1} ({' then '.join(order)}): named wall {walls['named'][-1]:.2f} s"
                    f" cpu {cpus['named'][-1]:.2f} s; autoload wall {walls['autoload'][-1]:.2f} s"
                    f" cpu {cpus['autoload'][-1]:.2f} s",
                    flush=True,
                )
    finally:
        server.shutdown()
    nw, aw = statistics.median(walls["named"]), statistics.median(walls["autoload"])
    nc, ac = statistics.median(cpus["named"]), statistics.median(cpus["autoload"])
    print(f"== {args.checks} check(s), {args.rounds} alternated rounds, medians")
    print(f"named    wall {nw:6.2f} s  cpu {nc:6.2f} s")
    print(f"autoload wall {aw:6.2f} s  cpu {ac:6.2f} s")
    print(f"saved    wall {aw - nw:6.2f} s  cpu {ac - nc:6.2f} s per process ({nc / ac:.2f}x cpu)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
