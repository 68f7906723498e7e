"""Bad input on the command line: one line on stderr, exit 2, no usage block, nothing written."""

from __future__ import annotations

import pytest

from hwgen.design.spec import load_design
from hwgen.errors import HwgenError


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--bogus"], "No such option '--bogus'. (see `hwgen --help`)"),
        (["nosuch"], "No such command 'nosuch'. (see `hwgen --help`)"),
        (["verify"], "Missing argument 'DESIGN_DIR'. (see `hwgen verify --help`)"),
        (
            ["verify", "d", "--vectors", "x"],
            "Invalid value for '--vectors': 'x' is not a valid integer range. "
            "(see `hwgen verify --help`)",
        ),
        (["demo", "--nope"], "No such option '--nope'. (see `hwgen demo --help`)"),
        (["generate", "bad"], "No such command 'bad'. (see `hwgen generate --help`)"),
        (
            ["generate"],
            "give --spec FILE or a subcommand: mac, array, bitmod-pe, bitmod-array"
            " (see `hwgen generate --help`)",
        ),
        (
            ["generate", "mac", "--a-format", "int4", "--w-format", "int4", "--stages", "x"],
            "Invalid value for '--stages': 'x' is not a valid integer. "
            "(see `hwgen generate mac --help`)",
        ),
        (
            ["generate", "array", "--rows", "-"],
            "Invalid value for '--rows': '-' is not a valid integer. "
            "(see `hwgen generate array --help`)",
        ),
        (["formats", "nope"], "No such command 'nope'. (see `hwgen formats --help`)"),
    ],
)
def test_usage_errors_are_one_line(cli, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    assert cli(*args) == (2, "", f"hwgen: error: {message}\n")
    assert list(tmp_path.iterdir()) == []


def test_bare_group_prints_help(cli):
    code, out, err = cli()
    assert code in (0, 2)  # click's own convention for a bare group
    assert "Usage: hwgen" in out + err


def test_spec_not_utf8(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    spec = tmp_path / "bad.toml"
    spec.write_bytes(b'[design]\nkind = "mac"\na_format = "\xff"\n')
    assert cli("generate", "--spec", str(spec)) == (
        2,
        "",
        f"hwgen: error: {spec}: not UTF-8 text (byte 0xff at offset 34); "
        "a design spec is a UTF-8 TOML file\n",
    )
    assert [p.name for p in tmp_path.iterdir()] == ["bad.toml"]


def test_spec_type_error_names_file_and_key(tmp_path):
    spec = tmp_path / "t.toml"
    spec.write_text('[design]\nkind = "mac"\na_format = "int4"\nw_format = "int4"\nstages = "1"\n')
    with pytest.raises(HwgenError) as info:
        load_design(spec)
    assert str(info.value) == f"{spec}: [design] stages must be an integer, not '1'"


def test_generate_under_a_file(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "afile").write_text("x")
    code, out, err = cli(
        "generate", "mac", "--a-format", "int4", "--w-format", "int4", "--out", "afile/sub"
    )
    assert (code, out) == (2, "")
    assert err == (
        "hwgen: error: cannot write the design directory afile/sub: afile is a file, "
        "not a directory\n"
    )
    assert [p.name for p in tmp_path.iterdir()] == ["afile"]


def test_verify_build_dir_refused(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, _ = cli("generate", "mac", "--a-format", "int4", "--w-format", "int4", "--out", "d")
    assert code == 0
    (tmp_path / "afile").write_text("x")
    code, out, err = cli("verify", "d", "--build-dir", "afile/b")
    assert (code, out) == (2, "")
    assert err == (
        f"hwgen: error: cannot use the simulator build directory {tmp_path / 'afile' / 'b'}: "
        f"{tmp_path / 'afile'} is a file, not a directory\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile", "d"]
