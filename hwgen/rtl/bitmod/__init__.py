"""Amaranth hardware of the BitMoD-style PE: the weight term encoder and the PE.

``BitmodPEConfig(...).create()`` gives the :class:`BitmodPE` component; ports, protocol and
timing are in ``docs/bitmod.md``.
"""

from hwgen.rtl.bitmod.encoder import CODE_BITS, SV_BITS, TermEncoder, special_to_field
from hwgen.rtl.bitmod.pe import FLAG_BITS, BitmodPE

__all__ = ["CODE_BITS", "FLAG_BITS", "SV_BITS", "BitmodPE", "TermEncoder", "special_to_field"]
