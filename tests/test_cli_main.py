"""The ``hwgen`` group: version, help, command registration and the error boundary."""

from __future__ import annotations

import click
import pytest
from helpers import invoke_cli

from hwgen import __version__
from hwgen.cli.main import COMMANDS, HwgenGroup, error_line, main
from hwgen.errors import HwgenError, UnknownFormatError
from hwgen.formats import get


def _unknown_format_message(name: str) -> str:
    with pytest.raises(UnknownFormatError) as info:
        get(name)
    return str(info.value)


def _group_raising(exc: BaseException) -> click.Group:
    """A throwaway ``HwgenGroup`` whose ``boom`` subcommand (also nested) raises ``exc``."""
    group = HwgenGroup(name="hwgen")
    inner = click.Group(name="inner")

    @click.command(name="boom")
    def boom() -> None:
        click.echo("partial output")
        raise exc

    group.add_command(boom)
    inner.add_command(boom)
    group.add_command(inner)
    return group


def test_version(cli):
    assert cli("--version") == (0, f"hwgen {__version__}\n", "")


def test_version_is_0_1_0():
    assert __version__ == "0.1.0"


def test_help_lists_every_registered_command(cli):
    code, out, err = cli("--help")
    assert (code, err) == (0, "")
    for command in COMMANDS:
        assert command.name in out
        assert main.get_command(click.Context(main), command.name) is command


def test_short_help_option(cli):
    assert cli("-h") == cli("--help")


def test_hwgen_error_becomes_one_line_and_exit_2(cli):
    code, out, err = cli("formats", "table", "fp8_e4m")
    assert code == 2
    assert out == ""
    assert err == f"hwgen: error: {_unknown_format_message('fp8_e4m')}\n"
    assert "did you mean fp8_e4m3" in err


@pytest.mark.parametrize("path", [["boom"], ["inner", "boom"]])
def test_multi_line_error_message_is_joined(path):
    group = _group_raising(HwgenError("bad value 3\n  allowed: 1..2"))
    code, _out, err = invoke_cli(path, command=group)
    assert code == 2
    assert err == "hwgen: error: bad value 3 allowed: 1..2\n"


def test_empty_error_message_names_the_error_type():
    code, _out, err = invoke_cli(["boom"], command=_group_raising(UnknownFormatError()))
    assert (code, err) == (2, "hwgen: error: UnknownFormatError\n")


def test_keyboard_interrupt_exits_130_with_one_line():
    code, _out, err = invoke_cli(["boom"], command=_group_raising(KeyboardInterrupt()))
    assert (code, err) == (130, "hwgen: interrupted\n")


def test_other_exceptions_are_not_swallowed():
    with pytest.raises(ZeroDivisionError):
        invoke_cli(["boom"], command=_group_raising(ZeroDivisionError("bug")))


def test_error_line():
    assert error_line(HwgenError("one\n\n two ")) == "one two"
    assert error_line(HwgenError("")) == "HwgenError"


@pytest.mark.parametrize("args", [["no-such-command"], ["--bogus"]])
def test_usage_errors_exit_2(cli, args):
    code, out, err = cli(*args)
    assert code == 2
    assert out == ""
    assert err.startswith("hwgen: error: ")
    assert err.count("\n") == 1


@pytest.mark.parametrize("args", [["formats", "table"], ["formats", "tabel", "int4"]])
def test_subcommand_usage_errors_are_one_line(cli, args):
    code, out, err = cli(*args)
    assert (code, out) == (2, "")
    assert err.startswith("hwgen: error: ") and err.count("\n") == 1


def test_no_arguments_shows_help(cli):
    code, out, err = cli()
    assert code == 2
    assert "Commands:" in out + err


def test_subprocess_version(run_hwgen_subprocess):
    assert run_hwgen_subprocess("--version") == (0, f"hwgen {__version__}\n", "")


def test_subprocess_error_is_one_line_without_traceback(run_hwgen_subprocess):
    code, out, err = run_hwgen_subprocess("formats", "table", "no_such_format")
    assert code == 2
    assert out == ""
    assert "Traceback" not in err
    assert err == f"hwgen: error: {_unknown_format_message('no_such_format')}\n"
