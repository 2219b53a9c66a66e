"""Work on many items (files) in several processes: `homolog validate KIND --jobs N`.

`in_processes(make_work, items, jobs=N, lost=...)` starts N fresh interpreters (spawn: a fork
would copy this process's threads and native libraries' state, Saxon's among them, into a
child where neither works); each calls `make_work()` once (a picklable callable: a validator
loaded once per process) and applies what it returns to the items it is given, a few at a
time. The results come back in the order of the items, as one process would give them.

A process that dies (a crash in native code, the out-of-memory killer) takes with it only
the results of the items being worked on then. Those are worked on again one at a time,
then each alone in a process of its own, so that an item is said to have killed its
process only when it did so alone: `lost(item, PROCESS_DIED)` stands for its result.
Processes that die in a row before giving any result end a round (an environment where
they cannot work): the items left go on to the next round, and after the last one to
`lost(item, NOT_TRIED)`.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Generic, TypeVar

__all__ = ["NOT_TRIED", "PROCESS_DIED", "add_jobs_option", "in_processes", "usable_cores"]

T = TypeVar("T")
R = TypeVar("R")

PROCESS_DIED = "a process working on it alone died (a crash in native code, or its memory limit)"
NOT_TRIED = "not done: processes died on every item before it, each working on that item alone"
# Items a process is given at a time: enough to make the round trips negligible, few enough
# that the processes finish together.
MAX_CHUNK = 16
# Pools that die in a row without giving any result before the last round gives up.
DEATHS_IN_A_ROW = 3


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity where the platform tells it)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def _jobs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"not a number of processes: {text!r}")
    return value or usable_cores()


def add_jobs_option(parser: argparse.ArgumentParser, what: str = "files") -> None:
    """`-j/--jobs N` (0: one process per usable core; default 1, this process)."""
    parser.add_argument(
        "-j",
        "--jobs",
        type=_jobs,
        default=1,
        metavar="N",
        help=f"work in N processes (0: one per usable core); the output keeps the order of the {what}",
    )


# The work function of this worker process (set when it starts).
_WORK: Callable[[Any], Any] | None = None


def _start(make_work: Callable[[], Callable[[Any], Any]]) -> None:
    global _WORK
    _WORK = make_work()


def _work_on(items: Sequence[Any]) -> list[Any]:
    assert _WORK is not None
    return [_WORK(item) for item in items]


class _Rounds(Generic[T, R]):
    """The rounds of one `in_processes` call and the results so far (index -> result)."""

    def __init__(self, make_work: Callable[[], Callable[[T], R]], items: Sequence[T]) -> None:
        self.make_work = make_work
        self.items = items
        self.results: dict[int, R] = {}

    def run(self, units: list[list[int]], jobs: int, deaths_in_a_row: int) -> tuple[list[int], list[int]]:
        """Work on `units` (lists of item indexes) with `jobs` processes, a new pool taking
        over when one dies; two units per process are in flight so that none waits for
        work, except with one process (one unit, so that a death is that unit's). Return the
        items in flight whenever a process died, and those left when `deaths_in_a_row`
        pools died in a row without giving any result."""
        queue = deque(units)
        suspects: list[int] = []
        deaths = 0
        ahead = 2 * jobs if jobs > 1 else 1
        context = multiprocessing.get_context("spawn")
        while queue and deaths < deaths_in_a_row:
            pool = ProcessPoolExecutor(
                min(jobs, len(queue)), mp_context=context, initializer=_start, initargs=(self.make_work,)
            )
            in_flight: dict[Future[list[R]], list[int]] = {}
            gave = broken = False
            try:
                while (queue or in_flight) and not broken:
                    while queue and len(in_flight) < ahead:
                        unit = queue.popleft()
                        in_flight[pool.submit(_work_on, [self.items[i] for i in unit])] = unit
                    done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                    for future in done:
                        unit = in_flight.pop(future)
                        try:
                            self.results.update(zip(unit, future.result(), strict=True))
                            gave = True
                        except BrokenProcessPool:
                            broken = True
                            suspects += unit
                suspects += [i for unit in in_flight.values() for i in unit]
            finally:
                pool.shutdown(wait=True, cancel_futures=True)
            deaths = deaths + 1 if broken and not gave else 0
        return suspects, [i for unit in queue for i in unit]


def in_processes(
    make_work: Callable[[], Callable[[T], R]],
    items: Sequence[T],
    *,
    jobs: int,
    lost: Callable[[T, str], R],
) -> list[R]:
    """`make_work()`'s function applied to each item by `jobs` processes (in this process when
    `jobs` or the number of items is 1), the results in the order of `items`.

    `make_work` and the items go to other processes: they must pickle (a function of a
    module, `functools.partial` of one). An exception the work raises is raised here; an
    item whose process died alone with it, or that no process could take, gets
    `lost(item, PROCESS_DIED | NOT_TRIED)`.
    """
    items = list(items)
    if min(jobs, len(items)) <= 1:
        work = make_work()
        return [work(item) for item in items]
    rounds: _Rounds[T, R] = _Rounds(make_work, items)
    size = max(1, min(MAX_CHUNK, len(items) // (jobs * 4)))
    everything = range(len(items))
    suspects, left = rounds.run([list(everything[i : i + size]) for i in everything[::size]], jobs, 1)
    suspects, left = rounds.run([[i] for i in sorted(suspects + left)], jobs, 1)
    suspects, left = rounds.run([[i] for i in sorted(suspects + left)], 1, DEATHS_IN_A_ROW)
    rounds.results.update((i, lost(items[i], PROCESS_DIED)) for i in suspects)
    rounds.results.update((i, lost(items[i], NOT_TRIED)) for i in left)
    return [rounds.results[i] for i in everything]
