"""``map.png``: headless Chromium in a process of its own, started before it is needed.

Starting Chromium and opening a page takes about half a second; a
:class:`Screenshotter` does it in a forked process while the caller goes on
(``planner plan`` starts one before it loads the area, so the browser is ready
when the map is written).  :meth:`Screenshotter.shoot` sends it the map's path;
it renders the page (:func:`planner.maps.browser.screenshot`), writes the PNG
atomically and ends.  Without a browser the map is still written and the
screenshot is skipped with a warning, as before.  Where processes cannot be
forked (:func:`planner.output.forked.can_fork`), the screenshot is taken in
the calling process when asked for.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from planner.output.forked import can_fork, fork

if TYPE_CHECKING:
    from planner.maps.cdp import Browser

__all__ = ["Screenshotter"]

logger = logging.getLogger(__name__)

#: Viewport of ``map.png`` in CSS pixels (:func:`planner.maps.browser.screenshot`'s default).
WIDTH, HEIGHT = 1400, 900


class Screenshotter:
    """A headless Chromium waiting, in a child process, for one map to render.

    Examples
    --------
    >>> shot = Screenshotter().start()          # doctest: +SKIP
    >>> shot.shoot("out/map.html", "out/map.png")  # doctest: +SKIP
    >>> shot.wait()                              # doctest: +SKIP
    """

    def __init__(self) -> None:
        self.pid = 0
        self._request = -1
        self._reply = -1
        self._sent = False
        self._inline: tuple[Path, Path] | None = None

    def start(self) -> Screenshotter:
        """Fork the browser process (or do nothing where forking is not possible); returns ``self``."""
        if self.pid or not can_fork():
            return self
        req_r, req_w = os.pipe()
        rep_r, rep_w = os.pipe()

        def child() -> int:
            os.close(req_w)
            os.close(rep_r)
            return _serve(req_r, rep_w)

        pid = fork(child)
        os.close(req_r)
        os.close(rep_w)
        self.pid, self._request, self._reply = pid, req_w, rep_r
        return self

    def shoot(self, html: str | os.PathLike[str], png: str | os.PathLike[str]) -> None:
        """Ask for the screenshot of ``html`` (complete on disk) into ``png``; returns at once."""
        if self._sent:
            raise RuntimeError("a Screenshotter takes one screenshot")
        self._sent = True
        if not self.pid:
            self._inline = (Path(html), Path(png))
            return
        msg = json.dumps({"html": str(Path(html).resolve()), "png": str(Path(png).resolve())}) + "\n"
        os.write(self._request, msg.encode("utf-8"))
        os.close(self._request)
        self._request = -1

    def wait(self) -> float:
        """Wait for the screenshot asked for; returns its wall seconds (0 when none was taken)."""
        if self._inline is not None:
            html, png = self._inline
            self._inline = None
            t0 = time.perf_counter()
            _take(html, png, browser=None)
            return time.perf_counter() - t0
        if not self.pid:
            return 0.0
        with os.fdopen(self._reply, "rb") as f:
            payload = f.read()
        self._reply = -1
        os.waitpid(self.pid, 0)
        self.pid = 0
        report: dict[str, Any] = json.loads(payload) if payload else {}
        return float(report.get("seconds", 0.0))

    def close(self) -> None:
        """End the browser process without a screenshot (nothing asked for, or the caller failed)."""
        if self._request >= 0:
            with contextlib.suppress(OSError):
                os.close(self._request)
            self._request = -1
        if self.pid:
            # not waiting for a browser still starting up: Chromium ends when its DevTools pipe closes
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self.pid, 0)
            self.pid = 0
        if self._reply >= 0:
            with contextlib.suppress(OSError):
                os.close(self._reply)
            self._reply = -1

    def __enter__(self) -> Screenshotter:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


def _take(html: Path, png: Path, browser: Browser | None, session: str | None = None) -> None:
    """Screenshot ``html`` into ``png``; a failing or missing browser is a warning."""
    from planner.maps.browser import screenshot

    try:
        screenshot(html, png, browser=browser, session=session)
    except Exception as exc:  # the map itself is written
        logger.warning("map screenshot skipped: %s", exc)


def _serve(request_fd: int, reply_fd: int) -> int:
    """The browser process: launch Chromium, open a page, read one request, render it, reply; exit code."""
    from planner.maps.browser import CHROMIUM_ARGS, find_chromium
    from planner.maps.cdp import Browser, CDPError

    seconds = 0.0
    with os.fdopen(request_fd, "rb") as requests, os.fdopen(reply_fd, "wb") as reply:
        exe = find_chromium()
        if exe is None:
            line = requests.readline()
            if line:
                logger.warning("map screenshot skipped: Chromium not available (`make browser`)")
            reply.write(b"{}")
            return 0
        browser: Browser | None = None
        try:
            browser = Browser(exe, CHROMIUM_ARGS)
            session = browser.new_page(WIDTH, HEIGHT)  # ready before the map is written
            line = requests.readline()
            if line:
                t0 = time.perf_counter()
                req = json.loads(line)
                _take(Path(req["html"]), Path(req["png"]), browser, session)
                seconds = time.perf_counter() - t0
        except (CDPError, OSError) as exc:  # launching the browser failed: the map itself is written
            logger.warning("map screenshot skipped: %s", exc)
        finally:
            if browser is not None:
                browser.close()
        reply.write(json.dumps({"seconds": seconds}).encode("utf-8"))
    return 0
