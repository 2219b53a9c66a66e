"""A run's supervisor: the session runs in a child process; a check stuck past its deadline is killed, the run goes on.

    supervisor = Supervisor(on_killed=record_error)
    exit_code = supervisor.run(lambda resume: pytest.main(...), resume=False)

`homolog.deadlines` stops a check from inside (a timer signal) within milliseconds of its
deadline. Native code that neither returns nor polls for signals cannot be stopped from
inside, so every process that runs checks (the session, or its xdist workers) says in
its *slot* which check it runs and when it must be over (`Slot`, a small shared memory
file, one write per check). The supervisor, the process that forked the session, reads
the slots a few times a second; a check still running `GRACE` seconds past its deadline
has its process killed and its verdict written (`error`, "exceeded N s", the evidence it
left), then:

- the session itself was killed: a new session resumes the run (finished checks are not
  run again);
- an xdist worker was killed: xdist replaces it and the session goes on.

The child's output is copied to the caller's `sys.stdout` / `sys.stderr`, so a
supervised run prints what an in-process one would. The child is in its own process
group: an interrupt (Ctrl-C, SIGTERM) reaches the supervisor, which passes it on once.
"""

from __future__ import annotations

import codecs
import contextlib
import gc
import json
import mmap
import os
import selectors
import signal
import struct
import sys
import tempfile
import threading
import time
import traceback
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn, TextIO

__all__ = ["GRACE", "Slot", "Supervisor", "can_supervise"]

#: Seconds past a check's deadline before its process is killed (the signal had its chance).
GRACE = 5.0
#: How often the supervisor reads the slots (seconds).
POLL = 0.2
#: After copying what the session wrote, how long the supervisor lets more gather before the
#: next copy (seconds): a line per check would otherwise wake it, and the terminal, per check.
COALESCE = 0.05
SLOT_SIZE = 65536
_HEADER = struct.Struct("<QdI")  # sequence (odd while writing), hard deadline (monotonic), length


def can_supervise() -> bool:
    """Whether runs can be supervised here (a POSIX system that can fork)."""
    return hasattr(os, "fork") and hasattr(os, "setpgid")


# --------------------------------------------------------------------------- slots


class Slot:
    """What this process is running, for the supervisor: written before and after each check.

    `about` is JSON the supervisor hands to its `on_killed` callback if the check overruns.
    A write is two memory stores and a copy; the supervisor never sees half of one (the
    sequence number is odd while it is written).
    """

    def __init__(self, folder: Path | str) -> None:
        self.path = Path(folder) / str(os.getpid())
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.ftruncate(fd, SLOT_SIZE)
            self._map = mmap.mmap(fd, SLOT_SIZE)
        finally:
            os.close(fd)
        self._seq = 0

    def begin(self, hard_deadline: float, about: dict[str, Any]) -> None:
        data = json.dumps(about, ensure_ascii=False, default=str).encode()
        if len(data) > SLOT_SIZE - _HEADER.size:
            data = json.dumps({k: v for k, v in about.items() if k in ("record", "shared")}, default=str).encode()
            data = data[: SLOT_SIZE - _HEADER.size]
        self._write(hard_deadline, data)

    def end(self) -> None:
        self._write(0.0, b"")

    def _write(self, deadline: float, data: bytes) -> None:
        self._seq += 1
        self._map[:8] = struct.pack("<Q", self._seq)
        self._map[_HEADER.size : _HEADER.size + len(data)] = data
        self._map[8 : _HEADER.size] = struct.pack("<dI", deadline, len(data))
        self._seq += 1
        self._map[:8] = struct.pack("<Q", self._seq)

    def close(self) -> None:
        self._map.close()
        with contextlib.suppress(OSError):
            self.path.unlink()


@dataclass(frozen=True)
class Overrun:
    """A check found past its hard deadline, and the process running it."""

    pid: int
    about: dict[str, Any]


