"""Fast-model-only sweeps, vectorised: millions of design points in one evaluation.

A sweep whose stages are all ``fast_cost`` instances (``[stages] run = ["fast_cost"]``)
needs no tool and no design directory, so :func:`run_fast_sweep` evaluates it without
per-point tasks or cache records:

1. **Expansion by blocks.** The cross product is split into its *geometry* axes
   (``array``, ``rows``, ``cols``) and the rest. Each combination of the other axes is
   built once through :func:`hwgen.sweep.points.combination_point` (the same validation,
   constraints and skip rules as any sweep); its geometry variants are rows of one block
   (the configs differ only in ``rows`` / ``cols``, which :class:`~hwgen.design.array.ArrayConfig`
   validates on their own: every geometry value is checked once, with the first block).
   Point ids, module names and derived parameters of a block's rows are taken from
   templates derived from the block's own config and checked against a second config of
   the block built in full; a block whose templates do not check out, or a constraint
   that names a geometry parameter, is expanded point by point instead (same results,
   slower).
2. **Chunks.** The points, in spec order, are cut into chunks of :data:`CHUNK_POINTS`;
   each chunk's derived-parameter frame is priced by every target in one
   :func:`hwgen.costmodel.fast.estimate_many` call and stored as one Parquet file in
   ``DIR/cache/fast_sweep/`` named by the hash of its point ids, the fit ids and the model
   code. A killed run resumes from the chunks it finished; an unchanged re-run reads them.
3. **Outputs.** ``results.parquet`` and ``results.csv`` are written chunk by chunk (each
   atomically replaced at the end), with the same columns, types and values as the
   point-by-point path (``RunOptions(fast_path=False)``; a test compares them). The model
   gives no error column, so there is no Pareto front; ``report.html`` lists the
   :data:`REPORT_ROWS` cheapest points by the first area column and says so.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from hwgen.sweep.cache import atomic_write
from hwgen.sweep.points import (
    DesignPoint,
    SkippedPoint,
    canonical_json,
    combination_point,
    no_points,
)
from hwgen.sweep.results import STATUS, _config_columns, _typed, skipped_frame
from hwgen.sweep.versions import code_fingerprint

if TYPE_CHECKING:
    from hwgen.sweep.runner import RunOptions, SweepResult
    from hwgen.sweep.spec import SweepSpec

__all__ = ["CHUNK_POINTS", "REPORT_ROWS", "is_fast_only", "run_fast_sweep"]

CHUNK_POINTS = 131_072
"""Points per evaluated (and cached) chunk."""
REPORT_ROWS = 2000
"""Rows of ``report.html`` in a vectorised sweep (the tables are whole in the results files)."""
GEOMETRY = ("array", "rows", "cols")
"""Sweep parameters that only set an array's shape."""
_CHUNK_DIR = "fast_sweep"
_R, _C = "\x00R\x00", "\x00C\x00"


def is_fast_only(spec: SweepSpec) -> bool:
    """Whether every stage instance of ``spec`` is the fitted fast model."""
    return bool(spec.stages) and all(i.stage.name == "fast_cost" for i in spec.stages)


# ---------------------------------------------------------------------- expansion
@dataclass
class _Block:
    """Points that differ only in their geometry (or a single point)."""

    point: DesignPoint
    params: dict[str, Any]
    order: np.ndarray  # position of each point in the spec's order
    pairs: np.ndarray | None = None  # indexes into the geometry table; None: one point
    id_template: str = ""
    name_template: str = ""


@dataclass
class _Expansion:
    blocks: list[_Block]
    skipped: list[SkippedPoint]
    geo_rows: np.ndarray
    geo_cols: np.ndarray
    geo_params: pd.DataFrame  # geometry-dependent derived parameters per geometry pair
    total: int


def _identity_text(point: DesignPoint, config: Mapping[str, Any]) -> str:
    identity: dict[str, Any] = {"family": point.family, "config": dict(config)}
    if "a_format" not in config:
        identity["formats"] = list(point.operands)
    return canonical_json(identity)


def _fill(template: str, r: int, c: int) -> str:
    return template.replace(_R, str(r)).replace(_C, str(c))


