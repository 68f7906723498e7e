"""Progress of long steps (a simulator build, an elaboration, a simulation run).

Library code marks a step with ``with phase("verilator build of mac_..."):``; what the user
sees is chosen by the front end with :func:`set_reporter`. The library default reports
nothing (a Python caller's output stays its own). The CLI installs
:class:`ConsoleReporter`: on a terminal a ``rich`` spinner on stderr while a step runs,
otherwise one line on stderr per step that took at least :data:`LINE_MIN_S` seconds
(``hwgen: verilator build of mac_...: done in 35.2 s``), so logs of CI runs show where the
time went while quick commands stay quiet. Progress never goes to stdout (that is the
command's result, e.g. ``--json``).
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator
from typing import Protocol, TextIO

__all__ = [
    "LINE_MIN_S",
    "PROGRESS_ENV",
    "ConsoleReporter",
    "Reporter",
    "console_reporter",
    "phase",
    "set_reporter",
]

PROGRESS_ENV = "HWGEN_PROGRESS"
"""Environment variable: ``off`` turns the CLI's progress output off (default ``auto``)."""
LINE_MIN_S = 1.0
"""Shortest step that gets a line of its own when stderr is not a terminal."""


class Reporter(Protocol):
    """Receives the start and end of each step."""

    def start(self, label: str) -> None:
        """A step begins."""

    def end(self, label: str, seconds: float, ok: bool) -> None:
        """A step ended (``ok`` False when it raised)."""


class _Silent:
    def start(self, label: str) -> None:
        pass

    def end(self, label: str, seconds: float, ok: bool) -> None:
        pass


class ConsoleReporter:
    """A spinner on a terminal, a line per step otherwise (both on ``stream``, stderr)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream if stream is not None else sys.stderr
        self._tty = self._stream.isatty()
        self._status: contextlib.AbstractContextManager[object] | None = None

    def start(self, label: str) -> None:
        if self._tty:
            from rich.console import Console

            console = Console(file=self._stream, stderr=True)
            self._status = console.status(f"{label} ...")
            self._status.__enter__()

    def end(self, label: str, seconds: float, ok: bool) -> None:
        if self._status is not None:
            self._status.__exit__(None, None, None)
            self._status = None
        elif seconds < LINE_MIN_S:
            return
        word = "done" if ok else "failed"
        print(f"hwgen: {label}: {word} in {seconds:.1f} s", file=self._stream, flush=True)


_reporter: Reporter = _Silent()


def console_reporter() -> Reporter | None:
    """The CLI's reporter: a :class:`ConsoleReporter`, or ``None`` when ``$HWGEN_PROGRESS=off``."""
    if os.environ.get(PROGRESS_ENV, "auto").strip().lower() == "off":
        return None
    return ConsoleReporter()


def set_reporter(reporter: Reporter | None) -> Reporter:
    """Install ``reporter`` (``None``: silent); return the previous one."""
    global _reporter
    old = _reporter
    _reporter = reporter if reporter is not None else _Silent()
    return old


@contextlib.contextmanager
def phase(label: str) -> Iterator[None]:
    """Report the block as one step named ``label``."""
    t0 = time.perf_counter()
    _reporter.start(label)
    ok = False
    try:
        yield
        ok = True
    finally:
        _reporter.end(label, time.perf_counter() - t0, ok)
