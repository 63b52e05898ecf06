"""Start-up: composer's window on screen vs a bare PySide6 window with as many widgets.

Both run as fresh processes (median of several, interleaved so machine load hits both alike),
timed from process start to the first frame. The bare window is built in plain PySide6 with
no application code. composer must be within 1.5x. The time until the second start-up phase
(validation, presets list, exact preview) is done is printed too.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from pathlib import Path

from tests.perf.startup_scripts import BARE, COMPOSER, command

ROOT = Path(__file__).resolve().parents[2]
PRESET = ROOT / "composer" / "resources" / "presets" / "seed-example.json"
RUNS = 7


def _timed(args: list[str], env: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    result = subprocess.run(args, capture_output=True, text=True, env=env, check=True, timeout=60)
    return time.perf_counter() - started, result.stdout.strip()


def test_startup_within_one_and_a_half_of_a_bare_window(tmp_path: Path) -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", COMPOSER_HOME=str(tmp_path / "home"))
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as installed: compiled modules are cached
    # Warm-up (byte-code caches, the page cache, first-start sample presets), and the number
    # of rows that gives the bare window as many widgets as composer's (counted once shown).
    _, widgets = _timed(command(COMPOSER, str(PRESET), "complete"), env)
    _, ten_rows = _timed(command(BARE, "10"), env)
    _, thirty_rows = _timed(command(BARE, "30"), env)
    per_row = (int(thirty_rows) - int(ten_rows)) / 20
    rows = str(max(1, round(10 + (int(widgets) - int(ten_rows)) / per_row)))
    composer, bare, complete = [], [], []
    for _ in range(RUNS):
        seconds, _count = _timed(command(COMPOSER, str(PRESET)), env)
        composer.append(seconds)
        seconds, bare_widgets = _timed(command(BARE, rows), env)
        bare.append(seconds)
        seconds, _count = _timed(command(COMPOSER, str(PRESET), "complete"), env)
        complete.append(seconds)
    c, b, full = (statistics.median(x) for x in (composer, bare, complete))
    print(
        f"\nstart-up, process start to first frame, median of {RUNS}:"
        f"\n  bare PySide6 window ({bare_widgets} widgets): {b * 1000:.0f} ms"
        f"\n  composer window     ({widgets} widgets): {c * 1000:.0f} ms  ({c / b:.2f}x)"
        f"\n  composer, second phase done (validated, presets listed): {full * 1000:.0f} ms"
    )
    assert c <= 1.5 * b, f"composer {c:.3f} s vs bare {b:.3f} s: {c / b:.2f}x"
