"""Region- and nation-scale runs (``[scale]``, ``planner plan-many``).

Sources of the defaults are named in :mod:`planner.config`.  None of these keys
changes a commune's plan, so they are left out of the configuration hash that
decides which communes a re-run skips (the partitions they produce are hashed
instead).
"""

from __future__ import annotations

from pydantic import Field

from planner.config._base import Section

__all__ = ["ScaleConfig"]


class ScaleConfig(Section):
    """Partitioning of national layers and the Dask engine."""

    # Roads, poles, ducts, parcels, buildings and POPs within this distance of a commune's
    # boundary are kept with it, so routes may leave the commune where its roads do; twice
    # the 2 km study-area margin of planner.io is not needed at the border. [A]
    clip_buffer_m: float = Field(2_000.0, ge=0)
    # A commune boundary derived from its address points: their convex hull grown by this. [A]
    hull_buffer_m: float = Field(500.0, ge=0)
    # Address rows per partitioning task of a national layer (bounds one worker's memory:
    # ~0.5 GB per million PRG points in pandas). [A]
    chunk_rows: int = Field(500_000, ge=1_000)
    # Threads per Dask worker process: planning is pure Python/NumPy under the GIL for most
    # of its time, so one process per core scales best. [A, measured: scripts/bench_scale.py]
    threads_per_worker: int = Field(1, ge=1)
    # Memory limit per worker process of the local cluster ("auto": machine memory / workers). [A]
    memory_limit: str = "auto"
    # Seconds to wait for an existing scheduler (--scheduler) before giving up. [A]
    connect_timeout_s: float = Field(10.0, gt=0)
