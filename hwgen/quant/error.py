"""Quantization error of number formats over weight tensors: relative MSE and SQNR.

Every selected tensor is viewed as rows (its last axis is the one groups run along) and
cut into work items of whole rows. A work item is read, widened to float64 block by block
(a few thousand elements, in cache) and quantized with every requested format, keeping
only the sums ``sum(w**2)`` and ``sum((w - Q(w))**2)``. Work items run on ``jobs`` worker
processes, so memory is bounded by a work item per worker, not by the file, and the
result does not depend on ``jobs`` (sums are combined in a fixed order).

Schemes: plain formats use per-group absmax scales, mixtures BitMoD selection with INT8
second-level scales (what their storage column counts), MX element formats may use OCP MX
blocks. Every scheme is invariant to scaling the weights (MX: by powers of two, as its
scales are powers of two), see :mod:`hwgen.quant.bitmod` and :mod:`hwgen.quant.mx` for how
their stored-scale ranges are handled.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from hwgen.errors import HwgenError
from hwgen.formats.base import Format
from hwgen.formats.table import MixtureFormat
from hwgen.formats.validate import as_int
from hwgen.quant.grouping import BLOCK_ELEMENTS, resolve
from hwgen.quant.mx import MX_BLOCK_SIZE, MxKernel, mx_element
from hwgen.quant.result import Scheme
from hwgen.quant.schemes import default_scheme, parse_scheme
from hwgen.quant.sqerr import Buffers, evaluator
from hwgen.quant.tensors import TensorSource, memory_sources

if TYPE_CHECKING:
    from types import TracebackType

    from rich.progress import Progress as RichProgress
    from rich.progress import TaskID

__all__ = [
    "ABSMAX_SCALE_BITS",
    "BITMOD_SCALE_BITS",
    "MX_SCALE_BITS",
    "Entry",
    "QuantErrorReport",
    "bits_per_weight",
    "default_jobs",
    "measure",
    "rank_formats",
    "select_sources",
    "select_tensors",
]

#: Storage of one absmax group scale: FP16.
ABSMAX_SCALE_BITS = 16
#: Storage of one BitMoD group scale: unsigned INT8 (paper: "8-bit scale + 2-bit selector
#: per 128 weights"); the per-row FP scale of the second level is not counted.
BITMOD_SCALE_BITS = 8
#: Storage of one MX block scale: E8M0.
MX_SCALE_BITS = 8
#: Elements per work item: one read and one task for a worker.
ITEM_ELEMENTS = 1 << 22
# Below this many elements in all, work runs in the calling process (no start-up cost).
_PARALLEL_MIN_ELEMENTS = 1 << 23
# Sums of squares stay finite and exact enough while |w| is within 2**+-500; blocks
# outside are scaled by a power of two first (exact) and their sums rescaled on combining.
_SAFE_EXP = 500


def default_jobs() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


# ---------------------------------------------------------------------- entries
@dataclass(frozen=True)
class Entry:
    """One row of a ranking: a format quantized with a scheme and a group size."""

    fmt: Format | MixtureFormat
    scheme: Scheme
    group_size: int

    @property
    def bits_per_weight(self) -> float:
        """Stored bits per weight including the group scale (and BitMoD's selector)."""
        if self.scheme is Scheme.BITMOD:
            assert isinstance(self.fmt, MixtureFormat)
            return self.fmt.bits + (BITMOD_SCALE_BITS + self.fmt.selector_bits) / self.group_size
        if self.scheme is Scheme.MX:
            return self.fmt.bits + MX_SCALE_BITS / self.group_size
        return self.fmt.bits + ABSMAX_SCALE_BITS / self.group_size

    @property
    def key(self) -> tuple[str, str, int]:
        """``(scheme, format name, group size)``: what a worker needs to rebuild it."""
        return (self.scheme.value, self.fmt.name, self.group_size)


def make_entry(
    fmt: Format | MixtureFormat | str, scheme: Scheme | str | None, group_size: int | None
) -> Entry:
    """Validate a (format, scheme, group size) combination.

    ``scheme=None`` picks :func:`~hwgen.quant.schemes.default_scheme`; ``group_size=None``
    picks 32 for MX (OCP MX 1.0) and 128 otherwise.
    """
    f = resolve(fmt)
    sch = default_scheme(f) if scheme is None else parse_scheme(scheme)
    if isinstance(f, MixtureFormat):
        if sch is not Scheme.BITMOD:
            raise HwgenError(f"{f.name} is a mixture: it is quantized with the bitmod scheme only")
    elif sch is Scheme.BITMOD:
        raise HwgenError(f"the bitmod scheme needs a mixture such as bitmod_fp4, not {f.name}")
    elif sch is Scheme.MX:
        mx_element(f)  # raises for non-MX element formats
    if group_size is None:
        group_size = MX_BLOCK_SIZE if sch is Scheme.MX else 128
    return Entry(f, sch, as_int(group_size, "group size", minimum=1))


def bits_per_weight(fmt: Format | MixtureFormat, *, group_size: int) -> float:
    """Stored bits per weight of a format under its default scheme (see :class:`Entry`)."""
    return make_entry(fmt, None, group_size).bits_per_weight


SqError = Callable[[np.ndarray, np.ndarray, int, Buffers], float]


def _kernel(key: tuple[str, str, int]) -> SqError:
    """``sq_error(x, group_absmax, exponent, buffers)`` of an entry key."""
    fast = evaluator(key)
    if fast is not None:
        return lambda x, am, e, buf: fast(x, am, buf)
    scheme, name, g = key
    from hwgen.formats.registry import get

    fmt = get(name)
    assert isinstance(fmt, Format) and scheme == Scheme.MX.value
    mk = MxKernel(fmt, g)

    def mx(x: np.ndarray, am: np.ndarray, e: int, buf: Buffers) -> float:
        d = mk.rows(x, exp_offset=e, am=am)[0]
        d -= x
        df = d.reshape(-1)
        return float(np.einsum("i,i->", df, df))

    return mx


_KERNELS: dict[tuple[tuple[str, str, int], ...], list[SqError]] = {}
# Scratch arrays per thread (the library API runs items on threads).
_LOCAL = threading.local()


def _buffers() -> Buffers:
    buf = getattr(_LOCAL, "buffers", None)
    if buf is None:
        buf = _LOCAL.buffers = Buffers()
    return buf


# ---------------------------------------------------------------------- selection
def select_sources(
    sources: Sequence[TensorSource], *, group_size: int, match: str | None = None
) -> tuple[list[TensorSource], list[tuple[str, str]]]:
    """The tensors a ranking is computed over, and the others with the reason they are not.

    Kept: floating-point tensors with >= 2 dimensions whose last dimension ``group_size``
    divides and whose name matches ``match`` (``re.search``; ``None`` matches all).

    Raises
    ------
    HwgenError
        Bad ``group_size`` or regex; a kept tensor that is empty; nothing kept, saying
        whether no name matched, no tensor is a floating >= 2-d one, or the group size
        divides no last dimension.
    """
    group_size = as_int(group_size, "group size", minimum=1)
    if not sources:
        raise HwgenError("no tensors to choose from: the input holds none")
    try:
        pattern = re.compile(match) if match is not None else None
    except re.error as exc:
        raise HwgenError(f"bad tensor-name regex {match!r}: {exc}") from None
    named = [s for s in sources if pattern is None or pattern.search(s.name)]
    if not named:
        names = _names([s.name for s in sources])
        raise HwgenError(f"no tensor name matches {match!r} (names: {names})")
    skipped = [(s.name, "name does not match") for s in sources if s not in named]
    candidates = []
    for s in named:
        if not s.floating:
            skipped.append((s.name, f"not floating point ({s.dtype})"))
        elif len(s.shape) < 2:
            skipped.append((s.name, f"{len(s.shape)}-d"))
        else:
            candidates.append(s)
    if not candidates:
        names = _names([s.name for s in named])
        raise HwgenError(f"no floating-point tensor with >= 2 dimensions among {names}")
    kept = []
    for s in candidates:
        if s.ncols % group_size:
            skipped.append((s.name, f"last dimension {s.ncols} not divisible by {group_size}"))
        else:
            kept.append(s)
    if not kept:
        lasts = ", ".join(sorted({str(s.ncols) for s in candidates}, key=int))
        raise HwgenError(
            f"group size {group_size} divides the last dimension of no tensor"
            f" (last dimensions: {lasts})"
        )
    for s in kept:
        if s.size == 0:
            shape = "x".join(map(str, s.shape))
            raise HwgenError(
                f"tensor {s.name!r} is empty (shape {shape}): there is nothing to quantize"
                " (leave it out with --match)"
            )
    return kept, skipped


def select_tensors(
    tensors: Mapping[str, np.ndarray], *, group_size: int, match: str | None = None
) -> dict[str, np.ndarray]:
    """:func:`select_sources` for in-memory tensors; also rejects NaN/inf in kept ones."""
    kept, _ = select_sources(memory_sources(tensors), group_size=group_size, match=match)
    out = {}
    for s in kept:
        arr = np.asarray(tensors[s.name])
        bad = int(np.count_nonzero(~np.isfinite(arr)))
        if bad:
            raise HwgenError(f"tensor {s.name!r} holds {bad} NaN/inf value(s)")
        out[s.name] = arr
    return out


def _names(names: list[str], limit: int = 8) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f", ... ({len(names)} in all)" if len(names) > limit else "")


