"""The stage cache: keys depend on exactly their inputs; records are atomic and checked."""

from __future__ import annotations

import dataclasses
import os

from hwgen.sweep.cache import Cache, Record, atomic_write, stage_key
from hwgen.sweep.points import DesignPoint
from hwgen.sweep.stages import STAGES


def _point(**over) -> DesignPoint:
    config = {
        "a_format": "int4", "w_format": "int4", "max_terms": 64, "acc_bits": None,
        "overflow": "exact", "stages": 0, "multiplier": "exact", "out_format": None,
    }  # fmt: skip
    config.update(over)
    return DesignPoint("mac", config, "mac_x", "int", "axes")


def _inst(name: str, **opts):
    stage = STAGES[name]
    options = stage.parse(None)
    if opts:
        options = dataclasses.replace(options, **opts)
    return stage.instances(options)[0]


def test_keys_follow_the_inputs_a_stage_declares():
    acc = _inst("accuracy")
    # accuracy reads the formats only: another accumulator shares its record
    assert stage_key(acc, _point(), {}) == stage_key(acc, _point(acc_bits=20, stages=2), {})
    assert stage_key(acc, _point(), {}) != stage_key(acc, _point(w_format="int8"), {})
    gen = _inst("generate")
    assert stage_key(gen, _point(), {}) != stage_key(gen, _point(stages=1), {})
    ver = _inst("verify")
    up = {"generate": "a" * 64}
    assert stage_key(ver, _point(), up) != stage_key(ver, _point(), {"generate": "b" * 64})
    assert stage_key(ver, _point(), up) != stage_key(_inst("verify", seed=1), _point(), up)


def test_records_round_trip_and_bad_files_are_misses(tmp_path):
    cache = Cache(tmp_path)
    rec = Record("lint", "k" * 64, "p", "ok", {"clean": True, "source": "x"}, None, 0.5)
    path = cache.put(rec)
    assert cache.get("lint", "k" * 64) == rec
    path.write_text(path.read_text()[:-20])  # a torn file (never written by put)
    assert cache.get("lint", "k" * 64) is None
    assert cache.get("lint", "z" * 64) is None
    other = dataclasses.replace(rec, key="q" * 64)
    p2 = cache.path("lint", "k" * 64)
    p2.write_text(other.to_json())  # a record under the wrong key
    assert cache.get("lint", "k" * 64) is None


def test_atomic_write_leaves_no_temp_and_prune_keeps_what_is_used(tmp_path):
    target = tmp_path / "a" / "b.json"
    atomic_write(target, "1")
    atomic_write(target, "2")
    assert target.read_text() == "2"
    assert os.listdir(target.parent) == ["b.json"]
    cache = Cache(tmp_path / "c")
    keep = cache.put(Record("s", "a" * 64, "p", "ok", {"source": "x"}, None, 0.0))
    cache.put(Record("s", "b" * 64, "p", "ok", {"source": "y"}, None, 0.0))
    (keep.parent / ".x.json.123.tmp").write_text("torn")
    assert cache.remove_stale_temp() == 1
    assert cache.prune([keep]) == 1
    assert [p.name for p in (tmp_path / "c").rglob("*.json")] == [keep.name]