class _Expander:
    """Builds the blocks of a spec (see the module docstring)."""

    def __init__(self, spec: SweepSpec) -> None:
        from hwgen.costmodel.fast.params import design_params

        self.spec = spec
        self.design_params = design_params
        self.blocks: list[_Block] = []
        self._skips: list[tuple[int, SkippedPoint]] = []
        self.pairs: dict[tuple[int, int], int] = {}  # (rows, cols) -> geometry index
        self.pair_ok: dict[tuple[int, int], bool] = {}
        self.geo_params: list[dict[str, Any]] = []
        self.geo_keys: tuple[str, ...] | None = None
        self.total = 0
        self._shape_key = 0
        self._shape_list: list[tuple[int, int]] = []

    def _skip(self, s: SkippedPoint, order: int) -> None:
        self._skips.append((order, s))

    def skipped(self) -> list[SkippedPoint]:
        """The skipped combinations in spec order, each once (as :func:`expand` lists them)."""
        seen: set[str] = set()
        out = []
        for _order, s in sorted(self._skips, key=lambda t: t[0]):
            key = canonical_json({"family": s.family, "items": dict(s.items)})
            if key not in seen:
                seen.add(key)
                out.append(s)
        return out

    def _single(self, values: Mapping[str, Any], origin: str, where: str, order: int) -> None:
        self.total += 1
        got = combination_point(self.spec, values, origin, where)
        if isinstance(got, SkippedPoint):
            self._skip(got, order)
        else:
            params = self.design_params(got.build())
            self.blocks.append(_Block(got, params, np.array([order], dtype=np.int64)))

    def run(self) -> _Expansion:
        spec = self.spec
        geo_axes = [a for a in spec.axes if a.name in GEOMETRY]
        other = [a for a in spec.axes if a.name not in GEOMETRY]
        geo_names = {a.name for a in geo_axes}
        rule_geo = any(set(r.match) & set(GEOMETRY) for r in spec.constraints.exclude)
        # Linear position of a combination in the spec's cross product (last axis fastest).
        sizes = [len(a.values) for a in spec.axes]
        strides = {
            a.name: int(np.prod(sizes[i + 1 :], dtype=np.int64)) for i, a in enumerate(spec.axes)
        }
        n_product = int(np.prod(sizes, dtype=np.int64)) if spec.axes else 0
        if spec.axes:
            where = spec.axes[0].where
            geo_idx = list(itertools.product(*(range(len(a.values)) for a in geo_axes)))
            geos = [
                {a.name: a.values[i] for a, i in zip(geo_axes, g, strict=True)} for g in geo_idx
            ]
            geo_pos = np.array(
                [
                    sum(i * strides[a.name] for a, i in zip(geo_axes, g, strict=True))
                    for g in geo_idx
                ],
                dtype=np.int64,
            )
            fixed_geo = {k: v for k, v in spec.fixed.items() if k in geo_names}
            fixed = {k: v for k, v in spec.fixed.items() if k not in geo_names}
            for combo in itertools.product(*(range(len(a.values)) for a in other)):
                base = {**fixed, **{a.name: a.values[i] for a, i in zip(other, combo, strict=True)}}
                pos = sum(i * strides[a.name] for a, i in zip(other, combo, strict=True))
                self._block(
                    base, [{**fixed_geo, **g} for g in geos], where, rule_geo, pos + geo_pos
                )
        for i, p in enumerate(spec.points):
            self._single({**spec.fixed, **p.values}, p.label, p.where, n_product + i)
        table = pd.DataFrame(self.geo_params, columns=list(self.geo_keys or ()))
        rows = np.array([rc[0] for rc in self.pairs], dtype=np.int64)
        cols = np.array([rc[1] for rc in self.pairs], dtype=np.int64)
        return _Expansion(self.blocks, self.skipped(), rows, cols, table, self.total)

    def _block(
        self,
        base: Mapping[str, Any],
        geos: list[dict[str, Any]],
        where: str,
        rule_geo: bool,
        order: np.ndarray,
    ) -> None:
        from hwgen.sweep.families import family

        if len(geos) <= 2 or rule_geo:
            for g, o in zip(geos, order.tolist(), strict=True):
                self._single({**base, **g}, "axes", where, o)
            return
        first = combination_point(self.spec, {**base, **geos[0]}, "axes", where)
        fam = family(first.family)
        if "rows" not in fam.keys():
            # A family without a shape: every geometry is this one point (or skip), which
            # expand() would keep once.
            self.total += len(geos)
            if isinstance(first, SkippedPoint):
                self._skip(first, int(order[0]))
            else:
                params = self.design_params(first.build())
                self.blocks.append(_Block(first, params, order[:1].copy()))
            return
        if isinstance(first, SkippedPoint):
            self._skipped_block(base, geos, where, order)
            return
        shapes = self._shapes(geos)
        idx = [
            self._pair(first, base, g, rc, where, o)
            for g, rc, o in zip(geos, shapes, order.tolist(), strict=True)
        ]
        good = [i for i in idx if i is not None]
        self.total += len(geos)
        if not good:
            return
        block = self._vector_block(first, base, geos, shapes, idx, where)
        if block is None:
            self.total -= len(geos)
            for g, o in zip(geos, order.tolist(), strict=True):
                self._single({**base, **g}, "axes", where, o)
            return
        block.order = order[[i is not None for i in idx]]
        self.blocks.append(block)

    def _shapes(self, geos: list[dict[str, Any]]) -> list[tuple[int, int]]:
        """(rows, cols) of every geometry (the same list for every block: computed once)."""
        from hwgen.sweep.params import config_items

        key = id(geos)
        if self._shape_key != key:
            self._shape_list = [
                (int(it["rows"]), int(it["cols"])) for it in map(config_items, geos)
            ]
            self._shape_key = key
        return self._shape_list

    def _skipped_block(
        self, base: Mapping[str, Any], geos: list[dict[str, Any]], where: str, order: np.ndarray
    ) -> None:
        """A block whose first point is skipped: every geometry's skip, built cheaply.

        With a shape the array accepts (known from an earlier block), a skip can only come
        from the rest of the point (an exclusion, or a MAC the family cannot build), so it
        has the same reason for every such shape; other shapes are evaluated one by one.
        """
        from hwgen.sweep.families import family
        from hwgen.sweep.params import config_items
        from hwgen.sweep.spec import DEFAULT_FAMILY

        shapes = self._shapes(geos)
        good = next((k for k, rc in enumerate(shapes) if self.pair_ok.get(rc)), None)
        ref = (
            None
            if good is None
            else combination_point(self.spec, {**base, **geos[good]}, "axes", where)
        )
        for g, rc, o in zip(geos, shapes, order.tolist(), strict=True):
            if not isinstance(ref, SkippedPoint) or not self.pair_ok.get(rc):
                self._single({**base, **g}, "axes", where, o)
                continue
            self.total += 1
            items = config_items({**base, **g})
            fam_name = items.pop("family", DEFAULT_FAMILY)
            keys = set(family(fam_name).sweep_keys())
            cfg = {k: v for k, v in items.items() if k in keys}
            self._skip(SkippedPoint(fam_name, cfg, ref.reason, "axes"), o)

    def _pair(
        self,
        first: DesignPoint,
        base: Mapping[str, Any],
        geo: Mapping[str, Any],
        rc: tuple[int, int],
        where: str,
        order: int,
    ) -> int | None:
        """Geometry index of ``rc`` (checked once), or None when it is skipped."""
        if rc not in self.pair_ok:
            got = combination_point(self.spec, {**base, **geo}, "axes", where)
            self.pair_ok[rc] = isinstance(got, DesignPoint)
            if isinstance(got, DesignPoint):
                params = self.design_params(got.build())
                ref = self.design_params(first.build())
                if self.geo_keys is None:
                    self.geo_keys = ("rows", "cols", "lanes")
                self.pairs[rc] = len(self.pairs)
                self.geo_params.append({k: params[k] for k in self.geo_keys})
                # Parameters that change with the shape must be among the geometry keys.
                moved = {k for k in params if params[k] != ref[k] and k != "design"}
                if not moved <= set(self.geo_keys):
                    raise AssertionError(f"derived parameters {sorted(moved)} depend on the shape")
        if not self.pair_ok[rc]:
            got = combination_point(self.spec, {**base, **geo}, "axes", where)
            if isinstance(got, SkippedPoint):
                self._skip(got, order)
            return None
        return self.pairs[rc]

    def _vector_block(
        self,
        first: DesignPoint,
        base: Mapping[str, Any],
        geos: list[dict[str, Any]],
        shapes: list[tuple[int, int]],
        idx: list[int | None],
        where: str,
    ) -> _Block | None:
        """The block of ``first``'s geometry variants, or None when a template fails."""
        r0, c0 = shapes[0]
        config = dict(first.config)
        if config.get("rows") != r0 or config.get("cols") != c0:
            return None
        id_template = _identity_text(first, {**config, "rows": _R, "cols": _C})
        # canonical_json escapes the sentinels; the template holds their JSON text.
        id_template = id_template.replace(json.dumps(_R), _R).replace(json.dumps(_C), _C)
        shape = f"{r0}x{c0}"
        if first.name.count(shape) != 1:
            return None
        name_template = first.name.replace(shape, f"{_R}x{_C}")
        # Check both templates on the last geometry, built in full.
        last = next((k for k in range(len(geos) - 1, 0, -1) if idx[k] is not None), None)
        if last is None:
            return None
        other = combination_point(self.spec, {**base, **geos[last]}, "axes", where)
        if not isinstance(other, DesignPoint):
            return None
        r1, c1 = shapes[last]
        if (
            _fill(name_template, r1, c1) != other.name
            or hashlib.sha256(_fill(id_template, r1, c1).encode("ascii")).hexdigest()
            != other.config_hash
            or dict(other.config) != {**config, "rows": r1, "cols": c1}
        ):
            return None
        params = self.design_params(first.build())
        pairs = np.array([i for i in idx if i is not None], dtype=np.int64)
        return _Block(first, params, np.empty(0, np.int64), pairs, id_template, name_template)


