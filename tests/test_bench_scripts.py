"""The white-spot benchmark script runs end to end on a small synthetic area.

Not a timed test: it checks that the script still works, and the script itself
asserts that the numba grid returns the STRtree's pairs.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"


def test_bench_whitespots_runs_on_a_small_area():
    done = subprocess.run([sys.executable, str(SCRIPTS / "bench_whitespots.py"), "--points", "3000", "--repeat", "1",
                           "--stages"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "classify:     3,000 points" in out
    assert "stages of classify" in out and "key_pairs" in out and "barriers" in out
    # every point gets a class
    classes = out.split("classes ", 1)[1]
    counts = [int(x.split(":")[1]) for x in classes.split("}")[0].strip("{").split(",")]
    assert sum(counts) == 3000
