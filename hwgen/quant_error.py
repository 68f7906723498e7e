"""Weight quantization error: load or synthesise tensors, rank formats by relative MSE / SQNR.

Every plain format is scored with per-group absmax scaling along the last dimension
(:func:`hwgen.formats.quantize.quantize_groups`); BitMoD mixtures with BitMoD's per-group
variant selection and INT8 second-level group scales
(:func:`hwgen.formats.quantize.quantize_bitmod`), i.e. exactly what their storage column
assumes.
"""

from __future__ import annotations

import enum
import json
import re
import struct
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from hwgen.errors import HwgenError
from hwgen.formats.base import Format
from hwgen.formats.quantize import Scheme, default_scheme, quantize
from hwgen.formats.table import MixtureFormat

__all__ = [
    "ABSMAX_SCALE_BITS",
    "BITMOD_SCALE_BITS",
    "DEFAULT_SHAPES",
    "Dist",
    "bits_per_weight",
    "load_tensors",
    "rank_formats",
    "select_tensors",
    "synthetic_tensors",
]

#: Storage of one absmax group scale: FP16.
ABSMAX_SCALE_BITS = 16
#: Storage of one BitMoD group scale: unsigned INT8 (paper: "8-bit scale + 2-bit selector
#: per 128 weights"); the per-row FP scale of the second level is not counted.
BITMOD_SCALE_BITS = 8
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


# ---------------------------------------------------------------------- loading
_SUFFIXES = (".npy", ".npz", ".safetensors")
# safetensors dtype strings numpy reads directly (BF16 is handled separately).
_ST_DTYPES: dict[str, str] = {
    "F64": "<f8",
    "F32": "<f4",
    "F16": "<f2",
    "I64": "<i8",
    "I32": "<i4",
    "I16": "<i2",
    "I8": "i1",
    "U64": "<u8",
    "U32": "<u4",
    "U16": "<u2",
    "U8": "u1",
    "BOOL": "?",
    "C64": "<c8",
}


def load_tensors(path: str | Path) -> dict[str, np.ndarray]:
    """Read every tensor of a ``.npy``, ``.npz`` or ``.safetensors`` file.

    A ``.npy`` file gives one tensor named after the file's stem. Pickled objects are never
    loaded. bf16 tensors of a safetensors file (which numpy cannot represent) are widened
    exactly to float32.

    Parameters
    ----------
    path
        The file; its extension selects the reader.

    Returns
    -------
    dict of str to numpy.ndarray
        Tensor name -> array, in file order.

    Raises
    ------
    HwgenError
        Missing file, unsupported extension, or a file that cannot be read as its extension
        says.
    """
    p = Path(path)
    if p.suffix.lower() not in _SUFFIXES:
        raise HwgenError(
            f"weights file {str(p)!r} must end in {', '.join(_SUFFIXES)}, not {p.suffix!r}"
        )
    if not p.is_file():
        raise HwgenError(f"weights file {str(p)!r} does not exist")
    suffix = p.suffix.lower()
    try:
        if suffix == ".npy":
            return {p.stem: np.load(p, allow_pickle=False)}
        if suffix == ".npz":
            with np.load(p, allow_pickle=False) as z:
                return {k: z[k] for k in z.files}
        return _load_safetensors(p)
    except HwgenError as exc:
        raise HwgenError(f"cannot read weights file {str(p)!r}: {exc}") from None
    except Exception as exc:  # numpy / zipfile / OS errors: all mean "unreadable"
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise HwgenError(f"cannot read weights file {str(p)!r}: {reason}") from exc


def _load_safetensors(p: Path) -> dict[str, np.ndarray]:
    from safetensors.numpy import load_file

    try:
        loaded = dict(load_file(p))
    except Exception:
        # Plain numpy has no bfloat16 (load_file raises TypeError): read the file ourselves.
        # The parser also words a damaged file's problem more precisely.
        loaded = _parse_safetensors(p.read_bytes())
    # With ml_dtypes imported, load_file returns bfloat16 arrays instead of failing; widen
    # them too, so the result never depends on what else is imported.
    return {k: v.astype(np.float32) if v.dtype.name == "bfloat16" else v for k, v in loaded.items()}


def _parse_safetensors(raw: bytes) -> dict[str, np.ndarray]:
    """Tensors of a safetensors byte string (8-byte LE header size, JSON header, data)."""
    if len(raw) < 8:
        raise HwgenError(f"safetensors file too short ({len(raw)} bytes)")
    (n,) = struct.unpack("<Q", raw[:8])
    if 8 + n > len(raw):
        raise HwgenError(f"safetensors header size {n} exceeds the file size {len(raw)}")
    try:
        header = json.loads(raw[8 : 8 + n])
        entries = [
            (name, info["dtype"], tuple(int(s) for s in info["shape"]), info["data_offsets"])
            for name, info in header.items()
            if name != "__metadata__"
        ]
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise HwgenError(f"malformed safetensors header ({type(exc).__name__}: {exc})") from None
    data = memoryview(raw)[8 + n :]
    out: dict[str, np.ndarray] = {}
    for name, dtype, shape, (start, end) in entries:
        if not 0 <= start <= end <= len(data):
            raise HwgenError(f"tensor {name!r}: data offsets {start}..{end} outside the file")
        chunk = data[start:end]
        if dtype == "BF16":
            bits = np.frombuffer(chunk, dtype="<u2").astype(np.uint32) << 16
            arr = bits.view(np.float32)
        elif dtype in _ST_DTYPES:
            arr = np.frombuffer(chunk, dtype=_ST_DTYPES[dtype]).copy()
        else:
            allowed = ", ".join([*_ST_DTYPES, "BF16"])
            raise HwgenError(f"tensor {name!r}: dtype {dtype} is not supported ({allowed})")
        out[name] = arr.reshape(shape)
    return out


