"""`homolog.in_processes`: work spread over processes gives what one process gives, in order,
and a process that dies costs only what it was working on."""

from __future__ import annotations

import argparse
import functools
import os
import signal
import time
from collections.abc import Callable

import pytest

from homolog import add_jobs_option, in_processes, usable_cores
from homolog.parallel import NOT_TRIED, PROCESS_DIED


def _power(exponent: int, item: int) -> tuple[int, int]:
    """item ** exponent, and the process that computed it; the first items are slow, so that
    other processes finish later items before them."""
    if item < 5:
        time.sleep(0.1)
    return item**exponent, os.getpid()


def _powers(exponent: int) -> Callable[[int], tuple[int, int]]:
    return functools.partial(_power, exponent)


def _deadly(fatal: frozenset[int], item: int) -> tuple[int, int]:
    if item in fatal:
        os.kill(os.getpid(), signal.SIGKILL)  # as a crash in native code would
    if item < 0:
        raise ValueError(f"negative item {item}")
    return item * item, os.getpid()


def _killing_on(*fatal: int) -> Callable[[int], tuple[int, int]]:
    return functools.partial(_deadly, frozenset(fatal))


def _lost(item: int, reason: str) -> tuple[int, str]:  # type: ignore[return-value]
    return item, reason


def test_results_come_in_the_order_of_the_items_from_other_processes() -> None:
    items = list(range(60))
    here = in_processes(functools.partial(_powers, 2), items, jobs=1, lost=_lost)
    there = in_processes(functools.partial(_powers, 2), items, jobs=3, lost=_lost)
    assert [v for v, _ in there] == [v for v, _ in here] == [i * i for i in items]
    assert {pid for _, pid in here} == {os.getpid()}
    workers = {pid for _, pid in there}
    assert workers and os.getpid() not in workers and len(workers) <= 3


def test_an_item_that_kills_its_process_is_lost_alone_the_others_keep_their_results() -> None:
    items = list(range(40))
    got = in_processes(functools.partial(_killing_on, 13), items, jobs=2, lost=_lost)
    assert got[13] == (13, PROCESS_DIED)
    assert [v for i, (v, _) in enumerate(got) if i != 13] == [i * i for i in items if i != 13]


def test_processes_that_die_on_every_item_give_up_after_three_in_a_row() -> None:
    items = list(range(6))
    got = in_processes(functools.partial(_killing_on, *items), items, jobs=2, lost=_lost)
    assert got == [(i, PROCESS_DIED) for i in items[:3]] + [(i, NOT_TRIED) for i in items[3:]]


def test_an_exception_of_the_work_is_raised_as_in_one_process() -> None:
    for jobs in (1, 2):
        with pytest.raises(ValueError, match="negative item -1"):
            in_processes(functools.partial(_killing_on), [1, 2, -1, 3], jobs=jobs, lost=_lost)


def test_jobs_option() -> None:
    parser = argparse.ArgumentParser()
    add_jobs_option(parser)
    assert parser.parse_args([]).jobs == 1
    assert parser.parse_args(["-j", "3"]).jobs == 3
    assert parser.parse_args(["--jobs", "0"]).jobs == usable_cores() >= 1
    for bad in ("-1", "two"):
        with pytest.raises(SystemExit):
            parser.parse_args(["--jobs", bad])