# ---------------------------------------------------------------------- the table
@dataclass
class _Points:
    """Every point of the sweep as (block, geometry) indexes, deduplicated, spec order."""

    block: np.ndarray
    geo: np.ndarray  # -1: the block's single point
    ids: np.ndarray
    names: np.ndarray


def _points(exp: _Expansion, limit: int | None) -> _Points:
    blocks, geos, ids, names, orders = [], [], [], [], []
    for b, blk in enumerate(exp.blocks):
        orders.append(blk.order)
        if blk.pairs is None:
            blocks.append(np.array([b]))
            geos.append(np.array([-1]))
            ids.append(np.array([blk.point.point_id], dtype=object))
            names.append(np.array([blk.point.name], dtype=object))
            continue
        rs, cs = exp.geo_rows[blk.pairs], exp.geo_cols[blk.pairs]
        sha = hashlib.sha256
        t, nt = blk.id_template, blk.name_template
        ids.append(
            np.array(
                [sha(_fill(t, r, c).encode("ascii")).hexdigest()[:12]
                 for r, c in zip(rs.tolist(), cs.tolist(), strict=True)],
                dtype=object,
            )
        )  # fmt: skip
        names.append(
            np.array(
                [_fill(nt, r, c) for r, c in zip(rs.tolist(), cs.tolist(), strict=True)],
                dtype=object,
            )
        )
        blocks.append(np.full(len(blk.pairs), b))
        geos.append(blk.pairs)
    perm = np.argsort(np.concatenate(orders), kind="stable")
    all_ids = np.concatenate(ids)[perm]
    keep = ~pd.Index(all_ids).duplicated(keep="first")
    if limit is not None:
        keep &= np.cumsum(keep) <= limit
    return _Points(
        block=np.concatenate(blocks)[perm][keep],
        geo=np.concatenate(geos)[perm][keep],
        ids=all_ids[keep],
        names=np.concatenate(names)[perm][keep],
    )


