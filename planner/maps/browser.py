"""Headless Chromium: find the browser, render a map to PNG.

``map.png`` is a screenshot of the councillor map in the Debian Chromium
(``/usr/bin/chromium``, ``make browser``), driven directly over its DevTools
pipe (:mod:`planner.maps.cdp`, no Node.js driver); the tests and
``scripts/bench_map.py`` inspect pages in the same Chromium through
playwright.  Both use :data:`CHROMIUM_ARGS`.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

from planner._errors import InputFileNotFoundError, Problem
from planner.maps.cdp import Browser
from planner.output.files import write_bytes

logger = logging.getLogger(__name__)

__all__ = ["CHROMIUM_ARGS", "find_chromium", "screenshot"]

#: Chromium switches for headless use in containers and CI (no sandbox, no background traffic).
CHROMIUM_ARGS: tuple[str, ...] = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


def find_chromium() -> str | None:
    """Path of the Chromium executable, or None.

    Returns
    -------
    str or None
        ``$PLANNER_CHROMIUM``, else ``chromium`` on the PATH, else ``/usr/bin/chromium``,
        whichever is an executable file first.
    """
    for cand in (os.environ.get("PLANNER_CHROMIUM"), shutil.which("chromium"), "/usr/bin/chromium"):
        if cand and Path(cand).is_file() and os.access(cand, os.X_OK):
            return cand
    return None


def screenshot(
    html_path: str | os.PathLike[str],
    png_path: str | os.PathLike[str],
    width: int = 1400,
    height: int = 900,
    *,
    executable_path: str | None = None,
    browser: Browser | None = None,
    session: str | None = None,
    timeout_s: float = 60.0,
) -> Path:
    """Render a map HTML in headless Chromium and save a PNG screenshot.

    Parameters
    ----------
    html_path
        Map written by :func:`write_map`.
    png_path
        Output PNG (written atomically).
    width, height
        Viewport size in CSS pixels.
    executable_path
        Chromium binary; default :func:`find_chromium`.
    browser
        A running :class:`planner.maps.cdp.Browser` to use instead of starting Chromium.
    session
        A page of ``browser`` opened with the same viewport (:meth:`~planner.maps.cdp.Browser.new_page`).
    timeout_s
        Maximum wait for the map to draw.

    Returns
    -------
    pathlib.Path
        ``png_path``.

    Raises
    ------
    InputFileNotFoundError
        Chromium is not available (``make browser`` installs it).
    planner.maps.cdp.CDPError
        Chromium failed, or the map did not draw within ``timeout_s``.
    """
    url = Path(html_path).resolve().as_uri()
    out = Path(png_path)
    if browser is not None:
        png = browser.screenshot(url, width, height, session=session)
    else:
        exe = executable_path or find_chromium()
        if exe is None:
            raise InputFileNotFoundError("Chromium not found", [Problem(
                file="chromium", message="no Chromium executable",
                fix="run `make browser` (Debian package chromium)")])
        with Browser(exe, CHROMIUM_ARGS, timeout_s=timeout_s) as launched:
            png = launched.screenshot(url, width, height)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_bytes(png, out)
    logger.info("wrote %s", out)
    return out
