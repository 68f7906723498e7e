"""OS refusals of output and cache paths become one-line HwgenErrors, leaving nothing behind."""

from __future__ import annotations

import errno
import tempfile
from pathlib import Path

import pytest

from hwgen.emit import writer
from hwgen.errors import HwgenError, os_error_line, os_errors
from hwgen.tools import cache

FILES = {"top.v": "module top; endmodule\n", "manifest.json": "{}\n"}


def _listing(path: Path) -> list[str]:
    return sorted(str(p.relative_to(path)) for p in path.rglob("*"))


def test_os_error_line_names_path_and_reason():
    exc = OSError(errno.EROFS, "Read-only file system", "/mnt/ro/x")
    assert (
        os_error_line(exc, "write the design directory", "/mnt/ro/x")
        == "cannot write the design directory /mnt/ro/x: Read-only file system (EROFS)"
    )


def test_os_errors_context_manager_is_one_line():
    with pytest.raises(HwgenError) as info, os_errors("use the cache", "/c"):
        raise PermissionError(errno.EACCES, "Permission denied", "/c")
    assert str(info.value) == "cannot use the cache /c: Permission denied (EACCES)"


@pytest.mark.parametrize("depth", [("sub",), ("a", "b")])
def test_out_under_a_regular_file(tmp_path, depth):
    blocker = tmp_path / "afile"
    blocker.write_text("user data\n")
    out = blocker.joinpath(*depth)
    with pytest.raises(HwgenError) as info:
        writer.check_target(out)
        writer.write_atomically(out, FILES)
    assert str(info.value) == (
        f"cannot write the design directory {out}: {blocker} is a file, not a directory"
    )
    assert _listing(tmp_path) == ["afile"]
    assert blocker.read_text() == "user data\n"


@pytest.mark.parametrize("root", ["/proc", "/sys"])
def test_out_under_proc_or_sys(root):
    if not Path(root).is_dir():
        pytest.skip(f"{root} is not mounted here")
    out = Path(root) / "hwgen-out-test"
    with pytest.raises(HwgenError) as info:
        writer.check_target(out)
        writer.write_atomically(out, FILES)
    msg = str(info.value)
    assert msg.startswith(f"cannot write the design directory {out}: ")
    assert "\n" not in msg
    assert not out.exists()


@pytest.mark.parametrize(
    ("code", "reason"), [(errno.EROFS, "Read-only file system"), (errno.EBUSY, "Device busy")]
)
def test_read_only_or_busy_rename_keeps_old_design(tmp_path, monkeypatch, code, reason):
    out = tmp_path / "design"
    writer.write_atomically(out, FILES)

    def refuse(self, target):
        raise OSError(code, reason, str(self), str(target))

    monkeypatch.setattr(Path, "rename", refuse)
    with pytest.raises(HwgenError) as info:
        writer.write_atomically(out, {**FILES, "top.v": "changed\n"})
    assert str(info.value) == (
        f"cannot write the design directory {out}: {reason} ({errno.errorcode[code]})"
    )
    monkeypatch.undo()
    assert _listing(tmp_path) == ["design", "design/manifest.json", "design/top.v"]
    assert (out / "top.v").read_text() == FILES["top.v"]


def test_prepare_dir_under_file(tmp_path):
    (tmp_path / "f").write_text("")
    root = tmp_path / "f" / "sim"
    with pytest.raises(HwgenError) as info:
        cache.prepare_dir(root, "the simulator build directory")
    assert str(info.value) == (
        f"cannot use the simulator build directory {root}: {tmp_path / 'f'} is a file, "
        "not a directory"
    )


def test_prepare_dir_read_only(tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(tempfile, "NamedTemporaryFile", refuse)
    with pytest.raises(HwgenError) as info:
        cache.prepare_dir(tmp_path, "the simulator build directory")
    assert str(info.value) == (
        f"cannot use the simulator build directory {tmp_path}: Read-only file system (EROFS)"
    )


def test_prepare_dir_writable_leaves_no_probe(tmp_path):
    assert cache.prepare_dir(tmp_path / "a" / "b", "the cache") == tmp_path / "a" / "b"
    assert _listing(tmp_path) == ["a", "a/b"]
