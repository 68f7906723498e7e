"""hwgen.tools.process: one process group per tool run, killed on timeout, Ctrl-C and errors."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hwgen.errors import HwgenError, ToolNotFoundError
from hwgen.tools import process
from hwgen.tools.process import ToolError, ToolResult

# A child that starts a grandchild (as make starts compilers), records its pid and waits.
PARENT = (
    "import subprocess, sys, time\n"
    "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'])\n"
    "open(sys.argv[1], 'w').write(str(p.pid))\n"
    "time.sleep(120)\n"
)


def _gone(pid: int) -> bool:
    """Not running any more (gone, or a zombie waiting for its new parent to reap it)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    return state in ("Z", "X")


def _wait_gone(pid: int, seconds: float = 5.0) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if _gone(pid):
            return True
        time.sleep(0.02)
    return _gone(pid)


def _wait_file(path: Path, seconds: float = 10.0) -> int:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if path.is_file() and path.read_text():
            return int(path.read_text())
        time.sleep(0.02)
    raise AssertionError(f"{path} never appeared")


def test_run_captures_output_and_exit_status(tmp_path: Path) -> None:
    code = "import sys; print('out'); print('bad thing', file=sys.stderr); sys.exit(3)"
    res = process.run([sys.executable, "-c", code], tool="py", cwd=tmp_path, timeout_s=30)
    assert (res.returncode, res.stdout.strip(), res.stderr.strip()) == (3, "out", "bad thing")
    assert not res.ok and res.seconds > 0
    assert res.error_line("bad") == "bad thing"
    assert res.error_line("nomatch") == "out"  # the last line when nothing matches


def test_log_file_receives_all_output(tmp_path: Path) -> None:
    log = tmp_path / "run.log"
    code = "import sys; print('a'); print('b', file=sys.stderr)"
    res = process.run([sys.executable, "-c", code], tool="py", cwd=tmp_path, timeout_s=30, log=log)
    assert res.ok and res.stdout == ""
    assert sorted(log.read_text().split()) == ["a", "b"]
    assert "a" in res.text()


def test_error_line_without_output_names_the_exit_status() -> None:
    res = ToolResult(tool="t", argv=("t",), returncode=2, stdout="", stderr="", seconds=0.1)
    assert res.error_line(r"ERROR") == "exit code 2 and no message"


def test_missing_program_is_tool_not_found(tmp_path: Path) -> None:
    with pytest.raises(ToolNotFoundError, match=r"^nosuch could not be started: .*nosuch-tool"):
        process.run([tmp_path / "nosuch-tool"], tool="nosuch", cwd=tmp_path, timeout_s=5)


def test_bad_timeout_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(HwgenError, match=r"^timeout_s must be > 0, not 0$"):
        process.run(["true"], tool="true", cwd=tmp_path, timeout_s=0)


def test_timeout_kills_the_whole_process_group(tmp_path: Path) -> None:
    pidfile = tmp_path / "grandchild.pid"
    start = time.monotonic()
    with pytest.raises(ToolError, match=r"^py did not finish within 1 s \(stopped\)$"):
        process.run([sys.executable, "-c", PARENT, pidfile], tool="py", cwd=tmp_path, timeout_s=1)
    assert time.monotonic() - start < 30
    assert _wait_gone(_wait_file(pidfile))


def test_keyboard_interrupt_kills_the_whole_process_group(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pidfile = tmp_path / "grandchild.pid"
    real = subprocess.Popen.communicate

    def interrupted(self, *args, **kwargs):
        _wait_file(pidfile)  # the grandchild exists: now Ctrl-C arrives
        raise KeyboardInterrupt

    monkeypatch.setattr(subprocess.Popen, "communicate", interrupted)
    with pytest.raises(KeyboardInterrupt):
        process.run([sys.executable, "-c", PARENT, pidfile], tool="py", cwd=tmp_path, timeout_s=60)
    monkeypatch.setattr(subprocess.Popen, "communicate", real)
    assert _wait_gone(_wait_file(pidfile))


def test_background_children_do_not_outlive_a_finished_tool(tmp_path: Path) -> None:
    res = process.run(
        ["sh", "-c", "sleep 120 >/dev/null 2>&1 & echo $!"], tool="sh", cwd=tmp_path, timeout_s=30
    )
    assert res.ok
    assert _wait_gone(int(res.stdout))


def test_the_child_runs_in_its_own_session(tmp_path: Path) -> None:
    code = "import os; print(os.getsid(0), os.getpid())"
    res = process.run([sys.executable, "-c", code], tool="py", cwd=tmp_path, timeout_s=30)
    sid, pid = map(int, res.stdout.split())
    assert sid == pid != os.getsid(0)
