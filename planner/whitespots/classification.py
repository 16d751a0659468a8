"""Classification of every address point as a white, grey or black spot, with its barriers.

Everything is vectorised (address keys normalised, hashed and joined by the
kernels of :mod:`planner.kernels`, the proximity grid for buildings and
coverage points, one compiled pass per address for its match method, NGA
operators and reason); there is no Python loop over address points or
coverage rows.  The stages that do not wait for the key matching (building
search, id matching, duplicate-row check and a few smaller ones, and at the
end the text columns) run in two worker threads beside it
(:func:`stage_executor`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner._errors import InputDataError, Problem
from planner.area import Area
from planner.config import WhiteSpotConfig
from planner.kernels import text_join
from planner.kernels.threads import limit_threads, thread_count
from planner.schema import WS_CLASSES
from planner.whitespots.barriers import barriers, building_flags
from planner.whitespots.codes import codes, str_series
from planner.whitespots.coverage import (
    declarations,
    duplicate_keys,
    duplicate_rows,
    prepare_coverage,
    problem_rows,
)
from planner.whitespots.keys import arrow_strip, column, id_positions, key_hashes, raw_hashes, to_arrow
from planner.whitespots.matching import METHODS, match, terc_warning, unmatched_warning
from planner.whitespots.reasons import row_descriptions
from planner.whitespots.summaries import summarise

__all__ = ["check_unique_ids", "classify", "classify_with_warnings", "stage_executor"]

logger = logging.getLogger(__name__)


def _prepare_addresses(area: Area) -> gpd.GeoDataFrame:
    addr = area.addresses
    source = area.sources.get("addresses", "addresses")
    problems = []
    for col in ("id", "simc", "house_number"):
        if col not in addr.columns:
            problems.append(Problem(file=source, message=f"addresses have no '{col}' column",
                                    fix="see planner/schema.py ADDRESSES"))
    if problems:
        raise InputDataError(f"address layer {source} lacks required columns", problems)
    return addr


def check_unique_ids(area: Area, id_hashes: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None) -> None:
    """Check that every address point has its own id.

    Parameters
    ----------
    area
        Study area (its ``addresses`` layer).
    id_hashes
        :func:`~planner.whitespots.keys.raw_hashes` of the ids, if already computed.

    Raises
    ------
    InputDataError
        Listing the address rows whose id is not unique.
    """
    addr = area.addresses
    source = area.sources.get("addresses", "addresses")
    dup = text_join.duplicated(to_arrow(addr["id"]), None if id_hashes is None else id_hashes[:2])
    if dup.any():
        rows = np.flatnonzero(dup)
        raise InputDataError(
            f"address layer {source} has {len(rows)} rows with duplicate ids",
            problem_rows(source, rows, lambda r: f"id {addr['id'].iloc[r]!r} is not unique",
                         "give every address point its own id (PRG lokalnyId)"))


class _InlineExecutor(Executor):
    """An executor that runs each task at once, in the calling thread."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:  # noqa: BLE001 -- re-raised by future.result(); Ctrl-C stops at once
            future.set_exception(exc)
        return future


def stage_executor() -> Executor:
    """Threads for the stages of :func:`classify` that do not depend on the matching.

    Returns
    -------
    concurrent.futures.Executor
        Two worker threads when the calling thread may use more than one
        (:func:`planner.kernels.threads.thread_count`); otherwise an executor
        that runs every stage in turn in the calling thread.  The kernels
        release the GIL, so the stages really overlap; the results do not
        depend on it.  The workers run their kernels on one thread each (the
        calling thread's kernels use the others).
    """
    if thread_count() < 2:
        return _InlineExecutor()
    return ThreadPoolExecutor(max_workers=2, initializer=limit_threads, initargs=(1,),
                              thread_name_prefix="planner-whitespots")


@contextmanager
def _stages() -> Iterator[Executor]:
    """:func:`stage_executor`, shut down on leaving; on an error, stages not yet started are cancelled."""
    pool = stage_executor()
    try:
        yield pool
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    finally:
        pool.shutdown(wait=True)


def _coverage_layer(area: Area, crs: Any) -> gpd.GeoDataFrame:
    """The area's coverage layer, with a geometry column (empty for keys only) in ``crs``."""
    cov_layer = area["coverage"]
    if getattr(cov_layer, "_geometry_column_name", None) not in cov_layer.columns:  # keys only, no geometry
        cov_layer = gpd.GeoDataFrame(pd.DataFrame(cov_layer), geometry=gpd.GeoSeries(
            [None] * len(cov_layer), index=cov_layer.index, crs=crs), crs=crs)
    if cov_layer.crs is not None and crs is not None and len(cov_layer) and cov_layer.crs != crs:
        cov_layer = cov_layer.to_crs(crs)
    return cov_layer


