"""Elaborate a design config to Verilog and write a self-describing design directory.

``emit(config, out_dir)`` writes ``<top>.v``, ``files.f`` and ``manifest.json`` (see
``docs/hardware.md``). The flow is

1. ``config.create()`` builds the Amaranth component;
2. ``amaranth.back.rtlil.convert(component, name=top, emit_src=False)`` gives RTLIL without
   source locations (so no absolute paths leak into the output);
3. a deterministic Yosys post-pass (:data:`POST_PASS`) turns it into plain Verilog-2005;
4. the files land in a temporary sibling directory that is renamed into place, so a failure
   never leaves a half-written design directory behind.

Why each post-pass step is there:

- ``proc`` turns Amaranth's processes into flip-flops and muxes.
- ``wreduce`` (before flattening, where it also narrows the wires) removes result bits nobody
  reads, e.g. the carry-out of an ``acc + product`` that is truncated back to ``acc``
  (Verilator: UNUSEDSIGNAL); ``opt_clean -purge`` drops the wires left dangling.
- ``flatten`` gives one module per file, named ``<top>`` (Verilator's DECLFILENAME wants the
  file named after every module it holds) and drops the port-alias wires that hierarchical
  output leaves unused.
- ``splitnets -driver`` + ``opt_clean -purge`` split a wire whose bits have different drivers
  (e.g. a product whose sign bit Yosys found to be constant 0) so the unused part can be
  dropped (UNUSEDSIGNAL).
- ``pmuxtree`` turns parallel muxes (from ``Switch``/``Case``) into ``?:`` trees: Yosys
  writes a ``$pmux`` as a Verilog function whose argument names can hide module ports
  (VARHIDDEN). A ``Switch`` drives one-hot selects, so the tree is exact.
- ``techmap`` with :data:`_WIDEN_TECHMAP` extends the operands of ``$add``/``$sub`` to the
  result width and those of comparisons to a common width, with explicit concatenations,
  and reduces a multi-bit ``!x`` to ``!(|x)``. Verilog semantics are unchanged; Verilator
  no longer reports WIDTHEXPAND/WIDTHTRUNC on them.
- ``setattr -unset init`` drops initial values: every register in a generated design has a
  synchronous reset (Amaranth's ``sync`` domain resets all of them to their ``init``), so
  the state after reset is the same with or without the initial values, and Verilator no
  longer reports PROCASSINIT.
- ``write_verilog -noattr`` writes plain Verilog without Yosys attributes.

Regenerating the same config gives byte-identical files: the output depends only on the
config (the Yosys banner line, which holds the build path of the Yosys binary, is replaced
by a line naming hwgen's version and the config hash).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from hwgen.errors import HwgenError
from hwgen.manifest import (
    AccumulatorInfo,
    ArrayInfo,
    DesignKind,
    Manifest,
    OutputInfo,
    Port,
    PortDir,
    config_hash,
)
from hwgen.tools.yosys import run_yosys

if TYPE_CHECKING:
    from amaranth.lib import wiring

    from hwgen.rtl.array import ArrayConfig
    from hwgen.rtl.config import MacConfig

MANIFEST_NAME = "manifest.json"
FILELIST_NAME = "files.f"


def _extend(port: str, width: str) -> str:
    """Verilog that drives ``<port><port>`` with ``port`` resized to ``width`` bits."""
    return (
        f"    if ({port}_WIDTH >= {width}) assign {port}{port} = {port}[{width}-1:0];\n"
        f"    else if (S) assign {port}{port} = "
        f"{{{{({width}-{port}_WIDTH){{{port}[{port}_WIDTH-1]}}}}, {port}}};\n"
        f"    else assign {port}{port} = {{{{({width}-{port}_WIDTH){{1'b0}}}}, {port}}};\n"
    )


def _binary_map(module: str, cells: Sequence[str], width: str, fail: str) -> str:
    """A techmap module re-instantiating binary ``cells`` with both operands ``width`` wide."""
    dispatch = []
    for i, cell in enumerate(cells):
        cond = f'if (_TECHMAP_CELLTYPE_ == "{cell}")' if i < len(cells) - 1 else ""
        prefix = "    " if i == 0 else "    else "
        dispatch.append(
            f"{prefix}{cond}".rstrip() + "\n"
            f"      \\{cell} #(.A_SIGNED(S), .B_SIGNED(S), .A_WIDTH({width}),\n"
            f"        .B_WIDTH({width}), .Y_WIDTH(Y_WIDTH))\n"
            "        _TECHMAP_REPLACE_ (.A(AA), .B(BB), .Y(Y));\n"
        )
    return (
        f'(* techmap_celltype = "{" ".join(cells)}" *)\n'
        f"module {module} (A, B, Y);\n"
        '  parameter _TECHMAP_CELLTYPE_ = "";\n'
        "  parameter A_SIGNED = 0;\n  parameter B_SIGNED = 0;\n"
        "  parameter A_WIDTH = 1;\n  parameter B_WIDTH = 1;\n  parameter Y_WIDTH = 1;\n"
        "  input [A_WIDTH-1:0] A;\n  input [B_WIDTH-1:0] B;\n  output [Y_WIDTH-1:0] Y;\n"
        # Yosys treats an operation as signed only when both operands are signed.
        "  localparam S = A_SIGNED && B_SIGNED;\n"
        "  localparam W = A_WIDTH > B_WIDTH ? A_WIDTH : B_WIDTH;\n"
        f"  wire _TECHMAP_FAIL_ = {fail};\n"
        f"  wire [{width}-1:0] AA;\n  wire [{width}-1:0] BB;\n"
        "  generate\n"
        + _extend("A", width)
        + _extend("B", width)
        + "".join(dispatch)
        + "  endgenerate\nendmodule\n"
    )


# The low Y_WIDTH bits of a sum or difference depend only on the low Y_WIDTH bits of the
# operands, so add/sub operands are extended (by signedness) or truncated to Y_WIDTH;
# comparisons extend both operands to the wider one. A multi-bit `!x` becomes `!(|x)`.
_WIDEN_TECHMAP = (
    _binary_map(
        "_hwgen_widen_addsub",
        ("$add", "$sub"),
        "Y_WIDTH",
        "A_WIDTH == Y_WIDTH && B_WIDTH == Y_WIDTH",
    )
    + _binary_map(
        "_hwgen_widen_cmp",
        ("$eq", "$ne", "$lt", "$le", "$gt", "$ge"),
        "W",
        "A_WIDTH == B_WIDTH",
    )
    + r"""(* techmap_celltype = "$logic_not" *)
