"""Pack per-lane codes into wide bus integers and unpack wide integers into lanes.

A harness bus carries ``lanes`` fields of ``width`` bits, lane ``i`` in bits
``[i*width, (i+1)*width)`` (the same layout as the array ports in ``docs/hardware.md``).
The simulator loop only moves one Python ``int`` per bus per clock; all bit fiddling is
done here, vectorised with numpy, before and after the run.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from hwgen.errors import HwgenError

# Rows are converted in chunks so the intermediate bit matrix (rows x lanes x width bytes)
# stays small even for 100k-clock runs of a 64-lane, 64-bit-accumulator harness.
_CHUNK_BITS = 1 << 24


def _chunk_rows(row_bits: int) -> int:
    return max(1, _CHUNK_BITS // max(row_bits, 1))


def pack_lanes(codes: npt.ArrayLike, *, width: int) -> list[int]:
    """Pack a ``(rows, lanes)`` array of unsigned fields into one integer per row.

    Parameters
    ----------
    codes
        Non-negative integers < ``2**width``, shape ``(rows, lanes)``.
    width
        Field width in bits (1..64).

    Returns
    -------
    list of int
        ``rows`` integers; lane ``i`` of a row occupies bits ``[i*width, (i+1)*width)``.
    """
    if not 1 <= width <= 64:
        raise HwgenError(f"width must be in 1..64, not {width}")
    c = np.asarray(codes)
    if c.ndim != 2:
        raise HwgenError(f"codes must be 2-D (rows, lanes), not {c.ndim}-D")
    c = c.astype(np.uint64, copy=False)
    rows, lanes = c.shape
    if c.size and int(c.max()) >> width:
        raise HwgenError(f"codes must be < 2**{width}, not {int(c.max())}")
    shifts = np.arange(width, dtype=np.uint64)
    out: list[int] = []
    step = _chunk_rows(lanes * width)
    for start in range(0, rows, step):
        block = c[start : start + step]
        bits = ((block[..., None] >> shifts) & np.uint64(1)).astype(np.uint8)
        packed = np.packbits(bits.reshape(block.shape[0], lanes * width), axis=1, bitorder="little")
        out.extend(int.from_bytes(row.tobytes(), "little") for row in packed)
    return out


def ints_to_bytes(values: Sequence[int], *, bits: int) -> npt.NDArray[np.uint8]:
    """Little-endian byte matrix ``(len(values), ceil(bits/8))`` of non-negative integers."""
    nbytes = max(1, (bits + 7) // 8)
    raw = b"".join(int(v).to_bytes(nbytes, "little") for v in values)
    return np.frombuffer(raw, dtype=np.uint8).reshape(len(values), nbytes).copy()


def unpack_lanes(
    buf: npt.NDArray[np.uint8], *, lanes: int, width: int, signed: bool
) -> npt.NDArray[np.int64] | npt.NDArray[np.object_]:
    """Split a byte matrix of bus values into ``lanes`` fields of ``width`` bits.

    Parameters
    ----------
    buf
        ``(rows, nbytes)`` little-endian bus values (see :func:`ints_to_bytes`).
    lanes, width
        Bus layout (see :func:`pack_lanes`).
    signed
        Read each field as two's complement.

    Returns
    -------
    numpy.ndarray
        Shape ``(rows, lanes)``: ``int64`` when a field fits (``width <= 63``, or 64 and
        signed), else an object array of exact Python ints.
    """
    if lanes < 1 or width < 1:
        raise HwgenError(f"lanes and width must be >= 1, not lanes={lanes}, width={width}")
    buf = np.asarray(buf, dtype=np.uint8)
    total = lanes * width
    if buf.ndim != 2 or buf.shape[1] * 8 < total:
        raise HwgenError(f"buffer of shape {buf.shape} cannot hold {lanes} x {width} bits per row")
    rows = buf.shape[0]
    wide = width > 64 or (width == 64 and not signed)
    result = np.empty((rows, lanes), dtype=object if wide else np.int64)
    step = _chunk_rows(total)
    for start in range(0, rows, step):
        chunk = buf[start : start + step]
        n = chunk.shape[0]
        bits = np.unpackbits(chunk, axis=1, bitorder="little")[:, :total].reshape(n, lanes, width)
        if not wide:
            # Bit weights; in two's complement the sign bit weighs -2**(width-1) (for
            # width 64 the int64 shift wraps to exactly that value).
            weights = np.left_shift(np.int64(1), np.arange(width, dtype=np.int64))
            if signed and width < 64:
                weights[-1] = -weights[-1]
            result[start : start + n] = bits.astype(np.int64) @ weights
            continue
        field = np.zeros((n, lanes), dtype=object)
        for lo in range(0, width, 32):
            hi = min(width, lo + 32)
            w = np.left_shift(np.int64(1), np.arange(hi - lo, dtype=np.int64))
            part = bits[:, :, lo:hi].astype(np.int64) @ w
            field = field + (part.astype(object) << lo)
        if signed:
            neg = bits[:, :, width - 1].astype(bool)
            field[neg] = field[neg] - (1 << width)
        result[start : start + n] = field
    return result
