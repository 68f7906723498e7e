"""The ``hwgen`` command group and its error boundary.

Adding a command group
----------------------
Write ``hwgen/cli/<name>_cmd.py`` defining one click command or group, import its module
below next to the others, and append the command object to :data:`COMMANDS`. Commands
raise :class:`hwgen.errors.HwgenError` for bad input and never print tracebacks or call
``sys.exit`` themselves: :class:`HwgenGroup` turns the error into one line and exit 2.
"""

from __future__ import annotations

import warnings
from typing import Any, TextIO

import click

from hwgen import __version__
from hwgen.cli import (
    cache_cmd,
    cost_cmd,
    demo_cmd,
    formats_cmd,
    generate_cmd,
    quant_error_cmd,
    rank_cmd,
    sweep_cmd,
    verify_cmd,
)
from hwgen.cli.oneline import OneLineGroup, one_line
from hwgen.errors import HwgenError, HwgenWarning
from hwgen.tools import progress

EXIT_USAGE = 2
"""Exit code for bad input (the same code click uses for usage errors)."""
EXIT_INTERRUPTED = 130
"""Exit code for Ctrl-C (128 + SIGINT)."""


def error_line(exc: BaseException) -> str:
    """Collapse an error message to one line (falling back to the exception's type name)."""
    text = " ".join(part.strip() for part in str(exc).splitlines() if part.strip())
    return text or type(exc).__name__


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    """``warnings.showwarning`` of the CLI: one line on stderr, no source location."""
    label = "warning" if issubclass(category, HwgenWarning) else category.__name__
    click.echo(f"hwgen: {label}: {error_line(Exception(str(message)))}", err=True)


class HwgenGroup(OneLineGroup):
    """A click group whose subcommands fail with one line on stderr, never a traceback.

    ``HwgenError`` -> ``hwgen: error: <message>`` and exit 2; Ctrl-C -> ``hwgen: interrupted``
    and exit 130. Click usage errors of every command below (a bad option value, a missing
    argument, an unknown subcommand) and of ``hwgen`` itself are one line of the same form
    (no usage block). Other exceptions are bugs and keep their traceback (click itself already
    ends quietly when the reader of stdout goes away, as in ``hwgen ... | head``).
    """

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        """Parse ``hwgen``'s own options; a usage error is one line and exit 2."""
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except HwgenError as exc:
            click.echo(f"hwgen: error: {error_line(exc)}", err=True)
            raise click.exceptions.Exit(EXIT_USAGE) from None

    def invoke(self, ctx: click.Context) -> Any:
        """Run the selected subcommand inside the error boundary (progress on stderr).

        A :class:`~hwgen.errors.HwgenWarning` is one line, ``hwgen: warning: <message>``,
        printed once per distinct message.
        """
        old = progress.set_reporter(progress.console_reporter())
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("default", HwgenWarning)
                warnings.showwarning = _show_warning
                return super().invoke(ctx)
        except click.exceptions.NoArgsIsHelpError:
            raise  # ``hwgen formats`` alone prints its help, as click does
        except click.UsageError as exc:
            # Raised while a subcommand (at any depth) parses its arguments or by a callback.
            click.echo(f"hwgen: error: {error_line(one_line(exc))}", err=True)
            ctx.exit(EXIT_USAGE)
        except HwgenError as exc:
            click.echo(f"hwgen: error: {error_line(exc)}", err=True)
            ctx.exit(EXIT_USAGE)
        except KeyboardInterrupt:
            click.echo("hwgen: interrupted", err=True)
            ctx.exit(EXIT_INTERRUPTED)
        finally:
            progress.set_reporter(old)


@click.group(cls=HwgenGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="hwgen", message="%(prog)s %(version)s")
def main() -> None:
    """Design, verify and price the arithmetic of quantized-DNN accelerators.

    Number formats (INT, OCP FP8/FP6/FP4, BitMoD, flint), their quantization error, and
    the MAC units and PE arrays built from them.
    """


COMMANDS: list[click.Command] = [
    formats_cmd.formats,
    demo_cmd.demo,
    quant_error_cmd.quant_error,
    generate_cmd.generate,
    verify_cmd.verify,
    cost_cmd.cost,
    rank_cmd.rank,
    sweep_cmd.sweep,
    cache_cmd.cache_group,
]
"""Every subcommand of ``hwgen`` (``--help`` lists them alphabetically)."""

for _command in COMMANDS:
    main.add_command(_command)
