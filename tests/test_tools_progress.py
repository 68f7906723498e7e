"""Progress lines of long steps: silent by default, a line per long step off a terminal."""

from __future__ import annotations

import io

import pytest

from hwgen.tools import progress


@pytest.fixture(autouse=True)
def _restore():
    old = progress.set_reporter(None)
    yield
    progress.set_reporter(old)


def test_library_default_is_silent(capsys):
    with progress.phase("step"):
        pass
    assert capsys.readouterr() == ("", "")


def test_console_reporter_off_a_terminal(monkeypatch):
    stream = io.StringIO()
    progress.set_reporter(progress.ConsoleReporter(stream))
    with progress.phase("quick"):
        pass
    assert stream.getvalue() == ""
    monkeypatch.setattr(progress, "LINE_MIN_S", 0.0)
    with progress.phase("verilator build of m"):
        pass
    assert stream.getvalue().startswith("hwgen: verilator build of m: done in 0.0 s")
    with pytest.raises(RuntimeError), progress.phase("broken"):
        raise RuntimeError("x")
    assert stream.getvalue().splitlines()[-1].startswith("hwgen: broken: failed in ")


def test_env_turns_progress_off(monkeypatch):
    monkeypatch.setenv(progress.PROGRESS_ENV, "off")
    assert progress.console_reporter() is None
    monkeypatch.setenv(progress.PROGRESS_ENV, "auto")
    assert isinstance(progress.console_reporter(), progress.ConsoleReporter)
