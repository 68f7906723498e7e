"""Weight and activation sources of the accuracy workloads: one type each, one parser.

The ``accuracy`` stage (operand error, ``[workload.accuracy]``) and the ``gemm_accuracy``
stage (the design's GEMM, ``[workload.gemm_accuracy]``) read their operands from the same
kinds of source: a named distribution with a seed, or a file whose content (SHA-256, not
its path) keys the cache. Each stage states which keys it takes and their defaults
(:class:`WeightKeys`, :class:`ActivationKeys`); the parsing, the file checks and the
messages are shared.

Weights::

    weights = { dist = "student-t", seed = 0 }              # + k, n for a GEMM's W[k, n]
    weights = { file = "w.safetensors", match = "proj" }    # + layout for a GEMM

Activations::

    activations = { dist = "gaussian", seed = 1, tokens = 128, scaling = "per-token" }
    activations = { file = "acts.npz", name = "x", scaling = "per-token" }   # GEMM only
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from hwgen.errors import HwgenError

__all__ = [
    "ActivationKeys",
    "ActivationSource",
    "WeightKeys",
    "WeightSource",
    "file_sha256",
    "parse_activations",
    "parse_weights",
    "resolve_path",
]


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's content (hex)."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def resolve_path(table: Any, raw: str) -> Path:
    """A spec path: absolute, or relative to the spec file's folder (else the cwd)."""
    if Path(raw).is_absolute():
        return Path(raw)
    base = Path(table.doc.source).resolve().parent if table.doc.source else Path.cwd()
    return (base / raw).resolve()


def check_unchanged(path: Path, digest: str | None) -> None:
    """Raise when a workload file's content is no longer the one the spec was read with."""
    if file_sha256(path) != digest:
        raise HwgenError(f"workload file {path} changed while the sweep ran")


