"""The R x C shape shared by the array families (pure Python, no Amaranth import).

:class:`~hwgen.design.array.ArrayConfig` and
:class:`~hwgen.design.bitmod_array.BitmodArrayConfig` are an R x C grid of one PE config:
their ``rows`` / ``cols`` keys, their validation, their command-line options and the
``out_row`` width follow one rule, kept here. Each family passes its own largest dimension.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hwgen._validate import check_int
from hwgen.design.base import OptionSpec

__all__ = ["SHAPE_KEYS", "check_shape", "pe_keys", "row_bits", "shape_options"]

SHAPE_KEYS = ("rows", "cols")
"""The config keys of the array shape, ahead of the PE's keys in ``to_dict()``."""


def check_shape(config: object, max_dim: int) -> None:
    """Validate ``config.rows`` and ``config.cols`` (each in ``1 .. max_dim``) in place.

    Called from a frozen config's ``__post_init__``: each field is replaced by its ``int``
    value (numpy integers accepted), as :func:`~hwgen._validate.check_int` returns it.

    Raises
    ------
    HwgenError
        ``rows must be in 1..64, not 0`` (likewise ``cols``; rows are checked first).
    """
    for key in SHAPE_KEYS:
        object.__setattr__(config, key, check_int(key, getattr(config, key), 1, max_dim))


def shape_options(max_dim: int) -> tuple[OptionSpec, OptionSpec]:
    """The required ``--rows`` / ``--cols`` options of ``hwgen generate <array kind>``."""
    return (
        OptionSpec(key="rows", type=int, help=f"Rows R (1..{max_dim}).", required=True),
        OptionSpec(key="cols", type=int, help=f"Columns C (1..{max_dim}).", required=True),
    )


def pe_keys(d: Mapping[str, Any]) -> dict[str, Any]:
    """The entries of a flat array dict that belong to the PE (all but the shape keys)."""
    return {k: v for k, v in d.items() if k not in SHAPE_KEYS}


def row_bits(rows: int) -> int:
    """Width of ``out_row`` for ``rows`` rows: ``ceil(log2(rows))``, at least 1."""
    return max(1, (rows - 1).bit_length())