def _column_spec(spec: SweepSpec, exp: _Expansion, pts: _Points) -> tuple[list[str], list[str]]:
    used = sorted(set(pts.block.tolist()))
    config_cols = _config_columns([exp.blocks[b].point for b in used])
    stage_cols = [inst.column(c.key) for inst in spec.stages for c in inst.columns()]
    return config_cols, stage_cols


def _chunk_frame(
    spec: SweepSpec,
    exp: _Expansion,
    pts: _Points,
    sl: slice,
    config_cols: Sequence[str],
    dtypes: Mapping[str, Any],
) -> pd.DataFrame:
    """The results rows of points ``sl`` (every target priced in one call each)."""
    from hwgen.costmodel.fast.model import estimate_many
    from hwgen.costmodel.fast.params import ACTIVITY_COLUMNS, PARAM_COLUMNS

    bidx, gidx = pts.block[sl], pts.geo[sl]
    n = len(bidx)
    blocks = exp.blocks
    has_geo = gidx >= 0
    g = np.where(has_geo, gidx, 0)

    def per_block(values: list[Any], dtype: Any) -> pd.Series:
        s = pd.Series(values, dtype=dtype) if values else pd.Series([], dtype=dtype)
        return s.take(bidx).reset_index(drop=True)

    cols: dict[str, Any] = {
        "point_id": pd.array(pts.ids[sl], dtype="string"),
        "design": pd.array(pts.names[sl], dtype="string"),
        "family": per_block([b.point.family for b in blocks], "string"),
        "design_class": per_block([b.point.design_class for b in blocks], "string"),
        "origin": per_block([b.point.origin for b in blocks], "string"),
    }
    for k in config_cols:
        col = per_block([b.point.value(k) for b in blocks], dtypes[k])
        if k in ("rows", "cols") and len(exp.geo_rows):
            geo = exp.geo_rows if k == "rows" else exp.geo_cols
            vals = pd.array(geo[g], dtype=dtypes[k])
            col = col.where(~has_geo, pd.Series(vals))
        cols[k] = col
    cols["status"] = pd.array(["ok"] * n, dtype="string")
    for k in STATUS[1:]:
        cols[k] = pd.array([None] * n, dtype="string")
    # Derived parameters: the block's row, geometry columns from the geometry table.
    pmat = np.array([[b.params[c] for c in PARAM_COLUMNS] for b in blocks], dtype=np.int64)
    frame = pd.DataFrame(pmat[bidx], columns=list(PARAM_COLUMNS))
    # Operand activity depends on the formats only, never on the array shape.
    amat = np.array([[b.params[c] for c in ACTIVITY_COLUMNS] for b in blocks], dtype=np.float64)
    for j, act in enumerate(ACTIVITY_COLUMNS):
        frame[act] = amat[bidx, j]
    if len(exp.geo_params.columns):
        gmat = exp.geo_params.to_numpy(dtype=np.int64)[g]
        for j, c in enumerate(exp.geo_params.columns):
            frame[c] = np.where(has_geo, gmat[:, j], frame[c].to_numpy())
    for c in ("kind", "family", "a_format", "w_format"):
        frame[c] = np.array([b.params[c] for b in blocks], dtype=object)[bidx]
    frame["design"] = pts.names[sl]
    for inst in spec.stages:
        pred = estimate_many(frame, inst.options.target)
        if pred.attrs["fit_id"] != inst.options.fit_id:
            raise RuntimeError(f"fit for {inst.options.target} changed during the sweep")
        err = pred.attrs["model_error"]
        for c in inst.columns():
            name = inst.column(c.key)
            if c.key == "source":
                cols[name] = pd.array(pred["source"].astype(str), dtype="string")
            elif c.key in ("model_area_mape_pct", "model_spearman"):
                v = err["area_mape_pct" if c.key == "model_area_mape_pct" else "spearman"]
                cols[name] = pd.array([v] * n, dtype="Float64")
            elif c.key in pred:
                cols[name] = pd.array(pred[c.key].to_numpy(dtype=float), dtype="Float64")
            else:
                cols[name] = pd.array([None] * n, dtype="Float64")
    out = pd.DataFrame(cols)
    return out


