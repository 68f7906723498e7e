"""Bus packing: per-lane fields <-> one wide integer per clock."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hwgen.errors import HwgenError
from hwgen.sim.packing import ints_to_bytes, pack_lanes, unpack_lanes


def test_lane_layout_is_little_endian_by_lane() -> None:
    # Lane 0 in the low bits, as docs/hardware.md specifies for array buses.
    assert pack_lanes(np.array([[0x1, 0x2, 0x3]]), width=4) == [0x321]
    assert pack_lanes(np.array([[1, 0, 1, 1]]), width=1) == [0b1101]


@settings(max_examples=60, deadline=None)
@given(
    width=st.integers(1, 64),
    lanes=st.integers(1, 9),
    rows=st.integers(0, 7),
    seed=st.integers(0, 2**32 - 1),
)
def test_pack_unpack_round_trip(width: int, lanes: int, rows: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, 2**width, size=(rows, lanes), dtype=np.uint64, endpoint=False)
    packed = pack_lanes(codes, width=width)
    expected = [sum(int(c) << (i * width) for i, c in enumerate(row)) for row in codes]
    assert packed == expected
    buf = ints_to_bytes(packed, bits=lanes * width)
    back = unpack_lanes(buf, lanes=lanes, width=width, signed=False)
    assert [[int(x) for x in r] for r in back] == [[int(x) for x in r] for r in codes]


@settings(max_examples=60, deadline=None)
@given(
    width=st.integers(1, 130),
    lanes=st.integers(1, 5),
    data=st.data(),
)
def test_signed_unpack_matches_twos_complement(width: int, lanes: int, data: st.DataObject) -> None:
    vals = data.draw(
        st.lists(
            st.lists(st.integers(-(2 ** (width - 1)), 2 ** (width - 1) - 1), min_size=lanes,
                     max_size=lanes),
            min_size=1, max_size=4,
        )
    )  # fmt: skip
    mask = (1 << width) - 1
    ints = [sum((v & mask) << (i * width) for i, v in enumerate(row)) for row in vals]
    got = unpack_lanes(ints_to_bytes(ints, bits=lanes * width), lanes=lanes, width=width,
                       signed=True)  # fmt: skip
    assert [[int(x) for x in r] for r in got] == vals
    # int64 whenever a signed field fits, exact Python ints beyond.
    assert got.dtype == (np.int64 if width <= 64 else object)


def test_pack_rejects_bad_input() -> None:
    with pytest.raises(HwgenError, match=r"^width must be in 1\.\.64, not 0$"):
        pack_lanes(np.zeros((1, 1)), width=0)
    with pytest.raises(HwgenError, match=r"^codes must be < 2\*\*4, not 16$"):
        pack_lanes(np.array([[16]]), width=4)
    with pytest.raises(HwgenError, match=r"^codes must be 2-D \(rows, lanes\), not 1-D$"):
        pack_lanes(np.array([1, 2]), width=4)


def test_unpack_rejects_short_buffer() -> None:
    with pytest.raises(HwgenError, match=r"cannot hold 3 x 8 bits per row"):
        unpack_lanes(np.zeros((2, 2), dtype=np.uint8), lanes=3, width=8, signed=False)