# ---------------------------------------------------------------------- the work
@dataclass(frozen=True)
class _Item:
    source: int
    start: int
    stop: int


class _NonFinite(Exception):
    """A work item met NaN/inf (the caller counts them over the whole tensor)."""


def _sums(
    src: TensorSource, start: int, stop: int, keys: tuple[tuple[str, str, int], ...]
) -> dict[int, list[float]]:
    """``{exponent: [sum w**2, sum err**2 per entry]}`` of rows ``start..stop``.

    Sums of a block scaled by ``2**-exponent`` (exponent 0 unless the block is extreme).
    """
    kernels = _KERNELS.get(keys)
    if kernels is None:
        kernels = _KERNELS[keys] = [_kernel(k) for k in keys]
    sizes = sorted({k[2] for k in keys})
    raw = src.read_rows(start, stop)
    n = src.ncols
    out: dict[int, list[float]] = {}
    buf = _buffers()
    step = max(1, BLOCK_ELEMENTS // n)
    for lo in range(0, raw.shape[0], step):
        x = raw[lo : lo + step].astype(np.float64)
        flat = x.reshape(-1)
        den = float(np.einsum("i,i->", flat, flat))
        e = 0
        if not 2.0 ** (-2 * _SAFE_EXP) <= den <= 2.0 ** (2 * _SAFE_EXP):
            if not np.isfinite(x).all():
                raise _NonFinite
            if den == 0.0:
                continue  # all zero: adds nothing to any sum
            e = int(np.frexp(np.max(np.abs(x)))[1])
            x = np.ldexp(x, -e)
            flat = x.reshape(-1)
            den = float(np.einsum("i,i->", flat, flat))
        acc = out.setdefault(e, [0.0] * (1 + len(keys)))
        acc[0] += den
        # One |x| and one group maximum per group size, shared by every entry.
        ax = np.abs(x)
        k = x.shape[0]
        am = {g: _group_max(ax, g).reshape(k, n // g, 1) for g in sizes}
        for i, (key, kern) in enumerate(zip(keys, kernels, strict=True)):
            acc[1 + i] += kern(x, am[key[2]], e, buf)
    return out


def _group_max(ax: np.ndarray, g: int) -> np.ndarray:
    """Maximum of every ``g`` consecutive elements of ``ax``.

    ``reduceat`` runs the reduction loop per group in C; ``max(axis=-1)`` over ``(k, g)``
    goes through numpy's iterator per group and was 4x slower on 128-element groups.
    """
    flat = ax.reshape(-1)
    return np.maximum.reduceat(flat, np.arange(0, flat.size, g))


def _run(
    args: tuple[TensorSource, int, int, tuple[tuple[str, str, int], ...]],
) -> tuple[int, object]:
    """``(process id, sums)`` of a work item (``None`` sums: NaN/inf met)."""
    src, start, stop, keys = args
    try:
        return os.getpid(), _sums(src, start, stop, keys)
    except _NonFinite:
        return os.getpid(), None


# A worker waits this long for the others to start before taking work anyway.
_START_TIMEOUT_S = 60.0


def _start_worker(barrier: object, keys: tuple[tuple[str, str, int], ...]) -> None:
    """Worker initializer: build the kernels, then wait until every worker is up.

    Without the wait the first worker to finish importing takes items while the others
    are still starting (~1 s under spawn), and a short run ends on one core.
    """
    if keys not in _KERNELS:
        _KERNELS[keys] = [_kernel(k) for k in keys]
    try:
        barrier.wait(_START_TIMEOUT_S)  # type: ignore[attr-defined]
    except threading.BrokenBarrierError:
        pass  # a worker failed to start: the others go on alone


def _combine(parts: list[dict[int, list[float]]], width: int) -> list[float]:
    """Sums of a tensor from its items' ``{exponent: sums}`` (in item order)."""
    exps = sorted({e for p in parts for e in p})
    if not exps:
        return [0.0] * width
    top = exps[-1]
    total = [0.0] * width
    for p in parts:
        for e, sums in sorted(p.items()):
            for i, v in enumerate(sums):
                total[i] += math.ldexp(v, 2 * (e - top))
    return total


# ---------------------------------------------------------------------- the report
@dataclass(frozen=True)
class FormatRow:
    """One format of a ranking: the mean over tensors of the relative MSE."""

    entry: Entry
    rel_mse: float

    @property
    def sqnr_db(self) -> float:
        """``-10 log10(rel_mse)``; ``inf`` for a lossless format."""
        return _sqnr(self.rel_mse)


@dataclass(frozen=True)
class TensorRow:
    """One (format, tensor) pair."""

    entry: Entry
    tensor: str
    rel_mse: float

    @property
    def sqnr_db(self) -> float:
        return _sqnr(self.rel_mse)


def _sqnr(rel: float) -> float:
    return math.inf if rel == 0 else -10.0 * math.log10(rel)


@dataclass(frozen=True)
class QuantErrorReport:
    """Result of :func:`measure`.

    Attributes
    ----------
    formats
        One row per entry, best (lowest mean ``rel_mse``) first, ties in input order.
    tensors
        One row per entry and non-zero tensor, in the order of ``formats``.
    all_zero
        Tensors that are zero everywhere: their relative error is undefined, so they are
        left out of every mean.
    skipped
        ``(name, reason)`` of tensors not selected.
    weights
        Elements quantized per entry.
    processes
        Processes that quantized work items (1 for in-process and thread runs; with
        ``jobs`` worker processes, how many of them got work). Not part of
        :meth:`to_json`, which depends on the inputs only.
    """

    formats: tuple[FormatRow, ...]
    tensors: tuple[TensorRow, ...]
    all_zero: tuple[str, ...]
    skipped: tuple[tuple[str, str], ...]
    weights: int
    processes: int = 1

    def summary_frame(self):  # -> pandas.DataFrame
        """``format, bits, bits_per_weight, scheme, group_size, rel_mse, sqnr_db``."""
        import pandas as pd

        return pd.DataFrame(
            [
                {
                    "format": r.entry.fmt.name,
                    "bits": r.entry.fmt.bits,
                    "bits_per_weight": r.entry.bits_per_weight,
                    "scheme": r.entry.scheme.value,
                    "group_size": r.entry.group_size,
                    "rel_mse": r.rel_mse,
                    "sqnr_db": r.sqnr_db,
                }
                for r in self.formats
            ]
        )

    def per_tensor_frame(self):  # -> pandas.DataFrame
        """``format, scheme, tensor, rel_mse, sqnr_db``."""
        import pandas as pd

        return pd.DataFrame(
            [
                {
                    "format": r.entry.fmt.name,
                    "scheme": r.entry.scheme.value,
                    "tensor": r.tensor,
                    "rel_mse": r.rel_mse,
                    "sqnr_db": r.sqnr_db,
                }
                for r in self.tensors
            ],
            columns=["format", "scheme", "tensor", "rel_mse", "sqnr_db"],
        )

    def to_json(self) -> dict[str, object]:
        """A JSON-ready document: stable keys, numbers as numbers.

        ``sqnr_db`` is ``null`` with ``"lossless": true`` where ``rel_mse`` is 0 (JSON has
        no infinity); all-zero tensors are listed, never scored.
        """

        def score(entry: Entry, rel: float) -> dict[str, object]:
            return {
                "format": entry.fmt.name,
                "scheme": entry.scheme.value,
                "group_size": entry.group_size,
                "bits": entry.fmt.bits,
                "bits_per_weight": entry.bits_per_weight,
                "rel_mse": rel,
                "sqnr_db": None if rel == 0 else _sqnr(rel),
                "lossless": rel == 0,
            }

        return {
            "weights": self.weights,
            "formats": [score(r.entry, r.rel_mse) for r in self.formats],
            "tensors": [{**score(r.entry, r.rel_mse), "tensor": r.tensor} for r in self.tensors],
            "all_zero_tensors": list(self.all_zero),
            "skipped_tensors": [{"tensor": n, "reason": why} for n, why in self.skipped],
        }


def measure(
    sources: Sequence[TensorSource],
    entries: Sequence[Entry],
    *,
    jobs: int = 1,
    skipped: Iterable[tuple[str, str]] = (),
    executor: str = "process",
    progress: Callable[[int], None] | None = None,
) -> QuantErrorReport:
    """Quantization error of every entry over ``sources`` (already selected).

    Parameters
    ----------
    sources
        Tensors (``>= 2``-d, floating, last dimension divisible by every group size).
    entries
        Formats with their scheme and group size (:func:`make_entry`); a repeated entry
        counts once.
    jobs
        Worker processes (or threads); 1 runs in the calling process. Small inputs run in
        the calling process whatever ``jobs`` says.
    skipped
        Passed through to the report.
    executor
        ``"process"`` (default) or ``"thread"``: what ``jobs`` counts.
    progress
        Called with the number of elements each finished work item covered.

    Raises
    ------
    HwgenError
        No entries or sources, NaN/inf in a tensor (named, with the count), every tensor
        all zero.
    """
    jobs = as_int(jobs, "jobs", minimum=1)
    if executor not in ("process", "thread"):
        raise HwgenError(f"executor must be process or thread, not {executor!r}")
    unique = list(dict.fromkeys(entries))
    if not unique:
        raise HwgenError("at least one format is needed, not none")
    if not sources:
        raise HwgenError("at least one tensor is needed, not none")
    for s in sources:
        for e in unique:
            if s.ncols % e.group_size:
                raise HwgenError(
                    f"tensor {s.name!r}: group size {e.group_size} does not divide its last"
                    f" dimension {s.ncols}"
                )
    keys = tuple(e.key for e in unique)
    items: list[_Item] = []
    for i, s in enumerate(sources):
        rows = max(1, ITEM_ELEMENTS // max(s.ncols, 1))
        items.extend(_Item(i, r, min(r + rows, s.nrows)) for r in range(0, s.nrows, rows))
    total = sum(s.size for s in sources)
    args = [(sources[it.source], it.start, it.stop, keys) for it in items]
    results: list[object] = [None] * len(items)
    pids: set[int] = set()
    parallel = jobs > 1 and len(items) > 1 and total >= _PARALLEL_MIN_ELEMENTS
    if parallel:
        pool: Executor
        workers = min(jobs, len(items))
        if executor == "thread" or any(s.array is not None for s in sources):
            pool = ThreadPoolExecutor(workers)
        else:
            import multiprocessing

            ctx = multiprocessing.get_context("spawn")
            pool = ProcessPoolExecutor(
                workers,
                mp_context=ctx,
                initializer=_start_worker,
                initargs=(ctx.Barrier(workers), keys),
            )
        with pool:
            futures = [pool.submit(_run, a) for a in args]
            for k, fut in enumerate(futures):
                pid, results[k] = fut.result()
                pids.add(pid)
                _check(results[k], items[k], sources)
                if progress is not None:
                    progress(_elements(items[k], sources))
    else:
        for k, a in enumerate(args):
            pid, results[k] = _run(a)
            pids.add(pid)
            _check(results[k], items[k], sources)
            if progress is not None:
                progress(_elements(items[k], sources))
    report = _report(sources, unique, items, results, skipped, total)
    return dataclasses.replace(report, processes=len(pids))


def _elements(item: _Item, sources: Sequence[TensorSource]) -> int:
    return (item.stop - item.start) * sources[item.source].ncols


def _check(result: object, item: _Item, sources: Sequence[TensorSource]) -> None:
    if result is None:
        src = sources[item.source]
        bad = 0
        step = max(1, ITEM_ELEMENTS // src.ncols)
        for r in range(0, src.nrows, step):
            bad += int(np.count_nonzero(~np.isfinite(src.read_rows(r, min(r + step, src.nrows)))))
        raise HwgenError(f"tensor {src.name!r} holds {bad} NaN/inf value(s)")


def _report(
    sources: Sequence[TensorSource],
    entries: list[Entry],
    items: list[_Item],
    results: list[object],
    skipped: Iterable[tuple[str, str]],
    total: int,
) -> QuantErrorReport:
    per_source: list[list[dict[int, list[float]]]] = [[] for _ in sources]
    for it, res in zip(items, results, strict=True):
        per_source[it.source].append(res)  # type: ignore[arg-type]
    rel: list[list[float]] = []  # per source, per entry
    zero = []
    for i, parts in enumerate(per_source):
        sums = _combine(parts, 1 + len(entries))
        if sums[0] == 0.0:
            zero.append(sources[i].name)
            rel.append([])
        else:
            rel.append([v / sums[0] for v in sums[1:]])
    scored = [i for i, r in enumerate(rel) if r]
    if not scored:
        names = _names([s.name for s in sources])
        raise HwgenError(
            f"every selected tensor is all zero ({names}): the relative error is undefined"
        )
    means = [float(np.mean([rel[i][j] for i in scored])) for j in range(len(entries))]
    order = sorted(range(len(entries)), key=lambda j: (means[j], j))
    rows = tuple(FormatRow(entries[j], means[j]) for j in order)
    tensors = tuple(
        TensorRow(entries[j], sources[i].name, rel[i][j]) for j in order for i in scored
    )
    return QuantErrorReport(rows, tensors, tuple(zero), tuple(skipped), total)


# ---------------------------------------------------------------------- the classic API
def rank_formats(
    tensors: Mapping[str, np.ndarray],
    formats: Iterable[Format | MixtureFormat | str],
    *,
    group_size: int = 128,
    per_tensor: bool = False,
    progress: bool = False,
    jobs: int = 1,
):  # -> pandas.DataFrame | tuple[pandas.DataFrame, pandas.DataFrame]
    """Rank formats by their mean relative quantization error over in-memory ``tensors``.

    Each tensor is quantized along its last dimension in groups of ``group_size``: plain
    formats with absmax scales, mixtures with BitMoD selection and INT8 second-level scales.

    Returns
    -------
    pandas.DataFrame or tuple of two
        Summary, one row per format, best first: ``format, bits, bits_per_weight, scheme,
        group_size, rel_mse, sqnr_db`` with ``rel_mse`` the mean over non-zero tensors of
        ``||W - Q(W)||^2 / ||W||^2``. With ``per_tensor`` also ``format, scheme, tensor,
        rel_mse, sqnr_db``.

    Raises
    ------
    HwgenError
        No tensors, no formats, an unknown format name, a tensor that does not fit the
        group size, NaN/inf, every tensor all zero.
    """
    entries = [make_entry(f, None, group_size) for f in formats]
    if not entries:
        raise HwgenError("at least one format is needed, not none")
    if not tensors:
        raise HwgenError("at least one tensor is needed, not none")
    sources = memory_sources(tensors)
    for s in sources:
        if len(s.shape) < 1 or s.size == 0:
            raise HwgenError(f"tensor {s.name!r} is empty (shape {s.shape}): nothing to quantize")
    bar = Progress(sum(s.size for s in sources), enabled=progress)
    with bar:
        report = measure(sources, entries, jobs=jobs, progress=bar.advance)
    summary = report.summary_frame()
    if not per_tensor:
        return summary
    return summary, report.per_tensor_frame()


class Progress:
    """A rich progress bar over quantized elements on stderr, or nothing when disabled."""

    def __init__(self, total: int, *, enabled: bool) -> None:
        self._total = total
        self._enabled = enabled
        self._bar: RichProgress | None = None
        self._task: TaskID | None = None

    def __enter__(self) -> Progress:
        if self._enabled:
            from rich.console import Console
            from rich.progress import Progress as RichProgress

            self._bar = RichProgress(console=Console(stderr=True), transient=True)
            self._bar.__enter__()
            self._task = self._bar.add_task("quantizing", total=self._total)
        return self

    def advance(self, n: int) -> None:
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, advance=n)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.__exit__(exc_type, exc, tb)
