"""Typed errors raised by the hwgen library.

Every error a user can cause by bad input derives from :class:`HwgenError`. The CLI turns
it into one line on stderr and exit code 2; library callers can catch it like any
``ValueError``.
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Iterator
from pathlib import Path


class HwgenError(ValueError):
    """Bad input to hwgen: the message says what, which value, and what is allowed."""


class HwgenWarning(UserWarning):
    """A valid but probably unintended request (e.g. an accumulator window no product reaches).

    Raised with :func:`warn`; the CLI prints it as one line, ``hwgen: warning: <message>``,
    on stderr and goes on. Library callers filter it like any warning.
    """


def warn(message: str) -> None:
    """Issue ``message`` as a :class:`HwgenWarning` attributed to hwgen's caller."""
    import warnings

    warnings.warn(HwgenWarning(message), stacklevel=3)


class UnknownFormatError(HwgenError):
    """A format name that the registry does not know."""


class ToolNotFoundError(HwgenError):
    """An external tool (simulator, synthesizer) that is not installed."""


class AccumulatorOverflowError(HwgenError):
    """A design's float accumulator overflows to inf/NaN on the given operands.

    Not a malformed request but a property of the design on that data: a ranking of many
    designs reports it for the one design and goes on.
    """


def _blocking_file(path: Path) -> Path | None:
    """The nearest existing ancestor of ``path`` when it is not a directory."""
    for parent in (path, *path.parents):
        if os.path.lexists(parent):
            return None if parent.is_dir() else parent
    return None


def os_error_line(exc: OSError, action: str, path: str | os.PathLike[str]) -> str:
    """One line for an OS refusal: what hwgen tried, on which path, and the OS's reason.

    ``action`` is a verb phrase (``"write the design directory"``). A path under a regular
    file is named as such (the OS says only "File exists" or "Not a directory").
    """
    p = Path(path)
    reason = exc.strerror or " ".join(str(exc).split()) or type(exc).__name__
    if exc.errno is not None and exc.errno in errno.errorcode:
        reason = f"{reason} ({errno.errorcode[exc.errno]})"
    blocker = None
    if isinstance(exc, FileExistsError | NotADirectoryError):
        blocker = _blocking_file(p.parent if isinstance(exc, FileExistsError) else p)
        if blocker is not None and blocker != p:
            reason = f"{blocker} is a file, not a directory"
    where = str(p)
    if blocker is None and exc.filename is not None and os.fspath(exc.filename) != where:
        other = os.fspath(exc.filename)
        if not Path(str(other)).name.startswith("."):  # not one of our staging names
            where = f"{where} ({other})"
    return f"cannot {action} {where}: {reason}"


@contextlib.contextmanager
def os_errors(action: str, path: str | os.PathLike[str]) -> Iterator[None]:
    """Turn an :class:`OSError` raised in the block into a one-line :class:`HwgenError`.

    The one place where the OS's refusals (read-only file system, a path under a regular
    file, ``/proc``, no permission, a busy mount point, no space) become user errors; see
    :func:`os_error_line` for the message.
    """
    try:
        yield
    except OSError as exc:
        if isinstance(exc, HwgenError):  # pragma: no cover - HwgenError is not an OSError
            raise
        raise HwgenError(os_error_line(exc, action, path)) from None