# ---------------------------------------------------------------------- selection
def select_tensors(
    tensors: Mapping[str, np.ndarray], *, group_size: int, match: str | None = None
) -> dict[str, np.ndarray]:
    """The tensors a quantization-error table is computed over.

    Keeps floating-point tensors with >= 2 dimensions whose last dimension is divisible by
    ``group_size`` and whose name matches ``match`` (``re.search``; ``None`` matches all).

    Parameters
    ----------
    tensors
        Name -> array, e.g. from :func:`load_tensors`.
    group_size
        Group size the tensors will be quantized with, >= 1.
    match
        Regular expression searched in each name.

    Returns
    -------
    dict of str to numpy.ndarray
        The kept tensors, in input order.

    Raises
    ------
    HwgenError
        Bad ``group_size`` or regex; NaN/inf in a kept tensor (named); nothing kept, saying
        whether no name matched, no tensor is a floating >= 2-d one, or the group size
        divides no last dimension.
    """
    if not isinstance(group_size, int) or isinstance(group_size, bool) or group_size < 1:
        raise HwgenError(f"group size must be an integer >= 1, not {group_size!r}")
    if not tensors:
        raise HwgenError("no tensors to choose from: the input holds none")
    try:
        pattern = re.compile(match) if match is not None else None
    except re.error as exc:
        raise HwgenError(f"bad tensor-name regex {match!r}: {exc}") from None
    named = {k: np.asarray(v) for k, v in tensors.items() if pattern is None or pattern.search(k)}
    if not named:
        raise HwgenError(f"no tensor name matches {match!r} (names: {_names(tensors)})")
    candidates = {
        k: v for k, v in named.items() if np.issubdtype(v.dtype, np.floating) and v.ndim >= 2
    }
    if not candidates:
        raise HwgenError(f"no floating-point tensor with >= 2 dimensions among {_names(named)}")
    kept = {k: v for k, v in candidates.items() if v.shape[-1] % group_size == 0}
    if not kept:
        lasts = ", ".join(sorted({str(v.shape[-1]) for v in candidates.values()}, key=int))
        raise HwgenError(
            f"group size {group_size} divides the last dimension of no tensor"
            f" (last dimensions: {lasts})"
        )
    for k, v in kept.items():
        bad = int(np.count_nonzero(~np.isfinite(v)))
        if bad:
            raise HwgenError(f"tensor {k!r} holds {bad} NaN/inf value(s)")
    return kept


def _names(tensors: Mapping[str, np.ndarray], limit: int = 8) -> str:
    keys = list(tensors)
    shown = ", ".join(keys[:limit])
    return shown + (f", ... ({len(keys)} in all)" if len(keys) > limit else "")


# ---------------------------------------------------------------------- synthetic
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
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise HwgenError(f"seed must be an integer >= 0, not {seed!r}")
    rng = np.random.default_rng(seed)
    out: dict[str, np.ndarray] = {}
    for i, shape in enumerate(shapes):
        shp = tuple(shape)
        if not shp or not all(isinstance(s, int) and s >= 1 for s in shp):
            raise HwgenError(f"shape must be a tuple of integers >= 1, not {shape!r}")
        if d is Dist.GAUSSIAN:
            w = rng.normal(0.0, _SYNTH_STD, shp)
        elif d is Dist.LAPLACE:
            w = rng.laplace(0.0, _SYNTH_STD / np.sqrt(2.0), shp)
        else:
            # Var of Student t with df = 3 is df / (df - 2) = 3.
            var = _STUDENT_T_DF / (_STUDENT_T_DF - 2)
            w = rng.standard_t(_STUDENT_T_DF, shp) * (_SYNTH_STD / np.sqrt(var))
        out[f"w{i}_{'x'.join(map(str, shp))}"] = w.astype(np.float32)
    return out


# ---------------------------------------------------------------------- ranking
def bits_per_weight(fmt: Format | MixtureFormat, *, group_size: int) -> float:
    """Stored bits per weight including the group scale (and BitMoD's selector).

    Absmax groups: ``bits + 16 / g`` (FP16 scale). BitMoD: ``bits + (8 + 2) / g`` (INT8
    scale and 2-bit selector per group, as the paper states; the per-row FP scale is
    negligible and not counted).
    """
    if isinstance(fmt, MixtureFormat):
        return fmt.bits + (BITMOD_SCALE_BITS + fmt.selector_bits) / group_size
    return fmt.bits + ABSMAX_SCALE_BITS / group_size


