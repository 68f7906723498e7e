"""Typed errors raised by the hwgen library.

Every error a user can cause by bad input derives from :class:`HwgenError`. The CLI turns
it into one line on stderr and exit code 2; library callers can catch it like any
``ValueError``.
"""

from __future__ import annotations


class HwgenError(ValueError):
    """Bad input to hwgen: the message says what, which value, and what is allowed."""


class UnknownFormatError(HwgenError):
    """A format name that the registry does not know."""


class ToolNotFoundError(HwgenError):
    """An external tool (simulator, synthesizer) that is not installed."""
