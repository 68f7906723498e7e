"""The distribution has one import root, ``hwgen``; every package folder is installed."""

from __future__ import annotations

import importlib
import tomllib

from conftest import REPO_ROOT

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
