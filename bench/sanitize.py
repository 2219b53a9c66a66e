"""Evidence sanitiser: the general path against the fast paths, on a run's own evidence.

    .venv/bin/python bench/sanitize.py RUN_DIR [--rounds 3] [--learnt N]

Reads every text file of RUN_DIR/evidence (JSON, XML, HTML, mail, plain text) and redacts
them all with a fresh `Sanitizer` holding a few secrets, `--rounds` times, twice in one
process, alternated:

- general: every credential pattern run on every text, every encoded view of a text built
  with its offset map, every secret searched for one by one, no text remembered (what the
  sanitiser did before its fast paths);
- fast: as `homolog` runs it (patterns skipped on texts without their literal, encoded views
  mapped only when a secret shows in them, one Aho-Corasick pass telling which secrets
  occur, short texts remembered per set of secrets).

`--learnt N` adds N token-like values to the few secrets, as a run learns the session
tokens and cookies the SUT hands out (the demo ends with about 150; `MAX_LEARNT` is 256).

Prints the CPU seconds of each side (median), the ratio, and whether both gave the same
output for every text. The evidence of a homolog run is already redacted: each «redacted»
is replaced by a short word first, so that the marker is not learnt as a secret.
"""

from __future__ import annotations

import argparse
import random
import statistics
import string
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

from homolog import evidence, secrets
from homolog.evidence import REDACTED, Sanitizer

SECRETS = ("s3cr3t-password-xyz", "another-secret-token-123456", "motdepasse!2026", "Pw!hs D#2026&x")
TEXT_SUFFIXES = {".json", ".xml", ".html", ".eml", ".txt", ".csv"}


def corpus(run_dir: Path) -> list[str]:
    files = sorted(p for p in (run_dir / "evidence").rglob("*") if p.is_file() and p.suffix in TEXT_SUFFIXES)
    return [p.read_text("utf-8", "replace").replace(REDACTED, "x") for p in files]


def _one_by_one(self: secrets._Needles, text: str) -> tuple[list[str], list[str]]:
    return [v for v in self.values if v in text], [c for c in self.base64 if c in text]


@contextmanager
def general_path() -> Iterator[None]:
    """The sanitiser without its fast paths."""
    every = evidence._Fields(None)
    with (
        mock.patch.object(evidence, "_Fields", lambda text: every),
        mock.patch.object(secrets, "_hidden_in_escapes", lambda *a, **k: True),
        mock.patch.object(evidence, "_SHORT_TEXT", -1),
        mock.patch.object(secrets._Needles, "present", _one_by_one),
    ):
        yield


def learnt(count: int) -> tuple[str, ...]:
    """`count` values shaped like the tokens a SUT hands out (fixed seed: both sides get the same)."""
    rnd = random.Random(2026)
    alphabet = string.ascii_letters + string.digits + "-_"
    return tuple("".join(rnd.choice(alphabet) for _ in range(32)) for _ in range(count))


def redact_all(texts: list[str], extra: tuple[str, ...]) -> tuple[float, list[str]]:
    sanitizer = Sanitizer(SECRETS + extra)
    started = time.process_time()
    out = [sanitizer.text(t) for t in texts]
    return time.process_time() - started, out


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("run_dir", type=Path)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--learnt", type=int, default=0, help="token-like secrets added to the few (default 0)")
    args = ap.parse_args()
    extra = learnt(args.learnt)
    texts = corpus(args.run_dir)
    if not texts:
        print(f"{args.run_dir}/evidence holds no text file", file=sys.stderr)
        return 2
    print(
        f"{len(texts)} texts, {sum(map(len, texts)) / 1e6:.1f} M characters, from {args.run_dir}; "
        f"{len(SECRETS) + len(extra)} secrets"
    )
    times: dict[str, list[float]] = {"general": [], "fast": []}
    outputs: dict[str, list[str]] = {}
    for r in range(args.rounds):
        for side in ("general", "fast") if r % 2 == 0 else ("fast", "general"):
            if side == "general":
                with general_path():
                    spent, outputs[side] = redact_all(texts, extra)
            else:
                spent, outputs[side] = redact_all(texts, extra)
            times[side].append(spent)
    general, fast = statistics.median(times["general"]), statistics.median(times["fast"])
    print(f"general  {general:6.3f} s CPU   ({general / len(texts) * 1e6:7.1f} us per text)")
    print(f"fast     {fast:6.3f} s CPU   ({fast / len(texts) * 1e6:7.1f} us per text)")
    print(f"ratio    {general / fast:6.2f} x")
    same = outputs["general"] == outputs["fast"]
    print(f"same output for every text: {'yes' if same else 'NO'}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
