"""GEMM operands: weights from a file or a distribution, activations from a file or a
named distribution.

Weights
    :func:`weight_matrices` reads every 2-D floating tensor of a ``.npy`` / ``.npz`` /
    ``.safetensors`` file (:func:`hwgen.quant.load_tensors`) as a GEMM weight
    ``W[K, N]``; files store linear layers as ``(out, in)`` (PyTorch ``nn.Linear``,
    safetensors checkpoints), so :attr:`WeightLayout.OUT_IN` (the default) transposes.
    :func:`synthetic_weights` draws them from :class:`hwgen.quant.Dist`.

Activations
    :func:`load_activations` reads one ``.npy`` / ``.npz`` array; leading dimensions are
    tokens (``(batch, seq, hidden)`` becomes ``(batch * seq, hidden)``).
    :class:`SyntheticActivations` draws ``(tokens, K)`` matrices from a named
    :class:`ActDist`. ``student-t-outliers`` is Student-t (3 degrees of freedom) with
    outlier channels: :data:`OUTLIER_CHANNEL_FRACTION` of the K channels (at least one,
    chosen at random per seed) are multiplied by :data:`OUTLIER_SCALE`. LLM activations
    show such outlier features: Dettmers et al., "LLM.int8()" (NeurIPS 2022) report a few
    hidden dimensions with magnitudes up to 20x those of the others.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np

from hwgen._validate import check_enum
from hwgen.errors import HwgenError
from hwgen.quant import Dist, load_tensors, select_tensors, synthetic_tensors

__all__ = [
    "ACT_STD",
    "OUTLIER_CHANNEL_FRACTION",
    "OUTLIER_SCALE",
    "STUDENT_T_DF",
    "ActDist",
    "SyntheticActivations",
    "WeightLayout",
    "load_activations",
    "synthetic_weights",
    "weight_matrices",
]

#: Standard deviation of the body of synthetic activations (scale-free for absmax
#: scaling; it matters for ``ActScaling.NONE`` only).
ACT_STD: Final = 1.0
#: Degrees of freedom of the Student-t activations (as for the synthetic weights).
STUDENT_T_DF: Final = 3
#: Share of K channels that are outliers in ``student-t-outliers`` (1 in 128).
OUTLIER_CHANNEL_FRACTION: Final = 1 / 128
#: Factor applied to the outlier channels (LLM.int8(): outlier features up to 20x larger).
OUTLIER_SCALE: Final = 20.0


class ActDist(enum.StrEnum):
    """Named distributions of synthetic activations (standard deviation :data:`ACT_STD`)."""

    GAUSSIAN = "gaussian"
    LAPLACE = "laplace"
    STUDENT_T = "student-t"
    STUDENT_T_OUTLIERS = "student-t-outliers"


class WeightLayout(enum.StrEnum):
    """How a weight file stores a linear layer."""

    OUT_IN = "out-in"  # (N, K): PyTorch nn.Linear, safetensors checkpoints
    IN_OUT = "in-out"  # (K, N): Keras Dense kernels, GPT-2 Conv1D


def _positive_int(value: object, role: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise HwgenError(f"{role} must be an integer, not {value!r}")
    if value < 1:
        raise HwgenError(f"{role} must be >= 1, not {value}")
    return int(value)


# ---------------------------------------------------------------------- weights
def weight_matrices(
    path: str | Path, *, match: str | None = None, layout: WeightLayout = WeightLayout.OUT_IN
) -> dict[str, np.ndarray]:
    """Every 2-D floating tensor of a weight file, as float64 ``W[K, N]``.

    Parameters
    ----------
    path
        ``.npy``, ``.npz`` or ``.safetensors`` file.
    match
        Regular expression a tensor name must contain (``re.search``); ``None`` keeps all.
    layout
        :class:`WeightLayout` of the file's matrices (default ``out-in``).

    Raises
    ------
    HwgenError
        An unreadable file, a bad regex, no matching 2-D floating tensor, NaN/inf values.
    """
    lay = check_enum("weight layout", WeightLayout, layout)
    kept = select_tensors(load_tensors(path), group_size=1, match=match)
    mats = {k: v for k, v in kept.items() if v.ndim == 2}
    if not mats:
        shapes = ", ".join(f"{k} {v.shape}" for k, v in list(kept.items())[:8])
        raise HwgenError(f"weights file {str(path)!r} holds no 2-D floating tensor ({shapes})")
    return {
        k: np.ascontiguousarray((v.T if lay is WeightLayout.OUT_IN else v).astype(np.float64))
        for k, v in mats.items()
    }


def synthetic_weights(dist: Dist | str, k: int, n: int, *, seed: int = 0) -> np.ndarray:
    """Random float64 ``W[K, N]`` from :func:`hwgen.quant.synthetic_tensors` (std 0.02).

    Drawn as an ``(N, K)`` matrix (out x in, like a stored linear layer) and transposed,
    so the same seed gives the same matrix as the weight-only quantization tables.
    """
    k, n = _positive_int(k, "K"), _positive_int(n, "N")
    (w,) = synthetic_tensors(dist, seed, shapes=[(n, k)]).values()
    return np.ascontiguousarray(w.T.astype(np.float64))


# ---------------------------------------------------------------------- activations
_ACT_SUFFIXES = (".npy", ".npz")


def load_activations(path: str | Path, *, name: str | None = None) -> np.ndarray:
    """Activations ``A[M, K]`` (float64) from a ``.npy`` or ``.npz`` file.

    Parameters
    ----------
    path
        The file. An ``.npz`` with several arrays needs ``name``.
    name
        Array name inside an ``.npz``.

    Returns
    -------
    numpy.ndarray
        The array with every leading dimension flattened into tokens: ``(..., K)`` ->
        ``(M, K)``.

    Raises
    ------
    HwgenError
        Missing or unreadable file, wrong extension, a missing or ambiguous name, a
        non-floating, 1-D or empty array, NaN/inf values.
    """
    p = Path(path)
    if p.suffix.lower() not in _ACT_SUFFIXES:
        raise HwgenError(
            f"activations file {str(p)!r} must end in {', '.join(_ACT_SUFFIXES)}, not {p.suffix!r}"
        )
    if not p.is_file():
        raise HwgenError(f"activations file {str(p)!r} does not exist")
    try:
        if p.suffix.lower() == ".npy":
            arr = np.load(p, allow_pickle=False)
        else:
            with np.load(p, allow_pickle=False) as z:
                arr = _pick(z, name, p)
    except HwgenError:
        raise
    except Exception as exc:  # numpy / zipfile / OS errors: all mean "unreadable"
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise HwgenError(f"cannot read activations file {str(p)!r}: {reason}") from exc
    if not np.issubdtype(arr.dtype, np.floating):
        raise HwgenError(f"activations in {str(p)!r} must be floating point, not {arr.dtype}")
    if arr.ndim < 2:
        raise HwgenError(
            f"activations in {str(p)!r} must have >= 2 dimensions (tokens x K), not shape"
            f" {arr.shape}"
        )
    if 0 in arr.shape:
        raise HwgenError(
            f"activations in {str(p)!r} are empty (shape {arr.shape}); every dimension must be >= 1"
        )
    a = arr.reshape(-1, arr.shape[-1]).astype(np.float64)
    bad = int(np.count_nonzero(~np.isfinite(a)))
    if bad:
        raise HwgenError(f"activations in {str(p)!r} hold {bad} NaN/inf value(s)")
    return a


def _pick(z: np.lib.npyio.NpzFile, name: str | None, p: Path) -> np.ndarray:
    names = list(z.files)
    if name is None:
        if len(names) != 1:
            raise HwgenError(
                f"activations file {str(p)!r} holds {len(names)} arrays ({', '.join(names)});"
                " name one"
            )
        return z[names[0]]
    if name not in names:
        raise HwgenError(
            f"activations file {str(p)!r} has no array {name!r} (arrays: {', '.join(names)})"
        )
    return z[name]


@dataclass(frozen=True, kw_only=True)
class SyntheticActivations:
    """A named activation distribution, sampled as ``(tokens, K)`` matrices.

    Parameters
    ----------
    dist
        :class:`ActDist` or its value.
    tokens
        Rows ``M`` of every sample, >= 1.
    seed
        Seed, >= 0; sample ``stream`` ``i`` uses numpy's generator seeded with
        ``(seed, i)``, so a sample never depends on what was drawn before.
    outlier_channels
        Number of outlier channels; ``None`` is ``max(1, round(K *
        OUTLIER_CHANNEL_FRACTION))`` for ``student-t-outliers`` and 0 for the others.
        Must be <= K when sampling.
    outlier_scale
        Factor of the outlier channels (default :data:`OUTLIER_SCALE`), > 0.
    """

    dist: ActDist
    tokens: int = 128
    seed: int = 0
    outlier_channels: int | None = None
    outlier_scale: float = OUTLIER_SCALE

    def __post_init__(self) -> None:
        object.__setattr__(self, "dist", check_enum("activation distribution", ActDist, self.dist))
        _positive_int(self.tokens, "tokens")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise HwgenError(f"seed must be an integer >= 0, not {self.seed!r}")
        if self.outlier_channels is not None and (
            isinstance(self.outlier_channels, bool)
            or not isinstance(self.outlier_channels, int)
            or self.outlier_channels < 0
        ):
            raise HwgenError(
                f"outlier_channels must be an integer >= 0 or None, not {self.outlier_channels!r}"
            )
        scale = self.outlier_scale
        if isinstance(scale, bool) or not isinstance(scale, int | float) or not scale > 0:
            raise HwgenError(f"outlier_scale must be a number > 0, not {scale!r}")
        if not np.isfinite(scale):
            raise HwgenError(f"outlier_scale must be finite, not {scale!r}")

    def outliers_for(self, k: int) -> int:
        """Number of outlier channels in a sample with ``k`` channels."""
        if self.outlier_channels is not None:
            return self.outlier_channels
        if self.dist is ActDist.STUDENT_T_OUTLIERS:
            return max(1, round(k * OUTLIER_CHANNEL_FRACTION))
        return 0

    def sample(self, k: int, *, stream: int = 0) -> np.ndarray:
        """A float64 ``(tokens, k)`` sample (deterministic per ``seed`` and ``stream``).

        Raises
        ------
        HwgenError
            ``k`` < 1, or more outlier channels than ``k``.
        """
        k = _positive_int(k, "K")
        n_out = self.outliers_for(k)
        if n_out > k:
            raise HwgenError(f"outlier_channels {n_out} exceeds the {k} channels")
        rng = np.random.default_rng([self.seed, stream])
        shape = (self.tokens, k)
        d = self.dist
        if d is ActDist.GAUSSIAN:
            a = rng.normal(0.0, ACT_STD, shape)
        elif d is ActDist.LAPLACE:
            a = rng.laplace(0.0, ACT_STD / np.sqrt(2.0), shape)
        else:  # Var of Student t is df / (df - 2)
            var = STUDENT_T_DF / (STUDENT_T_DF - 2)
            a = rng.standard_t(STUDENT_T_DF, shape) * (ACT_STD / np.sqrt(var))
        if n_out:
            channels = rng.choice(k, size=n_out, replace=False)
            a[:, channels] *= self.outlier_scale
        return a

    @property
    def label(self) -> str:
        """The distribution's name."""
        return self.dist.value
