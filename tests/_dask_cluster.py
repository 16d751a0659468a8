"""A real Dask ``LocalCluster`` of worker processes on 127.0.0.1 for the tests (one definition)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any


@contextlib.contextmanager
def local_client(n_workers: int) -> Iterator[Any]:
    """A :class:`distributed.Client` of a local cluster of ``n_workers`` single-threaded processes.

    No dashboard, Dask's own loggers quiet (as ``planner plan-many`` keeps them); the
    cluster is closed on exit.
    """
    from distributed import Client, LocalCluster

    from planner.scale.engine import quiet_dask_loggers

    quiet_dask_loggers()
    with LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None, silence_logs=40) as cluster, Client(cluster) as c:
        yield c