module _hwgen_logic_not (A, Y);
  parameter A_SIGNED = 0;
  parameter A_WIDTH = 1;
  parameter Y_WIDTH = 1;
  input [A_WIDTH-1:0] A;
  output [Y_WIDTH-1:0] Y;
  wire _TECHMAP_FAIL_ = A_WIDTH == 1;
  wire any;
  \$reduce_or #(.A_SIGNED(0), .A_WIDTH(A_WIDTH), .Y_WIDTH(1)) _or (.A(A), .Y(any));
  \$logic_not #(.A_SIGNED(0), .A_WIDTH(1), .Y_WIDTH(Y_WIDTH)) _TECHMAP_REPLACE_ (.A(any), .Y(Y));
endmodule
"""
)

POST_PASS = (
    "read_rtlil {il}; proc; wreduce; opt_clean -purge; flatten; splitnets -driver; "
    "opt_clean -purge; pmuxtree; "
    "techmap -map {widen}; opt_clean; setattr -unset init; write_verilog -noattr {v}"
)
"""The Yosys script that turns Amaranth's RTLIL into the shipped Verilog (see module doc)."""


def to_verilog(component: wiring.Component, *, top: str, banner: str = "") -> str:
    """Convert an Amaranth component to deterministic, lint-clean Verilog-2005.

    Parameters
    ----------
    component
        The elaboratable component; Amaranth adds ``clk`` and synchronous ``rst``.
    top
        Name of the Verilog module.
    banner
        Replaces Yosys' banner comment (which names the path Yosys was built in).
    """
    from amaranth.back import rtlil

    il = rtlil.convert(component, name=top, emit_src=False)
    vname = f"{top}.v"
    script = POST_PASS.format(il=f"{top}.il", widen="widen.v", v=vname)
    run = run_yosys(
        script,
        inputs={f"{top}.il": il, "widen.v": _WIDEN_TECHMAP},
        outputs=[vname],
        label="yosys post-pass",
    )
    text = run.outputs[vname]
    first, _, rest = text.partition("\n")
    if first.startswith("/* Generated by Yosys"):
        m = re.match(r"/\* Generated by (Yosys [^ ]+)", first)
        tool = m.group(1) if m else "Yosys"
        text = f"/* {banner or 'Generated by hwgen'} ({tool}) */\n" + rest
    return text


