"""Packed weight-SRAM image of BitMoD-quantized weights, and float weights -> it -> GEMM.

Binary layout (little-endian throughout; ``docs/bitmod.md``, "Weight SRAM image")::

    offset  size  field
    0       4     magic b"HWBM"
    4       2     version (1)
    6       2     group_size G
    8       4     rows N (output channels)
    12      4     K (input channels, a multiple of G)
    16      4     special-value register, 4 x int8 (two's complement, code units)
    20      12    reserved, zero
    32      8 N   per-row float scale, float64
    then, row by row, group by group along K:
            1     group scale, unsigned INT8 code
            1     bits 0-2 datatype code, bits 3-4 selector, bits 5-7 zero
            ceil(G * bits / 8)  the group's codes: code k at bit offset k * bits of the
                  payload, least significant bit first (payload bit j = byte j // 8,
                  bit j % 8); padding bits zero

SRAM holds weight *codes* (4 bits per FP4 weight), not terms: the term encoder sits between
the SRAM and the PEs (BitMoD shares one encoder per tile), and a term stream would need
4 bits per term, twice the storage for FP4.

Value of weight ``k`` of row ``n``: ``row_scale[n] * scale[n, g] * w`` with ``w`` the code's
value in code units (:func:`~hwgen.golden.bitmod.terms.weight_values`).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from hwgen.errors import HwgenError
from hwgen.golden.bitmod.config import (
    MAX_GROUP_SIZE,
    BitmodPEParams,
    WeightType,
    default_special_values,
)
from hwgen.golden.bitmod.pe import GroupResults, bitmod_gemm
from hwgen.golden.bitmod.terms import check_specials, weight_values

__all__ = [
    "HEADER_BYTES",
    "MAGIC",
    "VERSION",
    "PackedWeights",
    "gemm_from_floats",
    "pack",
    "quantize_weights",
    "unpack",
]

MAGIC = b"HWBM"
VERSION = 1
HEADER_BYTES = 32
_HEADER = struct.Struct("<4sHHII4b12x")
_QUANT_TYPES = ("bitmod_fp4", "bitmod_fp3", "int8", "int6", "int4", "int3")


def _payload_bytes(group_size: int, bits: int) -> int:
    return -(-group_size * bits // 8)


@dataclass(frozen=True)
class PackedWeights:
    """BitMoD-quantized weights ``W[N, K]`` with their group metadata.

    Attributes
    ----------
    codes
        ``(N, K)`` ``uint8`` codes, each group in its datatype's layout.
    wtypes, selectors, scales
        ``(N, K / G)`` ``uint8``: datatype code, special-value selector, INT8 scale code.
    row_scales
        ``(N,)`` float64 per-output-channel scale.
    specials
        The special-value register content (code units).
    group_size
        ``G``.
    """

    codes: np.ndarray
    wtypes: np.ndarray
    selectors: np.ndarray
    scales: np.ndarray
    row_scales: np.ndarray
    specials: tuple[int, int, int, int]
    group_size: int

    def __post_init__(self) -> None:
        g = self.group_size
        if isinstance(g, bool) or not isinstance(g, int) or not 1 <= g <= MAX_GROUP_SIZE:
            raise HwgenError(f"group_size must be an integer in 1..{MAX_GROUP_SIZE}, not {g!r}")
        object.__setattr__(self, "specials", check_specials(self.specials))
        codes = np.asarray(self.codes)
        if codes.ndim != 2 or codes.shape[1] % g:
            raise HwgenError(f"codes must be (N, K) with K a multiple of {g}, not {codes.shape}")
        n, k = codes.shape
        meta_shape = (n, k // g)
        arrays = {}
        for name in ("codes", "wtypes", "selectors", "scales"):
            a = np.asarray(getattr(self, name))
            if not np.issubdtype(a.dtype, np.integer):
                raise HwgenError(f"{name} must be integers, not dtype {a.dtype}")
            if name != "codes" and a.shape != meta_shape:
                raise HwgenError(f"{name} must have shape {meta_shape}, not {a.shape}")
            arrays[name] = a
        if arrays["scales"].size and (arrays["scales"].min() < 0 or arrays["scales"].max() > 255):
            raise HwgenError("scales must be unsigned INT8 codes in 0..255")
        if arrays["selectors"].size and (
            arrays["selectors"].min() < 0 or arrays["selectors"].max() > 3
        ):
            raise HwgenError("selectors must be in 0..3")
        wt = arrays["wtypes"]
        known = [w.code for w in WeightType]
        if wt.size and not np.isin(wt, known).all():
            bad = int(wt[~np.isin(wt, known)].ravel()[0])
            raise HwgenError(f"datatype code {bad} names no datatype (allowed 0..5)")
        for w in WeightType:
            mine = np.repeat(wt == w.code, g, axis=1)
            if mine.any() and (codes[mine].min() < 0 or codes[mine].max() >= 1 << w.bits):
                raise HwgenError(f"codes of {w.value} groups must be in 0..{(1 << w.bits) - 1}")
        rs = np.asarray(self.row_scales, dtype=np.float64)
        if rs.shape != (n,) or not np.all(np.isfinite(rs)):
            raise HwgenError(f"row_scales must be {n} finite floats")
        for name, a in arrays.items():
            frozen = a.astype(np.uint8)
            frozen.setflags(write=False)
            object.__setattr__(self, name, frozen)
        rs = rs.copy()
        rs.setflags(write=False)
        object.__setattr__(self, "row_scales", rs)

    @property
    def shape(self) -> tuple[int, int]:
        """``(N, K)``."""
        return self.codes.shape

    def weight_values(self) -> np.ndarray:
        """``(N, K)`` ``int64`` weight values in code units (before any scale)."""
        g = self.group_size
        out = np.zeros(self.codes.shape, dtype=np.int64)
        sel = np.repeat(self.selectors, g, axis=1)
        for w in WeightType:
            mine = np.repeat(self.wtypes == w.code, g, axis=1)
            if mine.any():
                out[mine] = weight_values(
                    self.codes[mine], w, selector=sel[mine], specials=self.specials
                )
        return out

    def dequant(self) -> np.ndarray:
        """``(N, K)`` float64 weights: ``row_scale * scale * value``."""
        g = self.group_size
        s = np.repeat(self.scales.astype(np.float64), g, axis=1)
        return self.row_scales[:, None] * (s * self.weight_values())


def pack(pw: PackedWeights) -> bytes:
    """The SRAM image of ``pw`` (layout in the module docstring)."""
    n, k = pw.shape
    g = pw.group_size
    ng = k // g
    head = _HEADER.pack(MAGIC, VERSION, g, n, k, *pw.specials)
    sizes = np.zeros((n, ng), dtype=np.int64)
    for w in WeightType:
        sizes[pw.wtypes == w.code] = 2 + _payload_bytes(g, w.bits)
    offsets = np.concatenate(([0], np.cumsum(sizes.ravel())[:-1])).reshape(n, ng)
    body = np.zeros(int(sizes.sum()), dtype=np.uint8)
    body[offsets] = pw.scales
    body[offsets + 1] = pw.wtypes | (pw.selectors << 3)
    grouped = pw.codes.reshape(n, ng, g)
    for w in WeightType:
        mine = pw.wtypes == w.code
        if not mine.any():
            continue
        c = grouped[mine].astype(np.uint16)  # (m, g)
        bits = ((c[:, :, None] >> np.arange(w.bits)) & 1).astype(np.uint8).reshape(len(c), -1)
        payload = np.packbits(bits, axis=1, bitorder="little")
        idx = offsets[mine][:, None] + 2 + np.arange(payload.shape[1])
        body[idx] = payload
    return head + pw.row_scales.astype("<f8").tobytes() + body.tobytes()


def unpack(data: bytes) -> PackedWeights:
    """Read an SRAM image written by :func:`pack` (every field validated).

    Raises
    ------
    HwgenError
        Wrong magic or version, truncated or overlong data, non-zero reserved bits, or a
        datatype code that names no datatype.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise HwgenError(f"an SRAM image must be bytes, not {type(data).__name__}")
    buf = bytes(data)
    if len(buf) < HEADER_BYTES:
        raise HwgenError(f"SRAM image is truncated: {len(buf)} bytes, header needs 32")
    magic, version, g, n, k, *sv = _HEADER.unpack_from(buf)
    if magic != MAGIC:
        raise HwgenError(f"not a BitMoD SRAM image: magic {magic!r}, expected {MAGIC!r}")
    if version != VERSION:
        raise HwgenError(f"SRAM image version {version} is not supported (only {VERSION})")
    if any(buf[20:HEADER_BYTES]):
        raise HwgenError("SRAM image header has non-zero reserved bytes 20..31")
    if g < 1 or k % g:
        raise HwgenError(f"SRAM image: K={k} is not a multiple of group_size={g}")
    ng = k // g
    pos = HEADER_BYTES + 8 * n
    if len(buf) < pos:
        raise HwgenError("SRAM image is truncated inside the row scales")
    row_scales = np.frombuffer(buf, dtype="<f8", count=n, offset=HEADER_BYTES).astype(np.float64)
    codes = np.zeros((n, k), dtype=np.uint8)
    meta = np.zeros((3, n, ng), dtype=np.uint8)
    sizes = {w.code: _payload_bytes(g, w.bits) for w in WeightType}
    for r in range(n):
        for gi in range(ng):
            if pos + 2 > len(buf):
                raise HwgenError(f"SRAM image is truncated at row {r}, group {gi}")
            scale, info = buf[pos], buf[pos + 1]
            code, sel = info & 7, (info >> 3) & 3
            if info >> 5:
                raise HwgenError(f"row {r}, group {gi}: reserved bits 5..7 are not zero")
            if code not in sizes:
                raise HwgenError(f"row {r}, group {gi}: datatype code {code} names no datatype")
            bits = WeightType.from_code(code).bits
            size = sizes[code]
            if pos + 2 + size > len(buf):
                raise HwgenError(f"SRAM image is truncated at row {r}, group {gi}")
            payload = np.frombuffer(buf, dtype=np.uint8, count=size, offset=pos + 2)
            unpacked = np.unpackbits(payload, bitorder="little")[: g * bits].reshape(g, bits)
            codes[r, gi * g : (gi + 1) * g] = (unpacked.astype(np.uint16) << np.arange(bits)).sum(
                axis=1
            )
            meta[:, r, gi] = (code, sel, scale)
            pos += 2 + size
    if pos != len(buf):
        raise HwgenError(f"SRAM image has {len(buf) - pos} trailing bytes")
    return PackedWeights(
        codes=codes,
        wtypes=meta[0],
        selectors=meta[1],
        scales=meta[2],
        row_scales=row_scales,
        specials=tuple(sv),
        group_size=g,
    )


