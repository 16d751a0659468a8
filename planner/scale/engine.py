"""The Dask engine of ``plan-many``: a local cluster sized to the machine, or an existing scheduler.

:func:`open_client` yields a :class:`distributed.Client`: with no scheduler
address it starts a :class:`distributed.LocalCluster` of worker *processes*
(one thread each by default -- planning holds the GIL most of the time) on
``127.0.0.1`` only; with ``tcp://HOST:8786`` it connects to a running
scheduler.  Dask's own loggers are kept at WARNING unless ``verbose``.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

from planner._errors import Problem, UsageError

if TYPE_CHECKING:  # pragma: no cover
    from distributed import Client

__all__ = ["open_client", "default_workers", "quiet_dask_loggers"]

logger = logging.getLogger(__name__)

_DASK_LOGGERS = ("distributed", "dask", "tornado", "bokeh")


def quiet_dask_loggers(level: int = logging.WARNING) -> None:
    """Set Dask's, Tornado's and Bokeh's loggers to ``level`` (WARNING by default)."""
    for name in _DASK_LOGGERS:
        logging.getLogger(name).setLevel(level)
    # bokeh warns that the dashboard accepts any Host header; it listens on 127.0.0.1 only
    logging.getLogger("bokeh.server.util").setLevel(max(level, logging.ERROR))
    # "worker process still alive after 4 s, killing" when a loaded machine closes the cluster
    logging.getLogger("distributed.nanny").setLevel(max(level, logging.ERROR))


def default_workers() -> int:
    """Worker processes of the local cluster: the cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


@contextlib.contextmanager
def open_client(scheduler: str | None = None, *, workers: int | None = None, threads_per_worker: int = 1,
                memory_limit: str = "auto", connect_timeout_s: float = 10.0, verbose: bool = False
                ) -> Iterator[Client]:
    """A Dask client on a new local cluster or an existing scheduler.

    Parameters
    ----------
    scheduler
        Address of a running scheduler (``tcp://HOST:8786``); ``None`` starts a
        :class:`distributed.LocalCluster` on 127.0.0.1.
    workers
        Worker processes of the local cluster (default: :func:`default_workers`).
        With ``scheduler``, the run waits for at least this many workers.
    threads_per_worker
        Threads per worker process.
    memory_limit
        Memory limit per worker process (``"auto"``: machine memory / workers).
    connect_timeout_s
        Seconds to wait for the scheduler (and the workers).
    verbose
        Keep Dask's INFO messages.

    Yields
    ------
    distributed.Client

    Raises
    ------
    UsageError
        The scheduler cannot be reached, or ``workers`` is not positive.
    """
    from distributed import Client, LocalCluster

    quiet_dask_loggers(logging.INFO if verbose else logging.WARNING)
    if workers is not None and workers < 1:
        raise UsageError(f"--workers must be at least 1, got {workers}", [Problem(
            file="--workers", message=f"{workers} worker processes", fix="give --workers 1 or more")])
    if scheduler is None:
        n = workers or default_workers()
        cluster = LocalCluster(n_workers=n, threads_per_worker=threads_per_worker, processes=True,
                               host="127.0.0.1", dashboard_address="127.0.0.1:8787", memory_limit=memory_limit,
                               silence_logs=logging.INFO if verbose else logging.WARNING,
                               # numba's parallel kernels: one thread per worker thread, no oversubscription
                               env={"NUMBA_NUM_THREADS": str(threads_per_worker)})
        try:
            client = Client(cluster)
            try:
                logger.info("local Dask cluster: %d worker processes x %d thread(s)", n, threads_per_worker)
                yield client
            finally:
                client.close()
        finally:
            cluster.close()
        return
    try:
        client = Client(scheduler, timeout=f"{connect_timeout_s}s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise UsageError(f"cannot reach the Dask scheduler at {scheduler}", [Problem(
            file=scheduler, message=f"no Dask scheduler answers there ({type(exc).__name__}: {exc})",
            fix="start one (`dask scheduler` and `dask worker tcp://HOST:8786` on the machines), check the "
                "address and port, or leave out --scheduler to use a local cluster")]) from None
    try:
        if workers:
            try:
                client.wait_for_workers(workers, timeout=connect_timeout_s)
            except TimeoutError:
                raise UsageError(f"the Dask scheduler at {scheduler} has fewer than {workers} workers", [Problem(
                    file=scheduler, message=f"fewer than {workers} workers joined within {connect_timeout_s:.0f} s",
                    fix="start more workers or lower --workers")]) from None
        yield client
    finally:
        client.close()