def _dtypes(exp: _Expansion, pts: _Points, config_cols: Sequence[str]) -> dict[str, Any]:
    used = sorted(set(pts.block.tolist()))
    dtypes: dict[str, Any] = {}
    for k in config_cols:
        values = [exp.blocks[b].point.value(k) for b in used]
        if k in ("rows", "cols"):
            values += exp.geo_rows.tolist() if k == "rows" else exp.geo_cols.tolist()
        dtypes[k] = _typed(values).dtype
    return dtypes


# ---------------------------------------------------------------------- the run
def _chunk_key(spec: SweepSpec, ids: np.ndarray, config_cols: Sequence[str]) -> str:
    h = hashlib.sha256()
    h.update(
        json.dumps(
            {
                "stages": [[i.name, i.options.to_dict()] for i in spec.stages],
                "code": {m: code_fingerprint(m) for m in ("hwgen.costmodel.fast", __name__)},
                "columns": list(config_cols),
            },
            sort_keys=True,
        ).encode()
    )
    h.update("\n".join(ids.tolist()).encode("ascii"))
    return h.hexdigest()


class _Stream:
    """A file written in pieces, replacing ``path`` atomically when closed."""

    def __init__(self, path: Path) -> None:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        self.path, self.tmp = path, Path(tmp)
        self.f = os.fdopen(fd, "wb")
        self.digest = hashlib.sha256()

    def write(self, data: bytes) -> None:
        self.f.write(data)
        self.digest.update(data)

    def commit(self) -> str:
        self.f.flush()
        os.fsync(self.f.fileno())
        self.f.close()
        os.chmod(self.tmp, 0o644)
        os.replace(self.tmp, self.path)
        return self.digest.hexdigest()

    def abort(self) -> None:
        self.f.close()
        self.tmp.unlink(missing_ok=True)


