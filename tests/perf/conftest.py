"""Shared by the benchmarks: the window fixtures of the UI tests, a median timer, and the big
history that the History benchmarks read (built once per session)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.ui.conftest import make_window, window

__all__ = ["big_history", "make_window", "median_ms", "window"]


def median_ms(action: Callable[[], object], tries: int = 7) -> float:
    """The median time of ``action`` over ``tries`` calls, in milliseconds, after one call
    not counted (it warms the page cache, like a second look at the History view would)."""
    action()
    times = []
    for _ in range(tries):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


@pytest.fixture(scope="session")
def big_history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A history of 100,000 submissions over a year (see ``test_history_perf._build``), built
    once for every History benchmark of the session (it takes tens of seconds)."""
    # Imported here: that module imports median_ms from this one.
    from tests.perf.test_history_perf import ENTRIES, _build

    path = tmp_path_factory.mktemp("perf") / "history.sqlite3"
    started = time.perf_counter()
    _build(path)
    print(
        f"\nbuilt {ENTRIES:,} submissions in {time.perf_counter() - started:.1f} s, "
        f"{path.stat().st_size / 1e6:.0f} MB"
    )
    return path