def _rel_mse(w: np.ndarray, q: np.ndarray) -> float:
    """``||w - q||^2 / ||w||^2``; 0 for an all-zero tensor (it is reproduced exactly)."""
    w64 = w.astype(np.float64)
    num = float(np.sum(np.square(w64 - q)))
    den = float(np.sum(np.square(w64)))
    return num / den if den > 0 else num


def _sqnr_db(rel: np.ndarray | pd.Series) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return -10.0 * np.log10(np.asarray(rel, dtype=np.float64))


def rank_formats(
    tensors: Mapping[str, np.ndarray],
    formats: Iterable[Format | MixtureFormat | str],
    *,
    group_size: int = 128,
    per_tensor: bool = False,
    progress: bool = False,
) -> pd.DataFrame | tuple[pd.DataFrame, pd.DataFrame]:
    """Rank formats by their mean relative quantization error over ``tensors``.

    Each tensor is quantized along its last dimension in groups of ``group_size``: plain
    formats with absmax scales, mixtures with BitMoD selection and INT8 second-level scales.

    Parameters
    ----------
    tensors
        Name -> real finite array, last dimension divisible by ``group_size`` (see
        :func:`select_tensors`).
    formats
        Format objects or registry names (resolved with :func:`hwgen.formats.get`).
    group_size
        Elements per group.
    per_tensor
        Also return the per-tensor frame.
    progress
        Show a progress bar over format x tensor on stderr.

    Returns
    -------
    pandas.DataFrame or tuple of two
        Summary, one row per format, best (lowest ``rel_mse``) first, ties in input order:
        ``format, bits, bits_per_weight, scheme, rel_mse, sqnr_db`` with ``rel_mse`` the mean
        over tensors of ``||W - Q(W)||^2 / ||W||^2`` and ``sqnr_db = -10 log10(rel_mse)``.
        With ``per_tensor`` also ``format, tensor, rel_mse, sqnr_db`` in the summary's format
        order.

    Raises
    ------
    HwgenError
        No tensors, no formats, an unknown format name, and the quantizers' errors.
    """
    from hwgen.formats.registry import get

    resolved = [get(f) if isinstance(f, str) else f for f in formats]
    # A format named twice is scored once (the summary has one row per format).
    fmts = list({f.name: f for f in resolved}.values())
    if not fmts:
        raise HwgenError("at least one format is needed, not none")
    if not tensors:
        raise HwgenError("at least one tensor is needed, not none")
    rows: list[dict[str, object]] = []
    total = len(fmts) * len(tensors)
    with _Progress(total, enabled=progress) as bar:
        for fmt in fmts:
            scheme = default_scheme(fmt)
            for name, w in tensors.items():
                bar.working_on(f"{fmt.name} {name}")
                try:
                    q = quantize(
                        w,
                        fmt,
                        group_size=group_size,
                        axis=-1,
                        second_level_int8=scheme is Scheme.BITMOD,
                    )
                except HwgenError as exc:
                    raise HwgenError(f"tensor {name!r}: {exc}") from None
                rows.append({"format": fmt.name, "tensor": name, "rel_mse": _rel_mse(w, q.dequant)})
                bar.advance()
    detail = pd.DataFrame(rows)
    summary = detail.groupby("format", sort=False)["rel_mse"].mean().reset_index()
    info = {f.name: f for f in fmts}
    summary.insert(1, "bits", [info[n].bits for n in summary["format"]])
    summary.insert(
        2,
        "bits_per_weight",
        [bits_per_weight(info[n], group_size=group_size) for n in summary["format"]],
    )
    summary.insert(3, "scheme", [default_scheme(info[n]).value for n in summary["format"]])
    summary["sqnr_db"] = _sqnr_db(summary["rel_mse"])
    summary = summary.sort_values("rel_mse", kind="stable").reset_index(drop=True)
    if not per_tensor:
        return summary
    order = {n: i for i, n in enumerate(summary["format"])}
    detail["sqnr_db"] = _sqnr_db(detail["rel_mse"])
    detail = detail.sort_values("format", key=lambda s: s.map(order), kind="stable").reset_index(
        drop=True
    )
    return summary, detail


class _Progress:
    """A rich progress bar on stderr, or nothing when disabled."""

    def __init__(self, total: int, *, enabled: bool) -> None:
        self._total = total
        self._enabled = enabled
        self._bar = None
        self._task = None

    def __enter__(self) -> _Progress:
        if self._enabled:
            from rich.console import Console
            from rich.progress import Progress

            self._bar = Progress(console=Console(stderr=True), transient=True)
            self._bar.__enter__()
            self._task = self._bar.add_task("quantizing", total=self._total)
        return self

    def working_on(self, label: str) -> None:
        if self._bar is not None:
            self._bar.update(self._task, description=label)

    def advance(self) -> None:
        if self._bar is not None:
            self._bar.update(self._task, advance=1)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.__exit__(*exc)