def _chunks(n: int) -> Iterator[slice]:
    for start in range(0, n, CHUNK_POINTS):
        yield slice(start, min(n, start + CHUNK_POINTS))


def run_fast_sweep(
    spec: SweepSpec, out: Path, opts: RunOptions, versions: Mapping[str, str], t0: float
) -> SweepResult:
    """Run a fast-model-only sweep (see the module docstring) into ``out``.

    Called by :func:`hwgen.sweep.runner.run_sweep`, which has checked the output
    directory; ``SweepResult.points`` and ``outcomes`` are empty (the table holds every
    point).
    """
    import pyarrow as pa  # type: ignore[import-untyped]
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    from hwgen.sweep.cache import Cache
    from hwgen.sweep.runner import RunStats, SweepResult, _locked, _outputs_unchanged

    exp = _Expander(spec).run()
    if not exp.blocks:
        no_points(spec, exp.total, exp.skipped)
    pts = _points(exp, opts.limit)
    config_cols, _stage_cols = _column_spec(spec, exp, pts)
    dtypes = _dtypes(exp, pts, config_cols)
    skipped_table = skipped_frame(exp.skipped)
    computed = {i.name: 0 for i in spec.stages}
    with _locked(out, spec):
        Cache(out / "cache").remove_stale_temp()
        chunk_dir = out / "cache" / _CHUNK_DIR
        chunk_dir.mkdir(parents=True, exist_ok=True)
        for stale in chunk_dir.glob(".*.tmp"):
            stale.unlink(missing_ok=True)
        keys, frames = [], []
        cached = 0
        for sl in _chunks(len(pts.ids)):
            key = _chunk_key(spec, pts.ids[sl], config_cols)
            keys.append(key)
            path = chunk_dir / f"{key}.parquet"
            frame = None
            if path.is_file():
                try:
                    frame = pd.read_parquet(path, engine="pyarrow", dtype_backend="numpy_nullable")
                    cached += len(frame)
                except (OSError, ValueError, pa.ArrowException):
                    frame = None
            if frame is None:
                frame = _chunk_frame(spec, exp, pts, sl, config_cols, dtypes)
                buf = pa.BufferOutputStream()
                pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), buf)
                atomic_write(path, buf.getvalue().to_pybytes())
                for name in computed:
                    computed[name] += len(frame)
            frames.append(frame)
        inputs = hashlib.sha256(
            json.dumps(
                {
                    "chunks": keys,
                    "skipped": hashlib.sha256(
                        skipped_table.to_csv(index=False).encode()
                    ).hexdigest(),
                    "spec": spec.text_sha256,
                    "versions": dict(versions),
                    "code": {m: code_fingerprint(m) for m in ("hwgen.sweep",)},
                },
                sort_keys=True,
            ).encode()
        ).hexdigest()
        paths = _outputs_unchanged(out, inputs)
        rewritten = paths is None
        if paths is None:
            paths = _write(out, spec, frames, skipped_table, versions, inputs, len(pts.ids))
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    stats = RunStats(
        points=len(pts.ids),
        skipped=len(exp.skipped),
        from_cache=cached,
        evaluated=len(pts.ids) - cached,
        computed=computed,
        failed=0,
        seconds=time.perf_counter() - t0,
        executor=f"vectorised fast model ({len(keys)} chunk(s), this process)",
        outputs_rewritten=rewritten,
    )
    return SweepResult(
        spec=spec,
        out_dir=out,
        points=(),
        skipped=tuple(exp.skipped),
        outcomes={},
        table=table,
        skipped_table=skipped_table,
        fronts=(),
        paths=paths,
        versions=versions,
        stats=stats,
    )


