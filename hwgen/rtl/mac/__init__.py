"""The MAC unit family's hardware: :class:`MacUnit`."""

from hwgen.rtl.mac.unit import MacUnit

__all__ = ["MacUnit"]
