"""Click options that several ``hwgen`` commands share, defined once.

Each factory returns the decorator of one option, so that commands spelling the same
option (``--jobs`` of ``hwgen sweep`` and ``hwgen demo``, ``--model`` of ``hwgen cost``
and ``hwgen rank``) accept the same values with the same defaults; a command passes the
help line where the option's meaning differs in its context.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from hwgen.sweep.progress import PROGRESS_MODES

__all__ = ["COST_MODELS", "jobs_option", "model_option", "progress_option"]

F = TypeVar("F", bound=Callable[..., Any])

COST_MODELS = ("synth", "fitted")
"""Where costs come from: a synthesis flow, or the fitted fast model (``costmodel/fast``)."""


def jobs_option(help_text: str) -> Callable[[F], F]:
    """``--jobs`` / ``-j N`` (N >= 1; default ``None``: the command picks, all cores)."""
    return click.option(
        "--jobs",
        "-j",
        type=click.IntRange(min=1),
        default=None,
        help=help_text,
    )


def progress_option() -> Callable[[F], F]:
    """``--progress auto|bar|lines|none`` of a sweep run (reported on stderr)."""
    return click.option(
        "--progress",
        type=click.Choice(list(PROGRESS_MODES)),
        default="auto",
        show_default=True,
        help="Progress on stderr: a bar on a terminal, else a line per finished point.",
    )


def model_option(help_text: str) -> Callable[[F], F]:
    """``--model synth|fitted`` (default ``synth``)."""
    return click.option(
        "--model",
        type=click.Choice(list(COST_MODELS)),
        default="synth",
        show_default=True,
        help=help_text,
    )
