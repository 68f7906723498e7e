"""Where point evaluations run: in this process, in local worker processes, or on Dask.

Every executor takes :class:`~hwgen.sweep.evaluate.PointTask` objects and yields
``(task, outcome_or_error)`` pairs as they finish, in completion order. The runner treats
them all alike; the unit of work is one design point (its stages run in order on one
worker, so the generated design directory is written and read on the same machine).

* :class:`InlineExecutor` -- ``--jobs 1``: no pool at all, easiest to debug.
* :class:`LocalExecutor` -- ``--jobs N``: a ``ProcessPoolExecutor`` of ``N`` processes
  started by a fork server (a fresh interpreter image: no locks or threads inherited from
  the client). Each worker watches the client's pid and exits when the client is gone, so a
  client killed with ``kill -9`` leaves no evaluation running for long.
* :class:`DaskExecutor` -- ``--executor dask --scheduler ADDRESS``: a ``distributed.Client``
  on a running scheduler (a ``dask-scheduler`` / ``dask-jobqueue`` cluster; workers need
  hwgen, the same tool versions and the output directory on a shared filesystem), or,
  without an address, a ``LocalCluster`` with ``N`` worker processes. The scheduler is
  contacted before anything is written, so an unreachable one is a clean error.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from typing import Any

from hwgen.errors import HwgenError
from hwgen.sweep.evaluate import PointOutcome, PointTask, run_task

__all__ = [
    "DaskExecutor",
    "Executor",
    "InlineExecutor",
    "LocalExecutor",
    "make_executor",
]

CONNECT_TIMEOUT_S = 10.0
"""How long to try a Dask scheduler before giving up (default of ``--connect-timeout``)."""

Finished = tuple[PointTask, PointOutcome | BaseException]


class Executor(ABC):
    """Runs point tasks somewhere."""

    name: str = "executor"

    @abstractmethod
    def run(self, tasks: Sequence[PointTask]) -> Iterator[Finished]:
        """Yield every task with its outcome (or the exception that lost it), as they end."""

    def describe(self) -> str:
        """One line for the terminal and the report."""
        return self.name

    def close(self) -> None:  # noqa: B027 - most executors hold nothing to release
        """Release workers and connections."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class InlineExecutor(Executor):
    """Evaluate in the calling process, one point after another."""

    name = "inline"

    def run(self, tasks: Sequence[PointTask]) -> Iterator[Finished]:
        for task in tasks:
            try:
                yield task, run_task(task)
            except Exception as exc:
                yield task, exc

    def describe(self) -> str:
        return "1 job (this process)"


def _watch_parent(pid: int) -> None:
    """Exit this worker when process ``pid`` (the sweep's client) has gone."""
    while True:
        time.sleep(0.5)
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            os._exit(3)
        except PermissionError:
            pass
        if os.getppid() == 1:
            os._exit(3)


def _init_worker(client_pid: int) -> None:
    threading.Thread(target=_watch_parent, args=(client_pid,), daemon=True).start()


class LocalExecutor(Executor):
    """A pool of local worker processes."""

    name = "local"

    def __init__(self, jobs: int) -> None:
        self.jobs = jobs
        self._pool: cf.ProcessPoolExecutor | None = None

    def _start(self, n: int) -> cf.ProcessPoolExecutor:
        if self._pool is None:
            method = (
                "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
            )
            self._pool = cf.ProcessPoolExecutor(
                max_workers=n,
                mp_context=multiprocessing.get_context(method),
                initializer=_init_worker,
                initargs=(os.getpid(),),
            )
        return self._pool

    def run(self, tasks: Sequence[PointTask]) -> Iterator[Finished]:
        if not tasks:
            return
        pool = self._start(min(self.jobs, len(tasks)))
        futures = {pool.submit(run_task, t): t for t in tasks}
        try:
            for fut in cf.as_completed(futures):
                task = futures[fut]
                try:
                    yield task, fut.result()
                except Exception as exc:
                    yield task, exc
        finally:
            for fut in futures:
                fut.cancel()

    def describe(self) -> str:
        return f"{self.jobs} local worker process(es)"

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


class DaskExecutor(Executor):
    """Dask distributed: a running scheduler, or a LocalCluster of ``jobs`` workers."""

    name = "dask"

    def __init__(
        self, scheduler: str | None, jobs: int, *, timeout_s: float = CONNECT_TIMEOUT_S
    ) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError:  # pragma: no cover - a declared dependency
            raise HwgenError(
                "--executor dask needs the distributed package: pip install 'dask[distributed]'"
            ) from None
        self._cluster: Any = None
        self.scheduler = scheduler
        if scheduler is None:
            self._cluster = LocalCluster(
                n_workers=jobs,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=40,
            )
            address = self._cluster.scheduler_address
        else:
            address = scheduler
        try:
            self.client: Any = Client(address, timeout=f"{timeout_s}s", set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            self.close()
            reason = " ".join(str(exc).split()) or type(exc).__name__
            raise HwgenError(f"cannot reach the Dask scheduler at {address}: {reason}") from None
        self.address = address

    def run(self, tasks: Sequence[PointTask]) -> Iterator[Finished]:
        if not tasks:
            return
        from distributed import as_completed

        futures = self.client.map(run_task, list(tasks), pure=False)
        by_key = {f.key: t for f, t in zip(futures, tasks, strict=True)}
        for fut in as_completed(futures, loop=self.client.loop):
            task = by_key[fut.key]
            try:
                yield task, fut.result()
            except Exception as exc:
                yield task, exc

    def describe(self) -> str:
        workers = len(self.client.scheduler_info().get("workers", {}))
        where = "a local cluster" if self._cluster is not None else self.address
        return f"dask on {where} ({workers} worker(s))"

    def close(self) -> None:
        client = getattr(self, "client", None)
        if client is not None:
            client.close()
            self.client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None


def make_executor(
    executor: str,
    *,
    jobs: int,
    scheduler: str | None,
    timeout_s: float = CONNECT_TIMEOUT_S,
) -> Executor:
    """Build the executor the options name.

    Raises
    ------
    HwgenError
        Unknown executor, a scheduler address without ``dask``, or an unreachable scheduler.
    """
    if executor == "local":
        if scheduler is not None:
            raise HwgenError("--scheduler needs --executor dask (the local executor has none)")
        return InlineExecutor() if jobs == 1 else LocalExecutor(jobs)
    if executor == "dask":
        return DaskExecutor(scheduler, jobs, timeout_s=timeout_s)
    raise HwgenError(f"executor must be one of local, dask, not {executor!r}")
