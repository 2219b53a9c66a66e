"""Engine overhead: 500 checks each doing one loopback GET through `homolog run`,
against a plain httpx loop doing the same GETs.

    python bench/overhead.py [--checks 500]

Prints both wall times and their ratio. The `homolog run` figure includes everything a
real run does: referential load, pytest collection, evidence files, results.jsonl with
fsync per check, run.json and the manifest (reports off).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import yaml

BENCH_CHECKS = '''
from homolog import check, expect_status

@check("bench.http.get")
def get_ok(http):
    """The loopback server answers 200."""
    expect_status(http.get("/ok", base="web"), 200)
'''


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checks", type=int, default=500)
    args = parser.parse_args()

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"

    with tempfile.TemporaryDirectory(prefix="homolog-bench-") as tmp:
        work = Path(tmp)
        (work / "bench_checks.py").write_text(BENCH_CHECKS)
        sys.path.insert(0, str(work))
        reqs = [
            {
                "id": f"BENCH.{i:04d}",
                "title": "get",
                "text": "GET /ok",
                "level": "exigence",
                "source": {"document": "bench"},
                "checks": [{"check": "bench.http.get"}],
            }
            for i in range(args.checks)
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
        (work / "target.yaml").write_text(
            yaml.safe_dump(
                {"format": "homolog.target/1", "system": {"name": "bench", "version": "1"}, "base_urls": {"web": base}}
            )
        )

        # plain httpx loop: the floor
        t0 = time.perf_counter()
        with httpx.Client(trust_env=False) as client:
            for _ in range(args.checks):
                assert client.get(base + "/ok").status_code == 200
        plain = time.perf_counter() - t0

        from homolog.cli import main as homolog_main

        t0 = time.perf_counter()
        code = homolog_main(
            [
                "run",
                "-r",
                str(work / "ref.yaml"),
                "-t",
                str(work / "target.yaml"),
                "--out",
                str(work / "run"),
                "--report",
                "",
                "--",
                "-p",
                "bench_checks",
                "-qq",
            ]
        )
        engine = time.perf_counter() - t0
        if code != 0:
            print(f"homolog run exited {code}", file=sys.stderr)
            return 2
    server.shutdown()
    print(f"checks:           {args.checks}")
    print(f"plain httpx loop: {plain:8.2f} s  ({plain / args.checks * 1000:.2f} ms per GET)")
    print(f"homolog run:      {engine:8.2f} s  ({engine / args.checks * 1000:.2f} ms per check)")
    print(f"ratio:            {engine / plain:8.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
