"""The format registry: every name hwgen knows, resolved to one frozen format object.

Fixed names (see :func:`names`) plus the parametric families

* ``intN`` / ``uintN`` / ``intN_narrow`` (N = 2..16),
* ``fpN_eXmY`` (N = 1 + X + Y <= 32; above 16 bits without value tables): bias
  ``2**(X-1) - 1``, subnormals, special policy "fn" for E4M3 (the OCP format), "none"
  below 8 bits and IEEE from 8 bits up. Suffixes ``_bB`` (bias B, may be negative as
  ``_bm3``), ``_nosub``, ``_ieee`` / ``_fn`` / ``_none`` select the other options.

Every format has one canonical name (:mod:`hwgen.formats.naming`) and ``get(f.name) is f``
for every name ``get`` accepts: other spellings (``FP8_E4M3``, ``fp8_e4m3_fn``,
``fp16_e5m10``, ``fp8_e4m3_b7``) resolve to the same object as the canonical one.
"""

from __future__ import annotations

import difflib
from functools import lru_cache

from hwgen.errors import HwgenError, UnknownFormatError
from hwgen.formats import naming
from hwgen.formats.base import Format
from hwgen.formats.integer import IntFormat
from hwgen.formats.minifloat import MinifloatFormat, SpecialPolicy
from hwgen.formats.table import MixtureFormat, TableFormat

# BitMoD (HPCA 2025) value sets in code units, from the authors' code (formats.md).
# Code layout: sign bit, then the magnitude index of the base FP3 {0,1,2,4} or FP4 (E2M1,
# doubled) {0,1,2,3,4,6,8,12}; the -0 code (sign set, index 0) carries the extra value.
_FP3_MAG = (0.0, 1.0, 2.0, 4.0)
_FP4_MAG = (0.0, 1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0)
_BITMOD_EXTRA = {
    "fp3": {"er_pos": 3.0, "er_neg": -3.0, "ea_pos": 6.0, "ea_neg": -6.0},
    "fp4": {"er_pos": 10.0, "er_neg": -10.0, "ea_pos": 16.0, "ea_neg": -16.0},
}
# ANT (MICRO 2022) signed flint4 magnitudes; the -0 code stays a (negative) zero.
_FLINT4_MAG = (0.0, 1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 16.0)


def _signed_table(mags: tuple[float, ...], neg_zero: float) -> tuple[float, ...]:
    return (*mags, neg_zero, *(-v for v in mags[1:]))


def _fixed() -> dict[str, Format | MixtureFormat]:
    reg: dict[str, Format | MixtureFormat] = {}
    for n in range(2, 17):
        reg[f"int{n}"] = IntFormat(bits=n)
    for n in range(2, 17):
        reg[f"uint{n}"] = IntFormat(bits=n, signed=False)
    for n in range(2, 17):
        reg[f"int{n}_narrow"] = IntFormat(bits=n, narrow=True)
    ocp = [
        MinifloatFormat(exp_bits=4, man_bits=3, specials=SpecialPolicy.FN, name="fp8_e4m3"),
        MinifloatFormat(exp_bits=5, man_bits=2, specials=SpecialPolicy.IEEE, name="fp8_e5m2"),
        MinifloatFormat(exp_bits=3, man_bits=2, specials=SpecialPolicy.NONE, name="fp6_e3m2"),
        MinifloatFormat(exp_bits=2, man_bits=3, specials=SpecialPolicy.NONE, name="fp6_e2m3"),
        MinifloatFormat(exp_bits=2, man_bits=1, specials=SpecialPolicy.NONE, name="fp4_e2m1"),
        MinifloatFormat(exp_bits=2, man_bits=0, specials=SpecialPolicy.NONE, name="fp3_e2m0"),
        MinifloatFormat(exp_bits=5, man_bits=10, name="fp16"),
        MinifloatFormat(exp_bits=8, man_bits=7, name="bf16"),
        MinifloatFormat(exp_bits=8, man_bits=23, name="fp32"),  # IEEE binary32
    ]
    for f in ocp:
        reg[f.name] = f
    reg["flint4"] = TableFormat(name="flint4", table=_signed_table(_FLINT4_MAG, -0.0))
    for base, mags in (("fp3", _FP3_MAG), ("fp4", _FP4_MAG)):
        variants = []
        for tag, extra in _BITMOD_EXTRA[base].items():
            t = TableFormat(name=f"bitmod_{base}_{tag}", table=_signed_table(mags, extra))
            reg[t.name] = t
            variants.append(t)
        reg[f"bitmod_{base}"] = MixtureFormat(name=f"bitmod_{base}", variants=tuple(variants))
    return reg


_FIXED = _fixed()


def names() -> list[str]:
    """Every fixed registry name, in a stable order (parametric names are accepted too)."""
    return list(_FIXED)


# Bounded: any number of spellings may be looked up; equal spellings share one object
# while cached, and equal formats compare equal in any case.
@lru_cache(maxsize=4096)
def get(name: str) -> Format | MixtureFormat:
    """Resolve a registry name to its frozen format object.

    Raises
    ------
    UnknownFormatError
        For a name that is neither fixed nor a valid parametric name; the message suggests
        the closest known names.
    """
    if not isinstance(name, str):
        raise UnknownFormatError(f"format name must be a string, not {name!r}")
    key = name.strip().lower()
    if key in _FIXED:
        return _FIXED[key]
    spelling = naming.parse(key)
    fmt: Format | None = None
    try:
        if isinstance(spelling, naming.IntSpelling):
            fmt = IntFormat(bits=spelling.bits, signed=spelling.signed, narrow=spelling.narrow)
        elif isinstance(spelling, naming.MinifloatSpelling):
            fmt = MinifloatFormat(
                exp_bits=spelling.exp_bits,
                man_bits=spelling.man_bits,
                bias=spelling.bias,
                subnormals=spelling.subnormals,
                specials=SpecialPolicy(spelling.specials),
            )
    except UnknownFormatError:
        raise
    except HwgenError as exc:
        raise UnknownFormatError(f"format {name!r}: {exc}") from None
    if fmt is not None:
        # Another spelling of a format: hand out the one object of its canonical name.
        return fmt if fmt.name == name else get(fmt.name)
    close = difflib.get_close_matches(key, names(), n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise UnknownFormatError(
        f"unknown format {name!r}{hint} (see `hwgen formats list`; also intN, uintN, fpN_eXmY)"
    )


def get_format(name: str) -> Format:
    """Like :func:`get` but rejects mixtures (for places that need one value per code)."""
    fmt = get(name)
    if isinstance(fmt, MixtureFormat):
        raise UnknownFormatError(
            f"{name!r} is a per-group mixture of {', '.join(v.name for v in fmt.variants)};"
            " name one of its variants here"
        )
    return fmt
