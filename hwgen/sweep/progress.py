"""Progress of a running sweep: a rich bar with ETA on a terminal, else a line per point.

Both go to stderr (the summary goes to stdout). Points served from the cache are counted
up front and never shown one by one.
"""

from __future__ import annotations

import sys
from typing import IO, Any

__all__ = ["PROGRESS_MODES", "Progress"]

PROGRESS_MODES = ("auto", "bar", "lines", "none")


class Progress:
    """Reports finished points.

    Parameters
    ----------
    total
        Points to evaluate in this run (not counting cached ones).
    cached
        Points already complete in the cache.
    mode
        ``auto`` (bar on a TTY, else lines), ``bar``, ``lines`` or ``none``.
    stream
        Where to write (default stderr).
    """

    def __init__(
        self, total: int, cached: int, *, mode: str = "auto", stream: IO[str] | None = None
    ):
        self.total = total
        self.cached = cached
        self.done = 0
        self.stream = stream if stream is not None else sys.stderr
        if mode == "auto":
            mode = "bar" if getattr(self.stream, "isatty", lambda: False)() else "lines"
        self.mode = mode if total else "none"
        self._bar: Any = None
        self._task: Any = None
        width = len(str(total))
        self._fmt = f"[{{done:>{width}}}/{total}]"
        if self.mode == "bar":
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )
            from rich.progress import Progress as RichProgress

            self._bar = RichProgress(
                TextColumn("[bold]sweep"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("elapsed"),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                TextColumn("{task.description}"),
                console=Console(file=self.stream),
                transient=False,
            )
            self._bar.start()
            self._task = self._bar.add_task("", total=total)
        elif self.mode == "lines" and cached:
            self.stream.write(f"{cached} point(s) served from the cache, {total} to evaluate\n")
            self.stream.flush()

    def advance(self, name: str, status: str, seconds: float, detail: str = "") -> None:
        """One point finished (``status``: ``ok``, ``FAILED``, ``verify FAIL``...)."""
        self.done += 1
        if self.mode == "bar":
            self._bar.update(self._task, advance=1, description=f"{name} {status}")
        elif self.mode == "lines":
            tail = f"  {detail}" if detail else ""
            self.stream.write(
                f"{self._fmt.format(done=self.done)} {status:<7} {name}  {seconds:.1f} s{tail}\n"
            )
            self.stream.flush()

    def close(self) -> None:
        """Stop the bar."""
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
