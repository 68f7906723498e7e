"""Designs whose arithmetic did not change keep byte-identical Verilog and config hashes.

The digests were taken from ``hwgen generate`` outputs before the accumulator window
(``acc_lsb``) and the pipeline cut points existed: exact accumulators, a narrow one that
holds a whole product, and ``stages=0``. The first line (the banner naming hwgen's
version) is left out of the digest.
"""

from __future__ import annotations

import hashlib

import pytest

from hwgen.design.mac import MacConfig
from hwgen.emit import to_verilog

STABLE = {
    "int8": (
        MacConfig(a_format="int8", w_format="int8"),
        "acb87b0faf165036cbefb4030d719cb392cc625ea8264acf3426222a5bf04aed",
        "33b4ec731c0f1e47ef43339d060284aac748b0a251aa41a93f55b0b775b1389e",
    ),
    "e4m3": (
        MacConfig(a_format="fp8_e4m3", w_format="fp8_e4m3"),
        "3eb87750210d0d7302d7dd1b0cd8d4c25d9a73b4df85650690c2b68765ef38d3",
        "c3761984de054f9436a340850bcf3314f54cdb6e0aa1aebd5047a19ab61d497c",
    ),
    "int8_wrap16": (
        MacConfig(a_format="int8", w_format="int8", acc_bits=16, overflow="wrap"),
        "d2c3d2881f0f574e7f40796ccabbbf7d28396cd0e048087e899558581d8dd8ce",
        "2a8be73003517d0866943b49085068d63f37f9afbb8b4c12f0363a488a99a1d9",
    ),
    "e2m1_sat24": (
        MacConfig(a_format="fp4_e2m1", w_format="fp4_e2m1", acc_bits=24, overflow="saturate"),
        "e82d3901f6fab43d7383402bb18ad65538ba5a5e3bb9cb72deb3535dafbf4501",
        "08cf942eed0e891ca45e0735fe2cbbb0cde08e22cb1f59af455864f8620f1301",
    ),
}


@pytest.mark.parametrize("key", list(STABLE))
def test_verilog_and_hash_unchanged(key: str) -> None:
    cfg, verilog_digest, config_hash = STABLE[key]
    assert cfg.config_hash == config_hash
    text = to_verilog(cfg.create(), top=cfg.name)
    body = text.split("\n", 1)[1]
    assert hashlib.sha256(body.encode()).hexdigest() == verilog_digest
