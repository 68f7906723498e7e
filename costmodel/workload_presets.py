"""Workload presets (transformer GEMM shapes) and cited constants for the workload model.

Workloads (one inference; ``L`` = sequence length, ``T`` = KV length):

``bert-base`` (Devlin et al., "BERT", NAACL 2019: 12 layers, hidden 768, 12 heads of 64,
FFN 3072), per layer: ``q/k/v/o_proj`` L x 768 x 768, ``ffn_up`` L x 768 x 3072,
``ffn_down`` L x 3072 x 768; attention ``attn_qk`` L x 64 x L and ``attn_pv`` L x L x 64 per
head. Default L = 128.

``minilm-l6`` (Wang et al., "MiniLM", NeurIPS 2020; the all-MiniLM-L6-v2 configuration:
6 layers, hidden 384, 12 heads of 32, FFN 1536): the same structure with those sizes.
Default L = 128.

``llama2-7b-prefill`` (Touvron et al., "Llama 2", 2023: 32 layers, d_model 4096, 32 heads
of 128, SwiGLU FFN 11008, vocabulary 32000), per layer: ``q/k/v/o_proj`` L x 4096 x 4096,
``ffn_gate``/``ffn_up`` L x 4096 x 11008, ``ffn_down`` L x 11008 x 4096; ``attn_qk``
L x 128 x L and ``attn_pv`` L x L x 128 per head (causal masking is not exploited: a dense
array computes the full products); ``lm_head`` 1 x 4096 x 32000 (logits of the last token).
Default L = 2048.

``llama2-7b-decode``: one new token with ``T`` cached keys/values (the new token's
included): the same linear layers with M = 1, ``attn_qk`` 1 x 128 x T, ``attn_pv``
1 x T x 128, ``lm_head`` 1 x 4096 x 32000. Default T = 2048.

Attention GEMMs are included: their ``B`` operand is the K or V cache
(:attr:`~hwgen.costmodel.workload.BOperand.KV_CACHE`), which a BitMoD PE serializes like a weight
at the KV precision (BitMoD's simulator: 8-bit KV cache, 4 cycles); a bit-parallel MAC
runs them when its weight port takes the KV format. Embeddings, layer norms, softmax and
activation functions are not GEMMs and are left out.

A preset name may carry its length: ``bert-base:384``, ``llama2-7b-decode:4096``.
"""

from __future__ import annotations

from typing import Final

from hwgen.costmodel.workload import (
    ArraySpec,
    BOperand,
    Cited,
    GemmShape,
    MemorySpec,
    PeKind,
    PeSpec,
    Workload,
)
from hwgen.errors import HwgenError

__all__ = [
    "BITMOD_CLOCK_HZ",
    "BITMOD_FP16_PE",
    "BITMOD_PE",
    "HOROWITZ_DRAM_PJ_PER_BIT",
    "HOROWITZ_SRAM_PJ_PER_BIT",
    "PRESETS",
    "bitmod_arrays",
    "horowitz_memory",
    "horowitz_sram_pj_per_bit",
    "workload_preset",
]

_HOROWITZ = "Horowitz, ISSCC 2014, 45 nm 0.9 V (shared/reference/cost-anchors.md)"
#: SRAM read energy per bit: the 64-bit read energies 10 / 20 / 100 pJ of an 8 KB / 32 KB
#: / 1 MB SRAM divided by 64.
HOROWITZ_SRAM_PJ_PER_BIT: Final[dict[int, Cited]] = {
    8 * 1024: Cited(10 / 64, "pJ/bit", f"{_HOROWITZ}: 8 KB SRAM, 10 pJ per 64-bit read"),
    32 * 1024: Cited(20 / 64, "pJ/bit", f"{_HOROWITZ}: 32 KB SRAM, 20 pJ per 64-bit read"),
    1024 * 1024: Cited(100 / 64, "pJ/bit", f"{_HOROWITZ}: 1 MB SRAM, 100 pJ per 64-bit read"),
}
#: DRAM energy per bit: the low end (1300 pJ) of the table's 1300-2600 pJ per 64-bit access.
HOROWITZ_DRAM_PJ_PER_BIT: Final = Cited(
    1300 / 64, "pJ/bit", f"{_HOROWITZ}: DRAM 1300-2600 pJ per 64-bit access, low end"
)