@dataclass(frozen=True)
class WeightSource:
    """Where the weights come from: a distribution (``dist``, ``seed``) or a file.

    ``k`` / ``n`` give a synthetic GEMM matrix ``W[k, n]`` (``None``: the stage's own
    shapes); ``layout`` is how a file stores 2-D matrices (``None``: the stage reads
    tensors as they are). ``file_sha256`` keys the cache on the file's content.
    """

    dist: str | None = "student-t"
    seed: int = 0
    k: int | None = None
    n: int | None = None
    file: str | None = None
    match: str | None = None
    layout: str | None = None
    file_sha256: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form used in cache keys (no path: moving a file keeps the cache)."""
        if self.file is not None:
            d: dict[str, Any] = {"file_sha256": self.file_sha256, "match": self.match}
            if self.layout is not None:
                d["layout"] = self.layout
            return d
        d = {"dist": self.dist, "seed": self.seed}
        if self.k is not None:
            d.update(k=self.k, n=self.n)
        return d

    def describe(self) -> str:
        """One line for a ``source`` column."""
        if self.file is not None:
            m = f", names matching {self.match!r}" if self.match else ""
            return f"weights {Path(self.file).name} (sha256 {str(self.file_sha256)[:12]}{m})"
        shape = f" W[{self.k}, {self.n}]" if self.k is not None else ""
        return f"synthetic {self.dist}{shape} weights, seed {self.seed}"


@dataclass(frozen=True)
class WeightKeys:
    """What a stage's ``weights`` table takes.

    Attributes
    ----------
    defaults
        The source when the table is absent, and the defaults of absent keys.
    dists
        Allowed distribution names.
    shape
        Whether ``k`` / ``n`` are taken (a GEMM matrix).
    layouts
        Allowed ``layout`` values (empty: no ``layout`` key).
    check
        Called with ``(path, match, layout)`` on a file; raises ``HwgenError`` /
        ``OSError`` for a file that cannot serve (the message is prefixed with the table).
    """

    defaults: WeightSource
    dists: tuple[str, ...]
    shape: bool = False
    layouts: tuple[str, ...] = ()
    check: Callable[[Path, str | None, str | None], None] = field(
        default=lambda path, match, layout: None
    )


def parse_weights(table: Any, keys: WeightKeys) -> WeightSource:
    """The ``weights`` sub-table of ``table`` (absent: ``keys.defaults``).

    Raises
    ------
    HwgenError
        ``file`` and ``dist`` together, file-only keys without a file, unknown keys, bad
        values, and the file check's errors; each at its key's ``file:line``.
    """
    sub = table.table("weights")
    d = keys.defaults
    if sub is None:
        return d
    synth = ["dist", "seed"] + (["k", "n"] if keys.shape else [])
    on_file = ["file", "match"] + (["layout"] if keys.layouts else [])
    allowed = synth + on_file
    if "file" in sub and "dist" in sub:
        raise sub.error("file", f"{sub.name} gives both file and dist; use one")
    if "file" in sub:
        for key in synth:
            if key in sub and key != "dist":
                raise sub.error(key, f"{sub.name} {key} applies to synthetic weights only")
        path = resolve_path(table, sub.str("file"))
        match = sub.str("match", None)
        layout = sub.str("layout", d.layout, choices=keys.layouts) if keys.layouts else None
        sub.finish(allowed)
        try:
            keys.check(path, match, layout)
            digest = file_sha256(path)
        except (HwgenError, OSError) as exc:
            raise sub.error("file", f"{sub.name} {exc}") from None
        return WeightSource(
            dist=None, file=str(path), match=match, layout=layout, file_sha256=digest
        )
    for key in on_file:
        if key in sub:
            raise sub.error(key, f"{sub.name} {key} applies to a weights file only")
    src = replace(
        d,
        dist=sub.str("dist", d.dist, choices=keys.dists),
        seed=sub.int("seed", d.seed, lo=0),
        k=sub.int("k", d.k, lo=1) if keys.shape else d.k,
        n=sub.int("n", d.n, lo=1) if keys.shape else d.n,
    )
    sub.finish(allowed)
    return src


@dataclass(frozen=True)
class ActivationSource:
    """Activations: a named distribution of ``tokens`` rows, or a file's matrix.

    ``channels`` is the width of operand-error activations (``None`` for a GEMM, whose K
    is the weights'); ``scaling`` names how the design scales them and ``group_size`` its
    groups (per-group / MX). A file (``.npy``/``.npz``, ``name`` = the npz member) is
    keyed by ``file_sha256``.
    """

    dist: str | None = "gaussian"
    seed: int = 1
    tokens: int = 128
    channels: int | None = None
    scaling: str = "per-token"
    group_size: int | None = None
    file: str | None = None
    name: str | None = None
    file_sha256: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form used in cache keys (no path)."""
        d: dict[str, Any] = {"scaling": self.scaling, "group_size": self.group_size}
        if self.file is not None:
            d.update(file_sha256=self.file_sha256, name=self.name)
        else:
            d.update(dist=self.dist, seed=self.seed, tokens=self.tokens)
            if self.channels is not None:
                d["channels"] = self.channels
        return d

    def describe(self) -> str:
        """One line for a ``source`` column."""
        if self.file is not None:
            member = f"[{self.name}]" if self.name else ""
            head = (
                f"activations {Path(self.file).name}{member} (sha256 {str(self.file_sha256)[:12]})"
            )
        else:
            shape = f"{self.tokens}x{self.channels}" if self.channels else f"{self.tokens} tokens"
            head = f"{self.dist} activations {shape}, seed {self.seed}"
        return f"{head}, {self.scaling} scaling"


@dataclass(frozen=True)
class ActivationKeys:
    """What a stage's ``activations`` table takes (see :class:`WeightKeys`).

    ``check`` is called with ``(path, name)`` on a file and returns nothing; ``None``
    means the stage takes no activation file.
    """

    defaults: ActivationSource
    dists: tuple[str, ...]
    scalings: tuple[str, ...]
    group_scalings: tuple[str, ...] = ()
    channels: bool = False
    check: Callable[[Path, str | None], None] | None = None


def parse_activations(table: Any, keys: ActivationKeys) -> ActivationSource:
    """The ``activations`` sub-table of ``table`` (absent: ``keys.defaults``).

    Raises
    ------
    HwgenError
        As :func:`parse_weights`; ``group_size`` with a scaling that has no groups.
    """
    sub = table.table("activations")
    d = keys.defaults
    if sub is None:
        return d
    synth = ["dist", "seed", "tokens"] + (["channels"] if keys.channels else [])
    on_file = ["file", "name"] if keys.check is not None else []
    common = ["scaling"] + (["group_size"] if keys.group_scalings else [])
    allowed = synth + on_file + common
    scaling = sub.str("scaling", d.scaling, choices=keys.scalings)
    group = sub.int("group_size", None, lo=1) if keys.group_scalings else None
    if group is not None and scaling not in keys.group_scalings:
        raise sub.error(
            "group_size",
            f"{sub.name} group_size applies to {' and '.join(keys.group_scalings)} scaling only",
        )
    if "file" in sub and keys.check is not None:
        for key in synth:
            if key in sub:
                raise sub.error(key, f"{sub.name} {key} applies to synthetic activations only")
        path = resolve_path(table, sub.str("file"))
        name = sub.str("name", None)
        sub.finish(allowed)
        try:
            keys.check(path, name)
            digest = file_sha256(path)
        except (HwgenError, OSError) as exc:
            raise sub.error("file", f"{sub.name} {exc}") from None
        return ActivationSource(
            dist=None, file=str(path), name=name, scaling=scaling, group_size=group,
            file_sha256=digest, tokens=0, seed=0,
        )  # fmt: skip
    if "name" in sub and keys.check is not None:
        raise sub.error("name", f"{sub.name} name applies to an activations file only")
    src = replace(
        d,
        dist=sub.str("dist", d.dist, choices=keys.dists),
        seed=sub.int("seed", d.seed, lo=0),
        tokens=sub.int("tokens", d.tokens, lo=1),
        channels=sub.int("channels", d.channels, lo=1) if keys.channels else d.channels,
        scaling=scaling,
        group_size=group,
    )
    sub.finish(allowed)
    return src