def overruns(folder: Path, now: float | None = None) -> list[Overrun]:
    """The slots of `folder` whose check is past its hard deadline."""
    now = time.monotonic() if now is None else now
    found = []
    for entry in os.scandir(folder):
        if not entry.name.isdigit():
            continue
        try:
            fd = os.open(entry.path, os.O_RDONLY)
        except OSError:
            continue
        try:
            head = os.pread(fd, _HEADER.size, 0)
            if len(head) < _HEADER.size:
                continue
            seq, deadline, length = _HEADER.unpack(head)
            if seq % 2 or not deadline or now <= deadline:
                continue  # being written (read again at the next poll), idle, or on time
            data = os.pread(fd, min(length, SLOT_SIZE - _HEADER.size), _HEADER.size)
            if os.pread(fd, 8, 0) != head[:8]:
                continue  # rewritten while read: the check moved on
        finally:
            os.close(fd)
        try:
            about = json.loads(data)
        except ValueError:
            about = {}
        found.append(Overrun(int(entry.name), about if isinstance(about, dict) else {}))
    return found


# --------------------------------------------------------------------------- the supervisor


class Supervisor:
    """Forks sessions of one run and watches their slots; see the module docstring."""

    def __init__(self, on_killed: Callable[[Overrun], None]) -> None:
        self.on_killed = on_killed
        self.slots = Path(tempfile.mkdtemp(prefix="homolog-slots-"))

    def run(self, session: Callable[[bool], int], *, resume: bool) -> int:
        """Run `session(resume)` in a child until it ends without a kill; its exit code."""
        try:
            while True:
                code, killed = self._once(session, resume)
                if not killed:
                    return code
                resume = True
        finally:
            for entry in self.slots.iterdir():
                with contextlib.suppress(OSError):
                    entry.unlink()
            with contextlib.suppress(OSError):
                self.slots.rmdir()

    def _once(self, session: Callable[[bool], int], resume: bool) -> tuple[int, bool]:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()  # nothing buffered before the fork may be written twice
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        env = _terminal_env()
        me = os.getpid()
        # What the caller holds (modules, every suite's checks) lives as long as the session:
        # frozen, the session's garbage collections never walk it again, nor write to its
        # pages (copy-on-write); the caller's own collector gets it back right after the fork.
        # A caller that froze objects itself keeps its choice.
        freeze = gc.get_freeze_count() == 0
        if freeze:
            gc.freeze()
        try:
            with warnings.catch_warnings():
                # Python 3.12+ warns on fork when threads run (a caller's servers): the child
                # only runs the session and never touches those threads' locks
                warnings.simplefilter("ignore", DeprecationWarning)
                pid = os.fork()
        finally:
            if freeze and os.getpid() == me:
                gc.unfreeze()
        if pid == 0:  # the child never returns into the caller's code, whatever happens
            try:
                os.close(out_r)
                os.close(err_r)
                _child(session, resume, me, out_w, err_w, env)
            finally:
                os._exit(3)
        os.close(out_w)
        os.close(err_w)
        with contextlib.suppress(OSError):
            os.setpgid(pid, pid)
        killed = False
        status: int | None = None
        pump = _Pump({out_r: sys.stdout, err_r: sys.stderr})
        interrupts = 0
        try:
            with _forwarding(pid):
                while status is None:
                    try:
                        pump.run(POLL)
                        for overrun in overruns(self.slots):
                            killed |= self._kill(overrun, pid)
                        status = _reaped(pid)
                    except KeyboardInterrupt:
                        interrupts += 1
                        if interrupts > 1:
                            raise
                        _signal_group(pid, signal.SIGINT)  # the session stops and writes what it has
                pump.drain()
        finally:
            if status is None:
                _signal_group(pid, signal.SIGKILL)
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(pid, 0)
            _signal_group(pid, signal.SIGKILL)  # what the session left behind (a browser, a stuck worker)
            pump.close()
        return status if status is not None else 2, killed

    def _kill(self, overrun: Overrun, session_pid: int) -> bool:
        """Kill the process of an overrun check and record it; True when it was the session."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(overrun.pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            (self.slots / str(overrun.pid)).unlink()
        if overrun.pid == session_pid:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(session_pid, 0)
        self.on_killed(overrun)
        return overrun.pid == session_pid


def _child(
    session: Callable[[bool], int], resume: bool, parent: int, out_w: int, err_w: int, env: dict[str, str]
) -> NoReturn:
    code = 3
    try:
        _die_with_parent(parent)
        os.setpgid(0, 0)
        os.dup2(out_w, 1)
        os.dup2(err_w, 2)
        os.close(out_w)
        os.close(err_w)
        os.environ.update(env)
        # the caller's streams may be objects of its own (pytest's capture): write to the pipes
        sys.stdout = open(1, "w", encoding="utf-8", errors="backslashreplace", buffering=1, closefd=False)  # noqa: SIM115
        sys.stderr = open(2, "w", encoding="utf-8", errors="backslashreplace", buffering=1, closefd=False)  # noqa: SIM115
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, signal.default_int_handler if signum == signal.SIGINT else signal.SIG_DFL)
        code = session(resume)
    except BaseException:
        with contextlib.suppress(Exception):
            traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(code)


def _die_with_parent(parent: int) -> None:
    """A session never outlives its supervisor: `homolog run` killed (even by SIGKILL) is the run killed."""
    if sys.platform.startswith("linux"):
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    else:

        def watch() -> None:
            while os.getppid() == parent:
                time.sleep(0.5)
            os._exit(3)

        threading.Thread(target=watch, name="homolog-parent-watch", daemon=True).start()
    if os.getppid() != parent:
        os._exit(3)  # the supervisor died before the request above was in place


def _terminal_env() -> dict[str, str]:
    """Keep colours and width when the caller writes to a terminal (the child writes to a pipe)."""
    env: dict[str, str] = {}
    try:
        if sys.stdout.isatty():
            env["PY_COLORS"] = "1"
            env["COLUMNS"] = str(os.get_terminal_size(sys.stdout.fileno()).columns)
    except (OSError, ValueError, AttributeError):
        pass
    return env


def _reaped(pid: int) -> int | None:
    """The exit code of the child once it has ended, else None."""
    try:
        done, status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return 2
    if done == 0:
        return None
    return os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 2


def _signal_group(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signum)


@contextlib.contextmanager
def _forwarding(pid: int) -> Iterator[None]:
    """SIGTERM to the supervisor asks the session to stop (as an interrupt would)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def forward(signum: int, frame: FrameType | None) -> None:
        _signal_group(pid, signal.SIGINT)

    previous = signal.signal(signal.SIGTERM, forward)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