_BITMOD = "BitMoD (HPCA 2025) authors' simulator PE parameters, 28 nm (shared/reference/bitmod.md)"
#: BitMoD PE (4-way dot product, bit-serial weights): simulator area and energy per cycle.
BITMOD_PE: Final = PeSpec(
    kind=PeKind.BITMOD,
    area_um2=Cited(1507.7, "um2", _BITMOD),
    energy_pj_per_cycle=Cited(0.56, "pJ/cycle", _BITMOD),
    name="bitmod",
)
#: BitMoD's FP16 baseline PE: one FP16 MAC per cycle.
BITMOD_FP16_PE: Final = PeSpec(
    kind=PeKind.BIT_PARALLEL,
    area_um2=Cited(1968.7, "um2", _BITMOD),
    energy_pj_per_cycle=Cited(0.77, "pJ/cycle", _BITMOD),
    name="fp16",
)
#: BitMoD's accelerator clock.
BITMOD_CLOCK_HZ: Final = Cited(1e9, "Hz", "BitMoD (HPCA 2025): 1 GHz, TSMC 28 nm")


def bitmod_arrays(pe: PeSpec, *, generation: bool) -> ArraySpec:
    """BitMoD's simulator arrays: BitMoD [64, 16] generation / [32, 32] prefill PEs,
    FP16 baseline [64, 12] / [32, 24] (both 16 tiles; bitmod.md)."""
    if pe.kind is PeKind.BITMOD:
        rows, cols = (64, 16) if generation else (32, 32)
    else:
        rows, cols = (64, 12) if generation else (32, 24)
    return ArraySpec(rows=rows, cols=cols, pe=pe, clock_hz=BITMOD_CLOCK_HZ)


def horowitz_sram_pj_per_bit(size_bytes: int) -> Cited:
    """SRAM energy per bit for a buffer of ``size_bytes``: the smallest tabulated SRAM
    (8 KB, 32 KB, 1 MB) that holds it.

    Raises
    ------
    HwgenError
        A size that is not a positive integer or exceeds the table (1 MB).
    """
    if isinstance(size_bytes, bool) or not isinstance(size_bytes, int) or size_bytes < 1:
        raise HwgenError(f"SRAM size must be a positive number of bytes, not {size_bytes!r}")
    for cap, cited in sorted(HOROWITZ_SRAM_PJ_PER_BIT.items()):
        if size_bytes <= cap:
            return cited
    raise HwgenError(
        f"SRAM size {size_bytes} bytes exceeds the largest tabulated SRAM (1 MB = 1048576 bytes)"
    )


def horowitz_memory(
    sram_bytes: int = 512 * 1024, dram_bytes_per_s: Cited | None = None
) -> MemorySpec:
    """Horowitz (45 nm) SRAM and DRAM energies; default buffer 512 KB (BitMoD's size)."""
    return MemorySpec(
        sram_pj_per_bit=horowitz_sram_pj_per_bit(sram_bytes),
        dram_pj_per_bit=HOROWITZ_DRAM_PJ_PER_BIT,
        dram_bytes_per_s=dram_bytes_per_s,
    )


# ---------------------------------------------------------------------- transformer shapes
def _attention(*, tokens: int, kv: int, d: int, heads: int, layers: int) -> list[GemmShape]:
    """The attention GEMMs of ``layers`` blocks: Q/K/V projections, QK^T, PV, output.

    ``tokens`` rows attend to ``kv`` keys (a prefill or an encoder: ``kv == tokens``); the
    two attention GEMMs run once per head, their B operand from the KV cache.
    """
    dh = d // heads
    return [
        GemmShape("q_proj", tokens, d, d, layers),
        GemmShape("k_proj", tokens, d, d, layers),
        GemmShape("v_proj", tokens, d, d, layers),
        GemmShape("attn_qk", tokens, dh, kv, layers * heads, BOperand.KV_CACHE),
        GemmShape("attn_pv", tokens, kv, dh, layers * heads, BOperand.KV_CACHE),
        GemmShape("o_proj", tokens, d, d, layers),
    ]


