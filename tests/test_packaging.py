"""The distribution has one import root, ``hwgen``; every package folder is installed."""

from __future__ import annotations

import importlib
import tomllib

import pytest
from helpers import REPO_ROOT

PACKAGE_DIRS = {"hwgen": "hwgen", "hwgen.sim": "sim", "hwgen.costmodel": "costmodel"}


def _pyproject() -> dict:
    return tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())


def test_package_dir_mapping() -> None:
    assert _pyproject()["tool"]["setuptools"]["package-dir"] == PACKAGE_DIRS


def test_every_package_folder_is_listed() -> None:
    listed = set(_pyproject()["tool"]["setuptools"]["packages"])
    found = set()
    for pkg, folder in PACKAGE_DIRS.items():
        for init in (REPO_ROOT / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(REPO_ROOT / folder)
            found.add(".".join([pkg, *rel.parts]))
    assert found == listed


def test_sim_and_costmodel_import_under_hwgen() -> None:
    sim = importlib.import_module("hwgen.sim")
    cost = importlib.import_module("hwgen.costmodel")
    assert sim.__file__ == str(REPO_ROOT / "sim" / "__init__.py")
    assert cost.__file__ == str(REPO_ROOT / "costmodel" / "__init__.py")


def test_library_names_no_build_machine_paths() -> None:
    """Docstrings refer to files by their path in the repository, never by a machine path."""
    offenders = []
    for folder in PACKAGE_DIRS.values():
        for path in (REPO_ROOT / folder).rglob("*.py"):
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if any(root in line for root in ("/work/", "/home/", "/root/")):
                    offenders.append(f"{path.relative_to(REPO_ROOT)}:{n}")
    assert offenders == []


@pytest.mark.slow
def test_wheel_holds_one_import_root(tmp_path) -> None:
    """A plain wheel build installs everything under hwgen/ (sim and costmodel included).

    Slow: pip builds in an isolated environment, fetching the build backend.
    """
    import subprocess
    import sys
    import zipfile

    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
         "-w", str(tmp_path), str(REPO_ROOT)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    (wheel,) = tmp_path.glob("hwgen-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    roots = {n.split("/", 1)[0] for n in names if not n.split("/", 1)[0].endswith(".dist-info")}
    assert roots == {"hwgen"}
    must = (
        "hwgen/sim/tb_mac.py",
        "hwgen/costmodel/synth.py",
        "hwgen/costmodel/reference_rtl/ref_mac_int.v",
        "hwgen/design/families.py",
    )
    assert set(must) <= set(names)
