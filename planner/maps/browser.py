"""Headless Chromium: find the browser, render a map to PNG.

The report embeds a screenshot of the councillor map; the tests and
``scripts/bench_map.py`` drive the same Debian Chromium (``/usr/bin/chromium``,
``make browser``) through playwright, with :data:`CHROMIUM_ARGS`.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path
from typing import Any

from planner._errors import InputFileNotFoundError, Problem
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
    browser: Any = None,
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
        An already launched playwright ``Browser`` to use instead of starting
        Chromium (the sync API cannot be nested).
    timeout_s
        Maximum wait for the map to draw.

    Returns
    -------
    pathlib.Path
        ``png_path``.

    Raises
    ------
    InputFileNotFoundError
        Chromium or the Python ``playwright`` package is not available
        (``make browser`` installs Chromium).
    """
    src = Path(html_path).resolve()
    out = Path(png_path)
    if browser is not None:
        png = _screenshot_png(browser, src, width, height, timeout_s)
    else:
        exe = executable_path or find_chromium()
        if exe is None:
            raise InputFileNotFoundError("Chromium not found", [Problem(
                file="chromium", message="no Chromium executable",
                fix="run `make browser` (Debian package chromium)")])
        try:
            from playwright.sync_api import sync_playwright
        except ImportError:
            raise InputFileNotFoundError("the playwright package is not installed", [Problem(
                file="playwright", message="cannot import playwright.sync_api",
                fix="install the python package playwright (Debian chromium is used; no `playwright install`)",
            )]) from None
        with sync_playwright() as p:
            launched = p.chromium.launch(executable_path=exe, args=list(CHROMIUM_ARGS))
            try:
                png = _screenshot_png(launched, src, width, height, timeout_s)
            finally:
                launched.close()
    out.parent.mkdir(parents=True, exist_ok=True)
    write_bytes(png, out)
    logger.info("wrote %s", out)
    return out


def _screenshot_png(browser: Any, src: Path, width: int, height: int, timeout_s: float) -> bytes:
    page = browser.new_page(viewport={"width": width, "height": height})
    try:
        page.goto(src.as_uri(), wait_until="load", timeout=timeout_s * 1000)
        page.wait_for_function("window.plannerMapReady === true", timeout=timeout_s * 1000)
        try:
            page.wait_for_load_state("networkidle", timeout=min(timeout_s, 15.0) * 1000)
        except Exception:  # base tiles of an online map still loading: take what is there
            logger.warning("screenshot: network not idle; base tiles may be missing")
        return bytes(page.screenshot(full_page=False))
    finally:
        page.close()
