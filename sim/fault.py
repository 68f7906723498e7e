"""A deliberately broken harness lane: the negative control of every bench (pure Python)."""

from __future__ import annotations

from dataclasses import dataclass

from hwgen._validate import check_int

__all__ = ["Fault"]


@dataclass(frozen=True, kw_only=True)
class Fault:
    """Flip one bit of one lane's port (a deliberately broken lane).

    Parameters
    ----------
    lane
        Lane index.
    role
        Port role (``a``, ``w``, ``acc``, ...); input roles corrupt what the design sees,
        output roles what the bench sees.
    bit
        Bit index within that lane's port.
    """

    lane: int
    role: str
    bit: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "lane", check_int("fault lane", self.lane, 0))
        object.__setattr__(self, "bit", check_int("fault bit", self.bit, 0))
        object.__setattr__(self, "role", str(self.role))

    def tag(self) -> str:
        """Short identifier used in build directory names."""
        return f"fault_l{self.lane}_{self.role}_b{self.bit}"