class _Pump:
    """Copies what the child writes to the caller's text streams."""

    def __init__(self, streams: dict[int, TextIO]) -> None:
        self.streams = streams
        self.decoders = {fd: codecs.getincrementaldecoder("utf-8")("replace") for fd in streams}
        self.selector = selectors.DefaultSelector()
        for fd in streams:
            self.selector.register(fd, selectors.EVENT_READ)
        self.open = set(streams)

    def run(self, timeout: float) -> None:
        """Copy what is ready, waiting at most `timeout` seconds for something."""
        if not self.open:
            time.sleep(timeout)
            return
        ready = self.selector.select(timeout)
        for key, _ in ready:
            self._copy(int(key.fd))
        if ready:
            time.sleep(COALESCE)

    def drain(self, quiet: float = 0.5) -> None:
        """After the child ended: what is left, until the pipes close or stay quiet."""
        while self.open:
            ready = self.selector.select(quiet)
            if not ready:
                return  # a descendant still holds the pipe open: do not wait for it
            for key, _ in ready:
                self._copy(int(key.fd))

    def _copy(self, fd: int) -> None:
        try:
            data = os.read(fd, 65536)
        except OSError:
            data = b""
        stream = self.streams[fd]
        if not data:
            self.selector.unregister(fd)
            self.open.discard(fd)
            text = self.decoders[fd].decode(b"", final=True)
        else:
            text = self.decoders[fd].decode(data)
        if text:
            with contextlib.suppress(Exception):
                stream.write(text)
                stream.flush()

    def close(self) -> None:
        for fd in list(self.streams):
            with contextlib.suppress(KeyError, ValueError):
                self.selector.unregister(fd)
            with contextlib.suppress(OSError):
                os.close(fd)
        self.selector.close()
