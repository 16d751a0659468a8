"""The DevTools-pipe client behind map.png (planner.maps.cdp), on the real Debian Chromium."""

from __future__ import annotations

import http.server
import io
import os
import threading
import time
from pathlib import Path

import matplotlib.image
import numpy as np
import pytest
from conftest import require_or_skip

from planner.maps.browser import CHROMIUM_ARGS, find_chromium
from planner.maps.cdp import Browser, CDPError

pytestmark = pytest.mark.browser


@pytest.fixture
def exe() -> str:
    path = find_chromium()
    if path is None:
        require_or_skip("Chromium not installed", "run `make browser` (Debian package chromium)")
    assert path is not None
    return path


def _pixel(png: bytes, x: int, y: int) -> tuple[float, ...]:
    img = matplotlib.image.imread(io.BytesIO(png), format="png")
    return tuple(np.round(img[y, x, :3], 2))


def _page(tmp_path: Path, body: str) -> str:
    path = tmp_path / "page.html"
    path.write_text(f"<!doctype html><html><body style='margin:0;background:#fff'>{body}</body></html>",
                    encoding="utf-8")
    return path.resolve().as_uri()


def _group_alive(pgid: int) -> list[int]:
    """Processes of the group that are still running (zombies waiting for init do not count)."""
    alive = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                stat = Path(f"/proc/{d}/stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2:].split()
            if int(fields[2]) == pgid and fields[0] != "Z":
                alive.append(int(d))
    return alive


def test_waits_for_the_ready_flag_and_captures_the_viewport(exe, tmp_path):
    """The page draws (red) only 300 ms after its load event; the capture comes after that, at the size asked."""
    url = _page(tmp_path, """<div id=d style='width:100vw;height:100vh;background:#fff'></div><script>
        addEventListener('load', () => setTimeout(() => {
          document.getElementById('d').style.background = '#f00';
          requestAnimationFrame(() => { window.plannerMapReady = true; });
        }, 300));</script>""")
    with Browser(exe, CHROMIUM_ARGS) as b:
        png = b.screenshot(url, 320, 200)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert (int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")) == (320, 200)
    assert _pixel(png, 160, 100) == (1.0, 0.0, 0.0)


def test_a_page_opened_before_and_reused_session(exe, tmp_path):
    url = _page(tmp_path, "<div style='width:100vw;height:100vh;background:#00f'></div>"
                          "<script>window.plannerMapReady = true</script>")
    with Browser(exe, CHROMIUM_ARGS) as b:
        session = b.new_page(200, 100)
        png = b.screenshot(url, 0, 0, session=session)
    assert (int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")) == (200, 100)
    assert _pixel(png, 100, 50) == (0.0, 0.0, 1.0)


class _SlowImage(http.server.BaseHTTPRequestHandler):
    """Serves a 1x1 green PNG after 0.6 s (a slow tile server)."""

    png = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c4944415408d763"
                        "60f8cf00000301010018dd8db00000000049454e44ae426082")

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        time.sleep(0.6)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(self.png)))
        self.end_headers()
        self.wfile.write(self.png)

    def log_message(self, *args: object) -> None:
        pass


def test_waits_for_pending_requests_like_an_online_map(exe, tmp_path):
    """Requests still running when the page is ready (an online map's tiles) are waited for."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _SlowImage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        # the image is requested after the load event, as Leaflet requests tiles, and the page is ready at once
        url = _page(tmp_path, f"""<script>addEventListener('load', () => {{
            const img = new Image();
            img.style = 'width:100vw;height:100vh;display:block';
            img.src = 'http://127.0.0.1:{server.server_port}/tile.png';
            document.body.appendChild(img);
            window.plannerMapReady = true;
            }});</script>""")
        with Browser(exe, CHROMIUM_ARGS) as b:
            png = b.screenshot(url, 100, 100)
    finally:
        server.shutdown()
        server.server_close()
    r, g, bl = _pixel(png, 50, 50)
    assert g > 0.9 and r < 0.1  # the slow image is in the picture


class _StuckImage(_SlowImage):
    """Never answers within the test (a tile server that hangs)."""

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        time.sleep(3.0)


def test_a_network_that_never_falls_idle_is_a_warning_not_a_lost_picture(exe, tmp_path, monkeypatch, caplog):
    import planner.maps.cdp as cdp

    monkeypatch.setattr(cdp, "NETWORK_IDLE_MAX_S", 0.8)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _StuckImage)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = _page(tmp_path, f"""<div style='width:100vw;height:100vh;background:#00f'></div><script>
            addEventListener('load', () => {{
              new Image().src = 'http://127.0.0.1:{server.server_port}/tile.png';
              window.plannerMapReady = true;
            }});</script>""")
        with Browser(exe, CHROMIUM_ARGS) as b, caplog.at_level("WARNING", logger="planner.maps.cdp"):
            png = b.screenshot(url, 100, 100)
    finally:
        server.shutdown()
        server.server_close()
    assert _pixel(png, 50, 50) == (0.0, 0.0, 1.0)
    assert "network not idle" in caplog.text


def test_a_page_that_never_gets_ready_times_out(exe, tmp_path):
    url = _page(tmp_path, "<p>never ready</p>")
    with Browser(exe, CHROMIUM_ARGS, timeout_s=1.0) as b, pytest.raises(CDPError, match="in time"):
        b.screenshot(url, 100, 100)


def test_protocol_errors_and_a_dead_browser_are_cdp_errors(exe):
    b = Browser(exe, CHROMIUM_ARGS, timeout_s=10.0)
    try:
        with pytest.raises(CDPError, match="Target.attachToTarget"):
            b.send("Target.attachToTarget", {"targetId": "no-such-target", "flatten": True})
        assert "Chrome" in b.send("Browser.getVersion")["product"]
        os.killpg(b._pid, 9)
        with pytest.raises(CDPError, match="exited|closed"):
            b.send("Browser.getVersion")
    finally:
        b.close()


def test_close_ends_every_process_and_removes_the_profile(exe, tmp_path):
    url = _page(tmp_path, "<script>window.plannerMapReady = true</script>")
    b = Browser(exe, CHROMIUM_ARGS)
    b.screenshot(url, 100, 100)
    pgid, profile = b._pid, Path(b._profile)
    assert profile.is_dir() and len(_group_alive(pgid)) >= 2  # browser, zygote, renderer, ...
    b.close()
    assert _group_alive(pgid) == []
    assert not profile.exists()


def test_a_missing_executable_is_a_cdp_error(tmp_path):
    with pytest.raises(CDPError, match="cannot start"):
        Browser(str(tmp_path / "no-chromium"))


def test_cpu_seconds_count_the_whole_process_group(exe, tmp_path):
    """The benchmarks' CPU of Chromium: launching costs some, drawing a page more (renderer included)."""
    url = _page(tmp_path, """<canvas id=c width=1000 height=1000></canvas><script>
        const g = document.getElementById('c').getContext('2d');
        for (let i = 0; i < 200000; i++) { g.fillRect(i % 997, i % 991, 3, 3); }
        window.plannerMapReady = true;</script>""")
    with Browser(exe, CHROMIUM_ARGS) as b:
        b.send("Browser.getVersion")  # up and answering
        launched = b.cpu_seconds()
        b.screenshot(url, 400, 300)
        drawn = b.cpu_seconds()
    assert 0 < launched < drawn
