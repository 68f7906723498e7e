"""Synthetic weight tensors with the tails of real layers (for rankings without a file)."""

from __future__ import annotations

import enum
from collections.abc import Iterable

import numpy as np

from hwgen.errors import HwgenError
from hwgen.formats.validate import as_int

__all__ = ["DEFAULT_SHAPES", "Dist", "synthetic_tensors"]

#: Shapes of :func:`synthetic_tensors` (two transposed projections and a square one).
DEFAULT_SHAPES: tuple[tuple[int, ...], ...] = ((256, 1024), (1024, 256), (512, 512))
# Standard deviation of synthetic weights, typical of transformer linear layers; the
# distributions differ only in their tails.
_SYNTH_STD = 0.02
_STUDENT_T_DF = 3


class Dist(enum.StrEnum):
    """Distribution of synthetic weights."""

    GAUSSIAN = "gaussian"
    LAPLACE = "laplace"
    STUDENT_T = "student-t"


def synthetic_tensors(
    dist: Dist | str,
    seed: int = 0,
    shapes: Iterable[tuple[int, ...]] = DEFAULT_SHAPES,
) -> dict[str, np.ndarray]:
    """Random float32 weight tensors, deterministic per ``seed``.

    All distributions have standard deviation 0.02; ``student-t`` (df = 3) has the heavy
    tails seen in LLM weights, ``laplace`` lighter ones, ``gaussian`` none. Tensors are named
    ``w<i>_<rows>x<cols>``.

    Parameters
    ----------
    dist
        A :class:`Dist` or its value.
    seed
        Seed of numpy's default generator, >= 0.
    shapes
        One shape per tensor (default :data:`DEFAULT_SHAPES`).

    Returns
    -------
    dict of str to numpy.ndarray
        float32 tensors.

    Raises
    ------
    HwgenError
        Unknown distribution or a bad shape.
    """
    try:
        d = Dist(dist)
    except ValueError:
        allowed = ", ".join(x.value for x in Dist)
        raise HwgenError(f"distribution must be one of {allowed}, not {dist!r}") from None
    seed = as_int(seed, "seed", minimum=0)
    rng = np.random.default_rng(seed)
    out: dict[str, np.ndarray] = {}
    for i, shape in enumerate(shapes):
        shp = tuple(shape)
        if not shp or not all(
            isinstance(s, int | np.integer) and not isinstance(s, bool) and s >= 1 for s in shp
        ):
            raise HwgenError(f"shape must be a tuple of integers >= 1, not {shape!r}")
        if d is Dist.GAUSSIAN:
            w = rng.normal(0.0, _SYNTH_STD, shp)
        elif d is Dist.LAPLACE:
            w = rng.laplace(0.0, _SYNTH_STD / np.sqrt(2.0), shp)
        else:
            # Var of Student t with df = 3 is df / (df - 2) = 3.
            var = _STUDENT_T_DF / (_STUDENT_T_DF - 2)
            w = rng.standard_t(_STUDENT_T_DF, shp) * (_SYNTH_STD / np.sqrt(var))
        shp = tuple(int(s) for s in shp)
        out[f"w{i}_{'x'.join(map(str, shp))}"] = w.astype(np.float32)
    return out