def _ports(component: wiring.Component) -> tuple[Port, ...]:
    """Top-level ports: clk, rst, then the signature members in their declared order."""
    from amaranth.hdl import Shape
    from amaranth.lib.wiring import Flow

    roles: Mapping[str, str] = {}
    if hasattr(component, "port_roles"):
        roles = dict(component.port_roles())
    ports = [
        Port(name="clk", dir=PortDir.IN, width=1, role="clk"),
        Port(name="rst", dir=PortDir.IN, width=1, role="rst"),
    ]
    for name, member in component.signature.members.items():
        if not member.is_port:
            raise HwgenError(f"port {name!r} of {type(component).__name__} is not a plain signal")
        ports.append(
            Port(
                name=name,
                dir=PortDir.IN if member.flow == Flow.In else PortDir.OUT,
                width=Shape.cast(member.shape).width,
                role=roles.get(name, name),
            )
        )
    return tuple(ports)


def build_manifest(
    config: MacConfig | ArrayConfig,
    component: wiring.Component,
    *,
    waivers: Sequence[str] = (),
) -> Manifest:
    """The manifest describing ``component`` built from ``config`` (no files are touched)."""
    from hwgen.rtl.array import ArrayConfig

    is_array = isinstance(config, ArrayConfig)
    mac = config.mac if is_array else config
    top = config.name
    acc = mac.accumulator
    ports = _ports(component)
    has_flags = any(p.role in ("flags", "out_flags") for p in ports)
    output = None
    if mac.out_format is not None:
        output = OutputInfo(format=mac.out_format, rounding="rne", latency=config.out_latency)
    return Manifest(
        kind=DesignKind.ARRAY if is_array else DesignKind.MAC,
        name=top,
        top=top,
        verilog=(f"{top}.v",),
        filelist=FILELIST_NAME,
        waivers=tuple(waivers),
        a_format=mac.a_format,
        w_format=mac.w_format,
        config=config.to_dict(),
        latency=config.latency,
        accumulator=AccumulatorInfo(
            bits=acc.bits, lsb_exp=acc.lsb_exp, overflow=str(mac.overflow), max_terms=mac.max_terms
        ),
        output=output,
        array=ArrayInfo(rows=config.rows, cols=config.cols) if is_array else None,
        flags=dict(flag_bits()) if has_flags else None,
        ports=ports,
    )


def flag_bits() -> Mapping[str, int]:
    """Bit position of each sticky special-value flag (``docs/hardware.md``)."""
    from hwgen.rtl.flags import FLAG_BITS

    return FLAG_BITS


def emit(config: MacConfig | ArrayConfig, out_dir: str | os.PathLike[str]) -> Manifest:
    """Generate the design directory for ``config``.

    Parameters
    ----------
    config
        A validated ``MacConfig`` or ``ArrayConfig``.
    out_dir
        Target directory. Created if missing; an existing hwgen design directory (one with
        a ``manifest.json``) or an empty directory is replaced as a whole.

    Returns
    -------
    Manifest
        The manifest written to ``out_dir/manifest.json``.

    Raises
    ------
    HwgenError
        ``out_dir`` is a file, or a non-empty directory that is not a design directory
        (refused so that no user files are deleted), or Yosys fails.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise HwgenError(f"output path {out} is a file; give a directory path")
    if out.is_dir() and any(out.iterdir()) and not (out / MANIFEST_NAME).is_file():
        raise HwgenError(
            f"output directory {out} is not empty and holds no {MANIFEST_NAME}; "
            "refusing to overwrite it (give a new or empty directory)"
        )
    component = config.create()
    top = config.name
    manifest = build_manifest(config, component)
    banner = (
        f"Generated by hwgen {manifest.hwgen_version}: {top}, "
        f"config sha256 {config_hash(manifest.config)[:16]}"
    )
    files = {
        f"{top}.v": to_verilog(component, top=top, banner=banner),
        FILELIST_NAME: f"{top}.v\n",
        MANIFEST_NAME: manifest.to_json(),
    }
    _write_atomically(out, files)
    return manifest


def _write_atomically(out: Path, files: Mapping[str, str]) -> None:
    """Write ``files`` into a sibling temp dir, then swap it in for ``out``."""
    parent = out.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=parent))
    # mkdtemp creates 0700; a design directory is an ordinary, shareable output.
    staging.chmod(0o755)
    old: Path | None = None
    try:
        for name, text in files.items():
            (staging / name).write_text(text, encoding="utf-8", newline="\n")
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=parent))
            old.rmdir()
            out.rename(old)
        try:
            staging.rename(out)
        except OSError:
            if old is not None:
                old.rename(out)
                old = None
            raise
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
