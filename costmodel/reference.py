"""Behavioural reference designs that hwgen's generated hardware is priced against.

The references are hand-written Verilog files shipped as package data in
``costmodel/reference_rtl/`` (one module per file, named after the file). They are the
plainest description of a signed integer multiply-accumulate, left entirely to the
synthesis tool, so "hwgen's INT x INT MAC costs no more than a behavioural
``acc <= acc + a*w``" is a checkable claim (``bench/bench_area.py``):

- :attr:`ReferenceKind.PLAIN` (``ref_mac_int``): ``acc <= acc + a * w`` with a synchronous
  reset and nothing else.
- :attr:`ReferenceKind.VALID_CLEAR` (``ref_mac_int_vc``): the same datapath with the
  ``valid`` / ``clear`` semantics of hwgen's MAC unit (``docs/hardware.md``), the fair
  like-for-like comparison.

Widths are Verilog parameters (``A_BITS``, ``W_BITS``, ``ACC_BITS``) set per synthesis run
with Yosys ``chparam`` (:func:`hwgen.costmodel.synth.synthesize` ``params=``).

:func:`prove_equivalent` proves with Yosys' SAT solver that a generated MAC and its
reference produce the same ``acc`` on every cycle for every input sequence, so an area
comparison between them compares the same function.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from hwgen.costmodel.synth import SynthesisError, run_yosys
from hwgen.errors import HwgenError
from hwgen.formats.base import FormatKind
from hwgen.tools.lint import design_sources

if TYPE_CHECKING:
    from hwgen.rtl.config import MacConfig

__all__ = [
    "EquivalenceError",
    "ReferenceDesign",
    "ReferenceKind",
    "prove_equivalent",
    "reference_mac",
    "reference_mac_for",
    "reference_rtl_dir",
]

#: Widths the reference Verilog is meant for (a wider operand is not a MAC hwgen builds).
_MAX_OPERAND_BITS = 32
_MAX_ACC_BITS = 256


_MITER = "hwgen_equiv_miter"
_PROOF_LOG = "equiv.log"


class EquivalenceError(HwgenError):
    """A design is not (provably) equivalent to its reference; the message says why."""


class ReferenceKind(enum.StrEnum):
    """Which behavioural reference MAC."""

    PLAIN = "plain"
    VALID_CLEAR = "valid_clear"


_TOPS = {ReferenceKind.PLAIN: "ref_mac_int", ReferenceKind.VALID_CLEAR: "ref_mac_int_vc"}


@dataclass(frozen=True, slots=True, kw_only=True)
class ReferenceDesign:
    """A reference Verilog module and the parameter values to build it with.

    Attributes
    ----------
    kind:
        Which reference.
    top:
        Module name (the file is ``<top>.v``).
    path:
        Absolute path of the Verilog file.
    params:
        Parameter overrides (``A_BITS``, ``W_BITS``, ``ACC_BITS``) for ``chparam``.
    """

    kind: ReferenceKind
    top: str
    path: Path
    params: dict[str, int]


def reference_rtl_dir() -> Path:
    """Directory holding the reference Verilog files."""
    return Path(__file__).resolve().parent / "reference_rtl"


def reference_mac(
    *,
    a_bits: int,
    w_bits: int,
    acc_bits: int,
    kind: ReferenceKind = ReferenceKind.VALID_CLEAR,
) -> ReferenceDesign:
    """The behavioural signed integer MAC with the given widths.

    Parameters
    ----------
    a_bits, w_bits:
        Operand widths (two's complement), 1..32.
    acc_bits:
        Accumulator width, ``a_bits + w_bits`` .. 256 (the product is sign-extended into
        the accumulator, so it must hold one product; wider sums wrap).
    kind:
        :class:`ReferenceKind` (or its string value).

    Returns
    -------
    ReferenceDesign

    Raises
    ------
    HwgenError
        A width out of range or an unknown kind.
    """
    for name, value in (("a_bits", a_bits), ("w_bits", w_bits)):
        _check_int(name, value, 1, _MAX_OPERAND_BITS)
    _check_int("acc_bits", acc_bits, a_bits + w_bits, _MAX_ACC_BITS)
    try:
        kind = ReferenceKind(kind)
    except ValueError:
        allowed = ", ".join(k.value for k in ReferenceKind)
        raise HwgenError(f"kind must be one of {allowed}, not {kind!r}") from None
    top = _TOPS[kind]
    return ReferenceDesign(
        kind=kind,
        top=top,
        path=reference_rtl_dir() / f"{top}.v",
        params={"A_BITS": a_bits, "ACC_BITS": acc_bits, "W_BITS": w_bits},
    )


def reference_mac_for(
    config: MacConfig, *, kind: ReferenceKind = ReferenceKind.VALID_CLEAR
) -> ReferenceDesign:
    """The reference with the same operand and accumulator widths as a MAC configuration.

    Parameters
    ----------
    config:
        A ``hwgen.rtl.config.MacConfig`` of a signed INT x signed INT MAC with the same
        observable behaviour as the reference: no pipeline stages, no output conversion,
        and no saturating accumulator.
    kind:
        Which reference.

    Returns
    -------
    ReferenceDesign
        Widths read from ``config.a.bits``, ``config.w.bits``, ``config.accumulator.bits``.

    Raises
    ------
    HwgenError
        The configuration has no behavioural equivalent among the references.
    """
    for role, fmt in (("a", config.a), ("w", config.w)):
        if fmt.kind is not FormatKind.INT or not fmt.signed:
            raise HwgenError(
                f"{role} format {fmt.name} has no behavioural reference: only signed int formats"
            )
    overflow = str(getattr(config.overflow, "value", config.overflow))
    if overflow == "saturate":
        raise HwgenError("overflow='saturate' has no behavioural reference: use 'exact' or 'wrap'")
    if config.stages != 0:
        raise HwgenError(f"stages={config.stages} has no behavioural reference: only stages=0")
    if config.out_format is not None:
        raise HwgenError(
            f"out_format={config.out_format} has no behavioural reference: only out_format=None"
        )
    return reference_mac(
        a_bits=config.a.bits, w_bits=config.w.bits, acc_bits=config.accumulator.bits, kind=kind
    )


def prove_equivalent(
    design_dir_or_files: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    top: str,
    reference: ReferenceDesign,
    *,
    workdir: str | os.PathLike[str] | None = None,
    timeout_s: float = 300.0,
) -> str:
    """Prove that a design computes the same ``acc`` as a reference on every cycle.

    Both designs start from all-zero state; Yosys builds a miter of the two (``miter
    -equiv``: same inputs, outputs compared) and proves by temporal induction (``sat
    -tempinduct -prove-asserts``) that the outputs never differ, for every input sequence
    including resets. This succeeds at induction length 1 when the accumulator is the only
    state of the design (an unpipelined MAC).

    Parameters
    ----------
    design_dir_or_files:
        The design (a generated design directory or its Verilog files).
    top:
        The design's top module; its ports must match the reference's by name and width
        (``clk``, ``rst``, ``a``, ``w``, ``acc`` and, for VALID_CLEAR, ``valid``, ``clear``).
    reference:
        The reference, from :func:`reference_mac` or :func:`reference_mac_for`.
    workdir:
        Directory to run Yosys in (kept); ``None``: a temporary directory.
    timeout_s:
        Give up after this many seconds (the SAT problem grows with the multiplier size).

    Returns
    -------
    str
        Yosys' proof log.

    Raises
    ------
    EquivalenceError
        The designs differ (Yosys found a counterexample), their ports do not match, or
        the induction did not close; the message holds Yosys' error line.
    """
    if top == reference.top:
        raise HwgenError(f"top must differ from the reference module name {reference.top!r}")
    sources = design_sources(design_dir_or_files)
    chparam = " ".join(f"-set {name} {value}" for name, value in reference.params.items())
    commands = [
        f"chparam {chparam} {reference.top}",
        "proc",
        "opt_clean",
        f"miter -equiv -flatten -make_assert {reference.top} {top} {_MITER}",
        f"hierarchy -top {_MITER}",
        f"tee -q -o {_PROOF_LOG} sat -verify -prove-asserts -tempinduct -set-init-zero {_MITER}",
    ]
    try:
        run = run_yosys(
            [*sources.verilog, *sources.headers, reference.path],
            commands,
            outputs=(_PROOF_LOG,),
            label=f"equivalence proof of {top} against {reference.top}",
            workdir=workdir,
            timeout_s=timeout_s,
        )
    except SynthesisError as exc:
        raise EquivalenceError(str(exc)) from None
    return run.outputs[_PROOF_LOG]


def _check_int(name: str, value: int, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise HwgenError(f"{name} must be an int, not {value!r}")
    if not low <= value <= high:
        raise HwgenError(f"{name} must be in {low}..{high}, not {value}")
