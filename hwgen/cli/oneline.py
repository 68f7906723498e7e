"""Click commands whose usage errors are one line, like every other hwgen error.

Click prints usage errors (a bad option value, a missing argument, an unknown
subcommand) as a usage block plus the message. Commands and groups built on these
classes re-raise them as :class:`~hwgen.errors.HwgenError`, which the ``hwgen`` group turns
into ``hwgen: error: <message>`` and exit 2.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import click

from hwgen.errors import HwgenError


def one_line(exc: click.UsageError) -> HwgenError:
    """The usage error as a one-line :class:`HwgenError` naming the command's ``--help``."""
    where = f" (see `{exc.ctx.command_path} --help`)" if exc.ctx is not None else ""
    return HwgenError(" ".join(exc.format_message().split()) + where)


@contextlib.contextmanager
def usage_errors_as_one_line() -> Iterator[None]:
    """Turn a click usage error raised inside the block into a one-line :class:`HwgenError`."""
    try:
        yield
    except click.exceptions.NoArgsIsHelpError:
        raise  # a bare group name asks for its help: click prints it
    except click.UsageError as exc:
        raise one_line(exc) from None


class OneLineCommand(click.Command):
    """A command whose usage errors become :class:`HwgenError`."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        with usage_errors_as_one_line():
            return super().make_context(info_name, args, parent, **extra)


class OneLineGroup(click.Group):
    """A group whose own and whose subcommands' usage errors become :class:`HwgenError`."""

    command_class = OneLineCommand

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        with usage_errors_as_one_line():
            return super().make_context(info_name, args, parent, **extra)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        with usage_errors_as_one_line():
            return super().resolve_command(ctx, args)
