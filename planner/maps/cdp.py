"""A minimal Chrome DevTools Protocol client over Chromium's debugging pipe.

``map.png`` needs three things of a browser: open a file, wait until the map
has drawn, capture the viewport.  Playwright does this through its Node.js
driver, whose start-up alone costs about two seconds of CPU; this client
talks to Chromium directly instead, the way puppeteer's ``pipe: true`` mode
does: Chromium is started with ``--remote-debugging-pipe`` and reads
NUL-terminated JSON commands on its file descriptor 3 and writes responses
and events on descriptor 4 (https://chromedevtools.github.io/devtools-protocol/).
Only the commands :class:`Browser` uses are implemented: ``Target.createTarget``
and ``attachToTarget`` (flat sessions), ``Emulation.setDeviceMetricsOverride``,
``Page.navigate`` with its ``loadEventFired`` event, ``Runtime.evaluate``
(awaiting a promise), the ``Network`` events for an idle network, and
``Page.captureScreenshot``.

The tests still drive the same Chromium through playwright (pages are
inspected there, not only captured).
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import logging
import os
import selectors
import shutil
import signal
import tempfile
import time
from pathlib import Path
from typing import Any

__all__ = ["Browser", "CDPError"]

logger = logging.getLogger(__name__)

#: Longest wait for the network to fall idle after the map is ready (online maps load OSM tiles).
NETWORK_IDLE_MAX_S = 15.0
#: Quiet period that counts as an idle network (playwright's ``networkidle``: 500 ms).
NETWORK_QUIET_S = 0.5


class CDPError(RuntimeError):
    """Chromium reported an error, closed its pipe, or did not answer in time."""


class _PipeClosed(CDPError):
    """Chromium's end of the pipe is closed: it has exited (or is exiting)."""


