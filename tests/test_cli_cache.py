"""``hwgen cache list|clean`` over the user cache."""

from __future__ import annotations

import os
import time

import pytest

from hwgen.tools import cache


@pytest.fixture
def root(tmp_path, monkeypatch):
    r = tmp_path / "cache"
    monkeypatch.setenv(cache.CACHE_ENV, str(r))
    old = r / "sim" / "old-build"
    old.mkdir(parents=True)
    (old / "hwgen_build.json").write_text("{}")
    (old / "obj").write_bytes(b"x" * (1 << 20))
    past = time.time() - 3600
    os.utime(old / "hwgen_build.json", (past, past))
    new = r / "sim" / "new-build"
    new.mkdir()
    (new / "hwgen_build.json").write_text("{}")
    (r / "sim" / ".old-build.lock").write_text("")
    return r


def test_list(cli, root):
    code, out, err = cli("cache", "list")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == f"cache {root}: 2 item(s), 1.0 MiB"
    assert "sim/old-build" in lines[3] and "1.0" in lines[3]  # largest first
    assert "sim/new-build" in lines[4]


def test_clean_keeps_recent_unless_all(cli, root):
    assert cli("cache", "clean") == (
        0,
        f"removed 1 item(s), 1.0 MiB from {root}; kept 1 recently used (--all removes them)\n",
        "",
    )
    assert not (root / "sim" / "old-build").exists()
    assert cli("cache", "clean", "--all") == (
        0,
        f"removed 1 item(s), 0.0 MiB from {root}\n",
        "",
    )
    assert cache.entries(root) == []


def test_empty_cache(cli, tmp_path, monkeypatch):
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path / "none"))
    assert cli("cache", "list") == (0, f"cache {tmp_path / 'none'}: 0 item(s), 0.0 MiB\n", "")
    assert cli("cache", "clean")[0] == 0
    assert not (tmp_path / "none").exists()


def test_usage_error_is_one_line(cli):
    assert cli("cache", "nope") == (
        2,
        "",
        "hwgen: error: No such command 'nope'. (see `hwgen cache --help`)\n",
    )
