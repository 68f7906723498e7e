"""The verification plug-in of a design family: what :func:`hwgen.sim.verify.verify` asks.

One subclass of :class:`Bench` per family (``sim/bench_<kind>.py``), named in the family
table (:mod:`hwgen.design.families`). The engine (:mod:`hwgen.sim.verify`) loads the
manifest, rebuilds the config, and then only calls the bench:

1. :meth:`Bench.stimulus` -- the stimulus for a :class:`~hwgen.sim.verify.VerifyOptions`;
2. :meth:`Bench.expected` -- golden outputs from ``config.golden()``;
3. :meth:`Bench.job_arrays` / :attr:`Bench.test_module` -- what the cocotb test running in
   the simulator reads, and which test that is;
4. :meth:`Bench.collect` and :meth:`Bench.score` -- sampled outputs, compared;
5. :meth:`Bench.prefix` -- the stimulus up to a failure (re-run with waveforms).

The harness (:mod:`hwgen.sim.harness`) reads the lane layout from :attr:`Bench.lane_roles`,
:attr:`Bench.shared_roles` and :attr:`Bench.lane0_roles`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from hwgen.design.base import DesignConfig, Role

if TYPE_CHECKING:
    from hwgen.sim.runner import Simulator
    from hwgen.sim.scoreboard import Score
    from hwgen.sim.verify import VerifyOptions

__all__ = ["Bench"]


class Bench(ABC):
    """Stimulus, golden values, capture layout and scoring of one design family."""

    test_module: ClassVar[str]
    """The cocotb test module run inside the simulator (``"hwgen.sim.tb_mac"``)."""
    lane_roles: ClassVar[tuple[Role, ...]]
    """Roles the harness replicates per lane (those the design has)."""
    shared_roles: ClassVar[tuple[Role, ...]] = ()
    """Inputs driven once for all lanes."""
    lane0_roles: ClassVar[tuple[Role, ...]] = ()
    """Outputs taken from lane 0 (the harness checks the other lanes agree)."""
    stimulus_type: ClassVar[type]
    """The stimulus class :func:`~hwgen.sim.verify.check` accepts for this family."""

    @abstractmethod
    def default_lanes(self, sim: Simulator) -> int:
        """Lanes per harness when the options do not say (fastest measured per simulator)."""

    @abstractmethod
    def stimulus(
        self, config: DesignConfig, options: VerifyOptions, lanes: int
    ) -> tuple[Any, list[tuple[str, int]]]:
        """The stimulus for ``options`` and its phases ``(name, checks)``."""

    def skipped_phases(self, config: DesignConfig, options: VerifyOptions) -> list[tuple[str, str]]:
        """``(name, reason)`` of each phase :meth:`stimulus` leaves out for ``config``."""
        return []

    @abstractmethod
    def expected(self, config: DesignConfig, stim: Any) -> Any:
        """Golden outputs of ``stim``."""

    @abstractmethod
    def job_arrays(self, stim: Any) -> dict[str, np.ndarray]:
        """The arrays the in-simulator test reads from the job."""

    def timeout_cycles(self, config: DesignConfig, stim: Any) -> int:
        """Clocks after which the in-simulator test gives up (0: it runs a fixed length)."""
        return 0

    @abstractmethod
    def collect(self, config: DesignConfig, capture: Mapping[str, np.ndarray], stim: Any) -> Any:
        """Sampled outputs, aligned for :meth:`score`."""

    @abstractmethod
    def score(
        self, config: DesignConfig, stim: Any, expected: Any, got: Any, *, max_report: int
    ) -> Score:
        """Every mismatch counted, the first ``max_report`` decoded."""

    @abstractmethod
    def prefix(self, stim: Any, position: int) -> Any:
        """The stimulus up to ``position`` (a score's ``first_position``)."""

    @staticmethod
    def lanes_of(stim: Any) -> int:
        """Lanes a stimulus drives."""
        return int(stim.lanes)

    def roles_present(self, ports: Sequence[Role]) -> tuple[Role, ...]:
        """:attr:`lane_roles` the design has."""
        return tuple(r for r in self.lane_roles if r in ports)
