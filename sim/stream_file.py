"""A user-supplied stimulus stream from a ``.npz`` file (``hwgen verify DIR --stimulus FILE``).

Families whose stimulus type has a ``from_arrays`` constructor accept one (the BitMoD PE:
:class:`~hwgen.sim.stimulus_bitmod.BitmodStimulus`, the BitMoD array:
:class:`~hwgen.sim.stimulus_bitmod_array.BitmodArrayStimulus`). The constructor validates
every field and the bench checks it against the design before anything is built, so a
selector, scale, datatype or code out of range is one ``HwgenError`` line (CLI exit 2).
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from hwgen.design.families import FAMILIES, family
from hwgen.emit.manifest import Manifest
from hwgen.errors import HwgenError, os_errors

__all__ = ["stimulus_from_file"]


def stimulus_from_file(design_dir: str | os.PathLike[str], path: str | os.PathLike[str]) -> Any:
    """The stimulus of the design in ``design_dir`` read from the ``.npz`` file ``path``.

    Raises
    ------
    HwgenError
        The family takes no user stream, the file cannot be read, an array is missing or
        unknown, or a value is out of range (one line each).
    """
    ddir = Path(design_dir)
    if not (ddir / "manifest.json").is_file():
        raise HwgenError(
            f"{ddir} holds no manifest.json: not a design directory from hwgen generate"
        )
    man = Manifest.load(ddir)
    fam = family(man.kind)
    stype = fam.bench().stimulus_type
    from_arrays = getattr(stype, "from_arrays", None)
    if from_arrays is None:
        takers = [k for k, f in FAMILIES.items() if hasattr(f.bench().stimulus_type, "from_arrays")]
        raise HwgenError(f"--stimulus is supported for {', '.join(takers)} designs, not {man.kind}")
    p = Path(path)
    with os_errors("read", p):
        try:
            with np.load(p, allow_pickle=False) as data:
                arrays = {k: np.asarray(data[k]) for k in data.files}
        except (ValueError, zipfile.BadZipFile, EOFError) as exc:
            raise HwgenError(
                f"cannot read {p}: not a .npz file of numeric arrays ({exc})"
            ) from None
    stim = from_arrays(arrays)
    stim.check_against(man.design())
    return stim