def _encoder(
    name: str, *, layers: int, d: int, heads: int, ffn: int, seq: int, source: str
) -> Workload:
    g = [
        *_attention(tokens=seq, kv=seq, d=d, heads=heads, layers=layers),
        GemmShape("ffn_up", seq, d, ffn, layers),
        GemmShape("ffn_down", seq, ffn, d, layers),
    ]
    return Workload(name=f"{name}:{seq}", gemms=tuple(g), source=source)


_LLAMA = dict(layers=32, d=4096, heads=32, ffn=11008, vocab=32000)
_LLAMA_SRC = "Touvron et al., Llama 2 (2023): 32 layers, d_model 4096, 32 heads, FFN 11008"


def _llama(*, tokens: int, kv: int, phase: str) -> Workload:
    layers, d, heads, ffn = _LLAMA["layers"], _LLAMA["d"], _LLAMA["heads"], _LLAMA["ffn"]
    g = [
        *_attention(tokens=tokens, kv=kv, d=d, heads=heads, layers=layers),
        GemmShape("ffn_gate", tokens, d, ffn, layers),
        GemmShape("ffn_up", tokens, d, ffn, layers),
        GemmShape("ffn_down", tokens, ffn, d, layers),
        GemmShape("lm_head", 1, d, _LLAMA["vocab"], 1),
    ]
    length = tokens if phase == "prefill" else kv
    return Workload(name=f"llama2-7b-{phase}:{length}", gemms=tuple(g), source=_LLAMA_SRC)


def _bert(seq: int) -> Workload:
    return _encoder(
        "bert-base",
        layers=12,
        d=768,
        heads=12,
        ffn=3072,
        seq=seq,
        source="Devlin et al., BERT (NAACL 2019): 12 layers, hidden 768, 12 heads, FFN 3072",
    )


def _minilm(seq: int) -> Workload:
    return _encoder(
        "minilm-l6",
        layers=6,
        d=384,
        heads=12,
        ffn=1536,
        seq=seq,
        source="Wang et al., MiniLM (NeurIPS 2020), all-MiniLM-L6-v2: 6 layers, hidden 384,"
        " 12 heads, FFN 1536",
    )


#: Preset name -> (builder of a given length, default length).
PRESETS: Final = {
    "bert-base": (_bert, 128),
    "minilm-l6": (_minilm, 128),
    "llama2-7b-prefill": (lambda n: _llama(tokens=n, kv=n, phase="prefill"), 2048),
    "llama2-7b-decode": (lambda n: _llama(tokens=1, kv=n, phase="decode"), 2048),
}


def workload_preset(name: str, *, length: int | None = None) -> Workload:
    """A preset workload (module docstring).

    Parameters
    ----------
    name
        A key of :data:`PRESETS`, optionally with ``:LENGTH`` (sequence length; KV length
        for ``llama2-7b-decode``).
    length
        The length, instead of the suffix; ``None`` takes the suffix or the default.

    Raises
    ------
    HwgenError
        An unknown preset (the message lists the known ones), a bad length.
    """
    if not isinstance(name, str):
        raise HwgenError(f"workload preset must be a name, not {name!r}")
    base, sep, suffix = name.strip().lower().partition(":")
    if base not in PRESETS:
        raise HwgenError(f"unknown workload preset {name!r}; known: {', '.join(PRESETS)}")
    build, default = PRESETS[base]
    if sep:
        if length is not None:
            raise HwgenError(f"workload {name!r} gives its length twice (suffix and length=)")
        if not suffix.isdigit() or int(suffix) < 1:
            raise HwgenError(f"workload length must be a positive integer, not {suffix!r}")
        length = int(suffix)
    n = default if length is None else length
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise HwgenError(f"workload length must be a positive integer, not {n!r}")
    return build(n)
