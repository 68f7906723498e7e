"""The one way hwgen starts an external program.

:func:`run` starts a tool from an argv list (never a shell string) in a working directory of
the caller's choosing, with an explicit environment and a timeout. The child runs in its
own session, so it and everything it starts (``make`` and its compilers, a simulator) form
one process group; that whole group is killed when the timeout expires, on
``KeyboardInterrupt`` and on any other exception in the caller, and once more after the
tool exits, so no orphaned ``make``/``g++`` outlives a run. A program that cannot be started,
or that does not finish in time, becomes one :class:`ToolError` line; a non-zero exit is
returned (:class:`ToolResult`) for the tool module to judge, because only it knows which of
the tool's lines is the error message (:meth:`ToolResult.error_line` picks it).

Writing a tool module (``hwgen/tools/<tool>.py``)
-------------------------------------------------
A tool module (see :mod:`hwgen.tools.yosys`, :mod:`hwgen.tools.lint`) does three things
and nothing else:

1. *find* the executable (a function returning its path or argv prefix, raising
   :class:`~hwgen.errors.ToolNotFoundError` with an install hint);
2. *run* it through :func:`run` inside a directory from :mod:`hwgen.tools.scratch` (never
   in the caller's tree, never with a device or a path outside that directory as an
   output file), with a timeout constant named in the module;
3. *judge* the result: raise a :class:`ToolError` subclass carrying the tool's own error
   line (``"<what> failed: <line>"``), or return parsed, typed results.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from hwgen.errors import HwgenError, ToolNotFoundError

__all__ = ["ToolError", "ToolResult", "run"]

_TERM_GRACE_S = 2.0
"""How long a process group gets to exit after SIGTERM before it is killed."""


class ToolError(HwgenError):
    """An external tool failed; the message is one line with the tool's own error text."""


@dataclass(frozen=True, slots=True)
class ToolResult:
    """A finished tool run.

    Attributes
    ----------
    tool
        Short tool name used in messages (``"yosys"``, ``"iverilog"``).
    argv
        The command that ran.
    returncode
        Exit status (negative: killed by that signal).
    stdout, stderr
        The captured text (empty when the output went to a log file).
    seconds
        Wall time of the run.
    log
        The log file the output was written to, if one was given.
    """

    tool: str
    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    log: Path | None = None

    @property
    def ok(self) -> bool:
        """Exit status 0."""
        return self.returncode == 0

    def text(self) -> str:
        """Everything the tool printed: stderr, stdout, then the log file."""
        parts = [self.stderr, self.stdout]
        if self.log is not None and self.log.is_file():
            parts.append(self.log.read_text(encoding="utf-8", errors="replace"))
        return "\n".join(p for p in parts if p)

    def error_line(
        self, pattern: str | re.Pattern[str] | None = None, *, last: bool = False
    ) -> str:
        """The tool's own error message, as one line.

        Parameters
        ----------
        pattern
            A line matching this regular expression is the error (the first such line, or
            the last with ``last=True``); without a match, or without a pattern, the last
            non-empty line is used, and without any output the exit status.
        last
            Prefer the last matching line (Yosys repeats its final error at the end).
        """
        lines = [ln.strip() for ln in self.text().splitlines() if ln.strip()]
        if pattern is not None:
            rx = re.compile(pattern) if isinstance(pattern, str) else pattern
            hits = [ln for ln in lines if rx.search(ln)]
            if hits:
                return hits[-1] if last else hits[0]
        if lines:
            return lines[-1]
        return f"exit code {self.returncode} and no message"


def _kill_group(pgid: int, proc: subprocess.Popen[str] | None, *, gentle: bool) -> None:
    """Signal the whole process group; with ``gentle`` SIGTERM first, then SIGKILL."""
    if gentle:
        try:
            os.killpg(pgid, signal.SIGTERM)
        except (ProcessLookupError, PermissionError):
            return
        if proc is not None:
            try:
                proc.wait(timeout=_TERM_GRACE_S)
            except subprocess.TimeoutExpired:
                pass
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def run(
    argv: Sequence[str | os.PathLike[str]],
    *,
    tool: str,
    cwd: str | os.PathLike[str],
    timeout_s: float | None,
    env: Mapping[str, str] | None = None,
    log: str | os.PathLike[str] | None = None,
) -> ToolResult:
    """Run one external program to completion in its own process group.

    Parameters
    ----------
    argv
        Program and arguments (no shell).
    tool
        Short name for messages.
    cwd
        Working directory (a scratch or build directory of hwgen's own).
    timeout_s
        Kill the process group after this many seconds; ``None`` only for runs whose
        length the caller bounds by other means (a simulation's own cycle limit).
    env
        The complete environment of the child (``None``: this process's environment).
    log
        Write stdout and stderr to this file (appending) instead of capturing them.

    Returns
    -------
    ToolResult
        Whatever the exit status; the caller judges it.

    Raises
    ------
    ToolNotFoundError
        The program does not exist or is not executable.
    ToolError
        The timeout expired (the group was killed).
    """
    args = [os.fspath(a) for a in argv]
    if timeout_s is not None and not timeout_s > 0:
        raise HwgenError(f"timeout_s must be > 0, not {timeout_s}")
    log_path = Path(log) if log is not None else None
    sink = open(log_path, "a", encoding="utf-8") if log_path is not None else None
    start = time.perf_counter()
    proc: subprocess.Popen[str] | None = None
    try:
        try:
            proc = subprocess.Popen(
                args,
                cwd=os.fspath(cwd),
                env=None if env is None else dict(env),
                stdin=subprocess.DEVNULL,
                stdout=sink if sink is not None else subprocess.PIPE,
                stderr=subprocess.STDOUT if sink is not None else subprocess.PIPE,
                text=True,
                start_new_session=True,
            )
        except (FileNotFoundError, PermissionError) as exc:
            raise ToolNotFoundError(
                f"{tool} could not be started: {args[0]}: {exc.strerror}"
            ) from None
        pgid = proc.pid  # a new session: the child leads its own process group
        try:
            out, err = proc.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            _kill_group(pgid, proc, gentle=False)
            proc.communicate()
            raise ToolError(f"{tool} did not finish within {timeout_s:g} s (stopped)") from None
        except BaseException:
            # KeyboardInterrupt or an error in this process: the group must not outlive us.
            _kill_group(pgid, proc, gentle=True)
            proc.wait()
            raise
        # A tool that left background children behind (make -j) must not leave them running.
        _kill_group(pgid, None, gentle=False)
    finally:
        if sink is not None:
            sink.close()
    return ToolResult(
        tool=tool,
        argv=tuple(args),
        returncode=proc.returncode,
        stdout=out or "",
        stderr=err or "",
        seconds=time.perf_counter() - start,
        log=log_path,
    )