def classify_with_warnings(area: Area, config: WhiteSpotConfig) -> tuple[gpd.GeoDataFrame, list[str]]:
    """:func:`classify`, and the counted warnings about the inputs in the order found.

    Parameters
    ----------
    area
        Study area; uses its ``addresses``, ``coverage`` and ``buildings`` layers.
    config
        White-spot rules.

    Returns
    -------
    addresses : geopandas.GeoDataFrame
        As :func:`classify` returns it.
    warnings : list of str
        Also logged.
    """
    addr = _prepare_addresses(area)
    n = len(addr)
    source = area.sources.get("coverage", "coverage")
    cov_layer = _coverage_layer(area, addr.crs)
    buildings = area["buildings"]
    cov_warnings: list[str] = []
    dup_warnings: list[str] = []
    # Stages that do not wait for one another run in two worker threads beside the coverage checks and
    # the key matching.
    with _stages() as pool:
        bounds = pool.submit(shapely.bounds, addr.geometry.to_numpy())  # GEOS releases the GIL
        # the longest stage first, in one worker, while the other does the rest in the order needed
        near = pool.submit(lambda: building_flags(addr.geometry, bounds.result(), buildings, config)) \
            if len(buildings) else None
        address_keys = pool.submit(key_hashes, addr)
        address_ids = pool.submit(raw_hashes, addr["id"])
        unique_ids = pool.submit(lambda: check_unique_ids(area, address_ids.result()))
        id_hashes = pool.submit(raw_hashes, column(cov_layer, "address_id"))
        by_id = pool.submit(lambda: id_positions(addr["id"], column(cov_layer, "address_id"), id_hashes.result(),
                                                 address_ids.result()))
        statuses = pool.submit(codes, column(addr, "status", "istniejacy"), arrow_strip)
        try:
            cov = prepare_coverage(cov_layer, config, source, cov_warnings)
        finally:
            unique_ids.result()  # duplicate address ids are reported first, before any coverage error
        declared = pool.submit(declarations, cov)
        descriptions = pool.submit(lambda: row_descriptions(cov, declared.result()))
        cov_keys = key_hashes(cov)
        dup = pool.submit(lambda: duplicate_rows(cov, source, dup_warnings, duplicate_keys(
            cov, id_hashes.result(), cov_keys, declared.result()[0])))
        prow, paddr, pm, matched = match(addr, cov, config, bounds.result(), by_id, address_keys, cov_keys)
        dropped = dup.result()
        keep = ~dropped[prow]  # pairs of duplicate rows: the same as their first row's
        prow, paddr, pm = prow[keep], paddr[keep], pm[keep]
        terc = pool.submit(terc_warning, addr, cov, prow[pm == 1], paddr[pm == 1], source)

        summary = summarise(n, prow, paddr, pm, cov, descriptions.result())
        ws_code = np.minimum(summary.n_any, 2)  # 0 white, 1 grey, 2 black
        warnings = (cov_warnings + dup_warnings + terc.result()
                    + unmatched_warning(cov, np.flatnonzero(~matched & ~dropped), source, config))
        is_barrier, reason_codes, barrier_texts = barriers(ws_code == 0, statuses.result(),
                                                           near.result() if near is not None else None, config,
                                                           warnings)
        # the text columns are built in the workers (Arrow takes, without the GIL) while the frame is copied
        text = {name: pool.submit(str_series, values, texts, addr.index) for name, values, texts in (
            ("ws_class", ws_code, list(WS_CLASSES)), ("ws_reason", *summary.reasons),
            ("match_method", summary.method, list(METHODS)), ("nga_operators", *summary.operators),
            ("barrier_reason", reason_codes, barrier_texts))}
        # with copy-on-write (pandas >= 3) a shallow copy suffices: neither the new columns nor later edits
        # reach the caller's frame
        cow = int(pd.__version__.split(".")[0]) >= 3 or pd.options.mode.copy_on_write is True
        out = addr.copy(deep=not cow)
        out["ws_class"] = text["ws_class"].result()
        out["ws_reason"] = text["ws_reason"].result()
        out["n_nga_now"] = summary.n_now
        out["n_nga_planned"] = summary.n_planned
        out["match_method"] = text["match_method"].result()
        out["nga_operators"] = text["nga_operators"].result()
        out["is_barrier"] = is_barrier
        out["barrier_reason"] = text["barrier_reason"].result()
        out["is_target"] = (ws_code == 0) & ~is_barrier
    for w in warnings:
        logger.warning(w)
    logger.info("white spots: %d white, %d grey, %d black, %d barriers of %d address points",
                int((ws_code == 0).sum()), int((ws_code == 1).sum()),
                int((ws_code == 2).sum()), int(is_barrier.sum()), n)
    return out, warnings


def classify(area: Area, config: WhiteSpotConfig | None = None) -> gpd.GeoDataFrame:
    """Classify every address point of an area as a white, grey or black spot.

    Parameters
    ----------
    area
        Study area; uses its ``addresses``, ``coverage`` and ``buildings`` layers.
    config
        White-spot rules; the documented defaults when ``None``.

    Returns
    -------
    geopandas.GeoDataFrame
        The addresses (same rows and order) plus ``ws_class``, ``ws_reason``,
        ``n_nga_now``, ``n_nga_planned``, ``match_method``, ``nga_operators``
        (``'; '``-joined NGA operators, for the official-list diff),
        ``is_barrier``, ``barrier_reason`` and ``is_target``.

    Raises
    ------
    InputDataError
        Duplicate address ids; coverage speeds that are missing or not numbers,
        unknown media or statuses (every bad row listed).

    Notes
    -----
    Counted warnings (unmatched, duplicate, unknown-technology rows, empty
    buildings layer) go to the ``planner.whitespots`` logger;
    :func:`planner.whitespots.run` also returns them.
    """
    out, _ = classify_with_warnings(area, config or WhiteSpotConfig())
    return out