def _int8_second_level(scales: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Group scales -> (INT8 codes 1..255, per-row scale): ``row = max / 255``.

    The rule of :func:`hwgen.quant.quantize_bitmod` (``second_level_int8``).
    """
    row = np.max(scales, axis=1) / 255.0
    codes = np.clip(np.rint(scales / row[:, None]), 1, 255)
    return codes.astype(np.uint8), row


def quantize_weights(w: npt.ArrayLike, weight_type: str, *, group_size: int = 128) -> PackedWeights:
    """Quantize float weights ``W[N, K]`` (groups along K) for the BitMoD PE.

    ``bitmod_fp4`` / ``bitmod_fp3``: :func:`hwgen.quant.quantize_bitmod` with
    INT8 second-level scales (per-group variant = selector; the register holds the
    mixture's extra values). ``int8`` .. ``int3``: symmetric absmax groups
    (:func:`~hwgen.quant.quantize_groups`) with the same INT8 second level, the
    codes re-rounded against the stored scale.

    The per-row float scale is recovered from ``quantize_bitmod``'s result as
    ``scales / scale_codes`` of the row's largest-code group (the row's ``max / 255``).
    """
    from hwgen.formats import get_format
    from hwgen.quant import quantize_bitmod, quantize_groups

    x = np.asarray(w, dtype=np.float64)
    if x.ndim != 2:
        raise HwgenError(f"weights must be a 2-d (N, K) array, not shape {x.shape}")
    if weight_type not in _QUANT_TYPES:
        raise HwgenError(
            f"weight_type must be one of {', '.join(_QUANT_TYPES)}, not {weight_type!r}"
        )
    n = x.shape[0]
    if weight_type.startswith("bitmod_"):
        q = quantize_bitmod(x, weight_type, group_size=group_size, second_level_int8=True)
        assert q.scale_codes is not None and q.selector is not None
        top = np.argmax(q.scale_codes, axis=1)
        rows = np.arange(n)
        row = q.scales[rows, top] / q.scale_codes[rows, top]
        wt = WeightType(weight_type.removeprefix("bitmod_"))
        return PackedWeights(
            codes=q.codes,
            wtypes=np.full(q.selector.shape, wt.code),
            selectors=q.selector,
            scales=q.scale_codes,
            row_scales=row,
            specials=default_special_values(weight_type),
            group_size=group_size,
        )
    fmt = get_format(weight_type)
    q = quantize_groups(x, fmt, group_size=group_size)
    codes8, row = _int8_second_level(q.scales)
    stored = np.repeat(codes8 * row[:, None], group_size, axis=1)
    codes = fmt.encode(x / stored, saturate=True)
    return PackedWeights(
        codes=codes,
        wtypes=np.full(codes8.shape, WeightType(weight_type).code),
        selectors=np.zeros(codes8.shape, dtype=np.uint8),
        scales=codes8,
        row_scales=row,
        specials=default_special_values(),
        group_size=group_size,
    )


def gemm_from_floats(
    cfg: BitmodPEParams, a_codes: npt.ArrayLike, pw: PackedWeights
) -> tuple[GroupResults, np.ndarray]:
    """What the hardware computes for ``A @ W.T`` with weights ``pw``.

    Returns the per-group PE outputs ``(M, N, K / G)`` and ``Y[M, N]`` in float64: each
    output channel's group results summed (exactly, then rounded once) times its row scale.
    """
    if pw.group_size != cfg.group_size:
        raise HwgenError(
            f"weights were packed with group_size {pw.group_size}, the PE has {cfg.group_size}"
        )
    res = bitmod_gemm(
        cfg, a_codes, pw.codes, pw.wtypes, pw.selectors, pw.scales, specials=pw.specials
    )
    man = res.man.astype(object)
    shift = res.exp.astype(object)
    # Exact sum over groups on a common grid (exponents are small non-negative ints).
    total = (man << shift).sum(axis=-1)
    y = np.ldexp(total.astype(np.float64), res.lsb_exp) * pw.row_scales[None, :]
    bad = res.flags.any(axis=-1)
    if bad.any():
        y = np.where(bad, res.to_float().sum(axis=-1), y)
    return res, y
