"""Operand streams for activity-based energy: named distributions or tensors from a file.

An activity spec (``--activity``) is either a distribution name with optional options::

    gaussian | uniform | laplace    [:zeros=F]   e.g. "laplace:zeros=0.5"

or a tensor file (``.npy``, ``.npz``, ``.safetensors``; read with
:func:`hwgen.quant.load_tensors`). Real values are quantized to each operand's format
the way a quantized network does it: one per-tensor absmax scale maps the largest
magnitude to the format's largest finite value, then :meth:`Format.encode` rounds (ties to
even, saturating). ``zeros=F`` sets a fraction F of each stream to exactly 0 (sparsity).

From a file, the weight stream ``w`` is the first floating tensor, flattened, repeated as
needed; the activation stream ``a`` is the same values in a seeded random order (so ``a``
and ``w`` follow the file's value distribution independently). An ``.npz`` or
``.safetensors`` file with tensors named ``a`` and ``w`` gives each stream its own tensor.
"""

from __future__ import annotations

import enum
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hwgen.errors import HwgenError
from hwgen.formats import get_format

__all__ = ["ActivitySpec", "Distribution", "operand_streams", "parse_activity"]

_TENSOR_SUFFIXES = (".npy", ".npz", ".safetensors")


class Distribution(enum.StrEnum):
    """Named operand distributions (all zero-mean, unit scale before quantization)."""

    GAUSSIAN = "gaussian"
    UNIFORM = "uniform"
    LAPLACE = "laplace"


@dataclass(frozen=True, slots=True)
class ActivitySpec:
    """A parsed ``--activity`` value: a distribution or a file, and a zero fraction."""

    distribution: Distribution | None
    path: Path | None
    zeros: float
    file_sha256: str | None = None

    @property
    def label(self) -> str:
        """Human-readable description (used in reports)."""
        base = self.distribution.value if self.distribution else f"file {self.path}"
        return base if self.zeros == 0 else f"{base}, {self.zeros:g} zeros"

    def key(self) -> dict[str, object]:
        """What identifies the stream in a cache key (file content, not its name)."""
        return {
            "distribution": self.distribution.value if self.distribution else None,
            "file_sha256": self.file_sha256,
            "zeros": self.zeros,
        }


def parse_activity(text: str) -> ActivitySpec:
    """Parse an activity spec (see the module docstring).

    Raises
    ------
    HwgenError
        Unknown distribution, bad option, or a file that does not exist / has another
        extension.
    """
    base, _, opts = text.partition(":")
    zeros = 0.0
    if opts:
        for opt in opts.split(","):
            m = re.fullmatch(r"zeros=([0-9.]+)", opt.strip())
            if m is None:
                raise HwgenError(f"activity option must be zeros=F (0 <= F < 1), not {opt!r}")
            zeros = float(m.group(1))
            if not 0 <= zeros < 1:
                raise HwgenError(f"activity zeros must be in [0, 1), not {zeros:g}")
    try:
        dist = Distribution(base)
    except ValueError:
        dist = None
    if dist is not None:
        return ActivitySpec(distribution=dist, path=None, zeros=zeros)
    path = Path(base)
    if path.suffix.lower() not in _TENSOR_SUFFIXES:
        allowed = ", ".join(d.value for d in Distribution)
        raise HwgenError(
            f"activity must be a distribution ({allowed}) or a tensor file "
            f"({', '.join(_TENSOR_SUFFIXES)}), not {text!r}"
        )
    if not path.is_file():
        raise HwgenError(f"activity file {str(path)!r} does not exist")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return ActivitySpec(distribution=None, path=path, zeros=zeros, file_sha256=digest)


def _draw(dist: Distribution, n: int, rng: np.random.Generator) -> np.ndarray:
    if dist is Distribution.GAUSSIAN:
        return rng.standard_normal(n)
    if dist is Distribution.UNIFORM:
        return rng.uniform(-1.0, 1.0, n)
    return rng.laplace(0.0, 1.0, n)


def _file_values(spec: ActivitySpec, n: int, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    from hwgen.quant import load_tensors

    assert spec.path is not None
    tensors = {
        k: np.asarray(v, dtype=np.float64).ravel()
        for k, v in load_tensors(spec.path).items()
        if np.issubdtype(np.asarray(v).dtype, np.floating) and np.asarray(v).size > 0
    }
    if not tensors:
        raise HwgenError(f"activity file {str(spec.path)!r} holds no floating tensor")
    if "a" in tensors and "w" in tensors:
        a_src, w_src = tensors["a"], tensors["w"]
    else:
        w_src = next(iter(tensors.values()))
        a_src = rng.permutation(w_src)
    return np.resize(a_src, n), np.resize(w_src, n)


def _quantize(values: np.ndarray, fmt_name: str, zeros: float, rng: np.random.Generator):
    fmt = get_format(fmt_name)
    finite = values[np.isfinite(values)]
    peak = float(np.max(np.abs(finite))) if finite.size else 0.0
    scaled = values * (fmt.max_abs / peak) if peak > 0 else values
    if zeros > 0:
        scaled = np.where(rng.random(values.size) < zeros, 0.0, scaled)
    return np.asarray(fmt.encode(scaled, saturate=True)).astype(np.int64)


def operand_streams(
    spec: ActivitySpec, *, a_format: str, w_format: str, n: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` activation and weight codes (raw bit patterns, int64) for the formats.

    Deterministic for a given ``(spec, formats, n, seed)``.
    """
    if n < 1:
        raise HwgenError(f"number of MACs must be >= 1, not {n}")
    rng = np.random.default_rng(seed)
    if spec.distribution is not None:
        a_vals, w_vals = _draw(spec.distribution, n, rng), _draw(spec.distribution, n, rng)
    else:
        a_vals, w_vals = _file_values(spec, n, rng)
    return (
        _quantize(a_vals, a_format, spec.zeros, rng),
        _quantize(w_vals, w_format, spec.zeros, rng),
    )