def _write(
    out: Path,
    spec: SweepSpec,
    frames: Sequence[pd.DataFrame],
    skipped: pd.DataFrame,
    versions: Mapping[str, str],
    inputs: str,
    n: int,
) -> dict[str, Path]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from hwgen.sweep.report import render_report
    from hwgen.sweep.runner import OUTPUTS, _csv

    files: dict[str, tuple[str, str]] = {}
    csv = _Stream(out / "results.csv")
    parquet = _Stream(out / "results.parquet")
    try:
        writer = None
        for i, frame in enumerate(frames):
            # Object columns write the same text as the typed ones, in 2/3 of the time.
            plain = frame.astype(object).where(frame.notna(), None)
            text = plain.to_csv(index=False, header=i == 0, lineterminator="\n")
            csv.write(text.encode("utf-8"))
            t = pa.Table.from_pandas(frame, preserve_index=False)
            if writer is None:
                writer = pq.ParquetWriter(parquet.f, t.schema)
            writer.write_table(t)
        if writer is not None:
            writer.close()
    except BaseException:
        csv.abort()
        parquet.abort()
        raise
    files["results_csv"] = ("results.csv", csv.commit())
    # ParquetWriter wrote through the file object: hash the file as written.
    parquet.f.flush()
    name = parquet.path.name
    parquet.commit()
    files["results_parquet"] = (name, hashlib.sha256((out / name).read_bytes()).hexdigest())
    skipped_csv = _csv(skipped)
    atomic_write(out / "skipped.csv", skipped_csv)
    files["skipped_csv"] = ("skipped.csv", hashlib.sha256(skipped_csv).hexdigest())
    for old in out.glob("pareto_*.*"):
        old.unlink()
    head = _report_rows(spec, frames)
    counts = {"points": n, "ok": n, "failed": 0, "skipped": len(skipped)}
    note = (
        f"{n:,} design points, priced by the fitted fast model only (no Pareto front: the"
        " model gives no error column); the results table below holds the"
        f" {len(head):,} cheapest by {head.attrs.get('by', 'spec order')} and the skipped"
        f" table the first {min(len(skipped), REPORT_ROWS):,} of {len(skipped):,};"
        " results.csv, results.parquet and skipped.csv hold them all."
    )
    html = render_report(
        spec, head, skipped.head(REPORT_ROWS), (), {}, versions=versions, counts=counts, note=note
    )
    atomic_write(out / "report.html", html)
    files["report"] = ("report.html", hashlib.sha256(html.encode("utf-8")).hexdigest())
    record = {"inputs_sha256": inputs, "files": {k: [nm, d] for k, (nm, d) in files.items()}}
    atomic_write(out / OUTPUTS, json.dumps(record, indent=1, sort_keys=True) + "\n")
    return {k: out / nm for k, (nm, _d) in files.items()}


def _report_rows(spec: SweepSpec, frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """The :data:`REPORT_ROWS` cheapest points by the first area column (else the first)."""
    area = next(
        (i.column(c.key) for i in spec.stages for c in i.columns() if c.role == "area"), None
    )
    best = []
    for f in frames:
        best.append(f.nsmallest(REPORT_ROWS, area) if area in f else f.head(REPORT_ROWS))
    if not best:
        return pd.DataFrame()
    head = pd.concat(best, ignore_index=True)
    head = head.nsmallest(REPORT_ROWS, area) if area in head else head.head(REPORT_ROWS)
    head = head.reset_index(drop=True)
    head.attrs["by"] = area or "spec order"
    return head