class Browser:
    """One headless Chromium process driven over ``--remote-debugging-pipe``.

    Parameters
    ----------
    executable
        Chromium binary.
    args
        Extra command-line switches (e.g. :data:`planner.maps.browser.CHROMIUM_ARGS`).
    timeout_s
        Longest wait for any one answer.

    Examples
    --------
    >>> with Browser("/usr/bin/chromium") as b:                     # doctest: +SKIP
    ...     png = b.screenshot("file:///tmp/map.html", 1400, 900)
    """

    def __init__(self, executable: str, args: tuple[str, ...] | list[str] = (), *, timeout_s: float = 60.0) -> None:
        self.timeout_s = timeout_s
        self._profile = tempfile.mkdtemp(prefix="planner-chromium-")
        self._buffer = b""
        self._events: list[dict[str, Any]] = []
        self._next_id = 0
        # Our ends of the two pipes, and Chromium's ends as its fds 3 (commands in) and 4 (messages out).
        cmd_r, cmd_w = _pipe_above_4()
        msg_r, msg_w = _pipe_above_4()
        argv = [executable, "--headless", "--remote-debugging-pipe", f"--user-data-dir={self._profile}",
                # Chromium 156 starts its address-bar popup as a web page in a process of its own, even
                # headless: about half a second of CPU for nothing a screenshot shows.  (Not in the
                # shared CHROMIUM_ARGS: playwright passes its own --disable-features, and the last one wins.)
                "--disable-features=WebUIOmniboxPopup,WebUIOmniboxAimPopup",
                *args, "about:blank"]
        try:
            self._pid = os.posix_spawn(executable, argv, dict(os.environ), setpgroup=0, file_actions=[
                (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
                (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0),
                (os.POSIX_SPAWN_DUP2, cmd_r, 3),  # dup2 clears close-on-exec on 3 and 4 only
                (os.POSIX_SPAWN_DUP2, msg_w, 4),
            ])
        except OSError as exc:
            for fd in (cmd_r, cmd_w, msg_r, msg_w):
                os.close(fd)
            shutil.rmtree(self._profile, ignore_errors=True)
            raise CDPError(f"cannot start {executable}: {exc}") from None
        self._status: int | None = None
        os.close(cmd_r)
        os.close(msg_w)
        self._write_fd, self._read_fd = cmd_w, msg_r
        self._selector = selectors.DefaultSelector()
        self._selector.register(msg_r, selectors.EVENT_READ)

    # -- protocol ---------------------------------------------------------------------------------------
    def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> dict[str, Any]:
        """Send one command and wait for its result (events arriving meanwhile are kept).

        Raises
        ------
        CDPError
            The command failed, Chromium exited, or no answer came within ``timeout_s``.
        """
        self._next_id += 1
        msg: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session is not None:
            msg["sessionId"] = session
        data = json.dumps(msg).encode("utf-8") + b"\0"
        try:
            while data:
                data = data[os.write(self._write_fd, data):]
        except OSError as exc:
            raise CDPError(f"Chromium closed its pipe ({method}): {exc}") from None
        deadline = time.monotonic() + self.timeout_s
        while True:
            reply = self._read(deadline, method)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise CDPError(f"{method}: {reply['error'].get('message', reply['error'])}")
                result: dict[str, Any] = reply.get("result", {})
                return result
            if "method" in reply:
                self._events.append(reply)

    def wait_event(self, method: str, session: str | None = None) -> dict[str, Any]:
        """The next event ``method`` (of ``session``), including one that arrived earlier.

        Raises
        ------
        CDPError
            No such event within the timeout.
        """
        for i, ev in enumerate(self._events):
            if ev.get("method") == method and (session is None or ev.get("sessionId") == session):
                return self._events.pop(i)
        deadline = time.monotonic() + self.timeout_s
        while True:
            ev = self._read(deadline, method)
            if ev.get("method") == method and (session is None or ev.get("sessionId") == session):
                return ev
            if "method" in ev:
                self._events.append(ev)

    def _read(self, deadline: float, waiting_for: str) -> dict[str, Any]:
        """The next message; raises :class:`CDPError` at ``deadline`` or when the pipe closes."""
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not self._selector.select(left):
                raise CDPError(f"Chromium did not answer {waiting_for} in time")
            chunk = os.read(self._read_fd, 1 << 20)
            if not chunk:
                raise _PipeClosed(f"Chromium exited (status {self._poll()}) while waiting for {waiting_for}")
            self._buffer += chunk
        raw, _, self._buffer = self._buffer.partition(b"\0")
        message: dict[str, Any] = json.loads(raw)
        return message

    # -- a page -----------------------------------------------------------------------------------------
    def new_page(self, width: int, height: int) -> str:
        """Open a blank page with a ``width`` x ``height`` CSS-pixel viewport; returns its session id."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = str(self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"])
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}, session)
        self.send("Page.enable", session=session)
        self.send("Network.enable", session=session)
        self._events.clear()
        return session

    def screenshot(self, url: str, width: int, height: int, *, ready: str = "window.plannerMapReady === true",
                   session: str | None = None) -> bytes:
        """Load ``url``, wait for its load event, for ``ready`` to hold and an idle network; PNG of the viewport.

        Parameters
        ----------
        url
            Page address (``file://`` for a written map).
        width, height
            Viewport in CSS pixels (ignored when ``session`` is given).
        ready
            JavaScript expression that becomes true when the page has drawn.
        session
            A page opened earlier with :meth:`new_page` (saves its set-up time).

        Returns
        -------
        bytes
            The PNG.
        """
        session = session or self.new_page(width, height)
        nav = self.send("Page.navigate", {"url": url}, session)
        if nav.get("errorText"):
            raise CDPError(f"cannot open {url}: {nav['errorText']}")
        self.wait_event("Page.loadEventFired", session)
        poll = ("new Promise(r => { const t = () => (" + ready + ") ? r(true) : setTimeout(t, 10); t(); })")
        out = self.send("Runtime.evaluate", {"expression": poll, "awaitPromise": True,
                                             "timeout": int(self.timeout_s * 1000)}, session)
        if "exceptionDetails" in out:
            raise CDPError(f"the page failed: {out['exceptionDetails'].get('text', out['exceptionDetails'])}")
        self._wait_network_idle(session)
        shot = self.send("Page.captureScreenshot", {"format": "png"}, session)
        return base64.b64decode(shot["data"])

    def _wait_network_idle(self, session: str) -> None:
        """Wait until no request of ``session`` is pending (at most :data:`NETWORK_IDLE_MAX_S`).

        An offline map has loaded everything by the time it is drawn: nothing is
        pending and nothing is waited for.  While requests are pending (an online
        map's tiles), the network counts as idle once none has been pending for
        :data:`NETWORK_QUIET_S`, as playwright's ``networkidle``.
        """
        pending: set[str] = set()
        events, self._events = self._events, []
        busy = False
        end = time.monotonic() + NETWORK_IDLE_MAX_S
        while True:
            for ev in events:
                if ev.get("sessionId") != session:
                    self._events.append(ev)
                    continue
                rid = str(ev.get("params", {}).get("requestId"))
                if ev["method"] == "Network.requestWillBeSent":
                    pending.add(rid)
                elif ev["method"] in ("Network.loadingFinished", "Network.loadingFailed"):
                    pending.discard(rid)
            busy = busy or bool(pending)
            if not busy:
                return
            now = time.monotonic()
            if now >= end:  # e.g. base tiles still loading: take what is there, as playwright's callers did
                logger.warning("screenshot: network not idle after %.0f s; base tiles may be missing",
                               NETWORK_IDLE_MAX_S)
                return
            try:
                events = [self._read(min(end, now + NETWORK_QUIET_S), "network idle")]
            except _PipeClosed:
                raise
            except CDPError:  # nothing for NETWORK_QUIET_S
                if not pending:
                    return
                events = []

    # -- lifetime ---------------------------------------------------------------------------------------
    def close(self) -> None:
        """End Chromium and remove its profile directory.

        Chromium's whole process group (browser, zygotes, renderers) is killed
        at once: the profile is a throw-away one, and a graceful shut-down of a
        page with a large map costs about a second.
        """
        if self._poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self._pid, signal.SIGKILL)
            self._poll(block=True)
        for fd in (self._write_fd, self._read_fd):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._write_fd = self._read_fd = -1
        self._selector.close()
        shutil.rmtree(self._profile, ignore_errors=True)

    def _poll(self, block: bool = False) -> int | None:
        """Chromium's wait status once it has exited (reaped here), else None."""
        if self._status is None:
            with contextlib.suppress(ChildProcessError):
                pid, status = os.waitpid(self._pid, 0 if block else os.WNOHANG)
                if pid:
                    self._status = status
        return self._status

    def cpu_seconds(self) -> float:
        """CPU seconds used so far by Chromium's processes (browser, zygotes, renderer, GPU; Linux ``/proc``).

        The processes of Chromium's process group, with the children they have
        reaped; ``nan`` where ``/proc`` is not available.  For the benchmarks:
        ``resource.getrusage`` does not see the zygotes' children.
        """
        if not os.path.isdir("/proc"):
            return float("nan")
        ticks = 0
        for pid in os.listdir("/proc"):
            if pid.isdigit():
                try:
                    stat = Path(f"/proc/{pid}/stat").read_text()
                except OSError:
                    continue
                fields = stat[stat.rindex(")") + 2:].split()
                if int(fields[2]) == self._pid:
                    ticks += sum(int(x) for x in fields[11:15])  # utime stime cutime cstime
        return ticks / os.sysconf("SC_CLK_TCK")

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _pipe_above_4() -> tuple[int, int]:
    """A pipe whose two (close-on-exec) descriptors are above 4, so that dup2 onto 3 and 4 cannot clobber them."""
    ends = os.pipe()
    out = tuple(fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 5) for fd in ends)
    for fd in ends:
        os.close(fd)
    return out[0], out[1]
