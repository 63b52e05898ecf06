"""What the window's thread spent its time on during a benchmark: the longest steps, by name;
and the two measures the benchmarks take beside it, :class:`Probe` (how late a timer on the
window's thread fires) and :class:`GcPauses` (the garbage collections during a block).

A benchmark that finds a stall wants to know what ran in it. :class:`LoopSteps` times, on the
window's thread only: every callback of the asyncio (qasync) loop (a task's step is named after
its coroutine), chosen methods that Qt calls (slots, timers), and the garbage collector's pauses
on any thread (a collection holds the interpreter lock, so one on another thread stalls the
window too). It also remembers when each step ran, so a stall seen by a probe can be explained
by the steps that overlapped it. Wall time: waits for the interpreter lock are included.
"""

from __future__ import annotations

import asyncio
import gc
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QTimer

_Handle: Any = asyncio.Handle


@dataclass(frozen=True, slots=True)
class Step:
    """One timed step: its name and when it started and ended (``time.perf_counter``)."""

    name: str
    start: float
    end: float

    @property
    def ms(self) -> float:
        """How long it took, in milliseconds."""
        return (self.end - self.start) * 1000


class LoopSteps:
    """Times steps of the window's thread while :meth:`recording` (see the module docstring)."""

    def __init__(self) -> None:
        self.steps: list[Step] = []
        self._on = False
        self._depth = 0
        self._main = threading.main_thread()
        self._undo: list[Callable[[], None]] = []
        self._gc_started: dict[int, float] = {}

    # --- what is timed ---

    def wrap(self, owner: type, name: str) -> None:
        """Time ``owner.name`` (a method Qt calls) when called on the window's thread."""
        original = getattr(owner, name)
        label = f"{owner.__name__}.{name}"
        timed = self._timed

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            return timed(label, original, *args, **kwargs)

        setattr(owner, name, wrapper)
        self._undo.append(lambda: setattr(owner, name, original))

    def _timed(self, label: str, call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not self._on or self._depth or threading.current_thread() is not self._main:
            return call(*args, **kwargs)
        self._depth += 1  # only the outermost step counts (a slot inside a callback is not)
        started = time.perf_counter()
        try:
            return call(*args, **kwargs)
        finally:
            self._depth -= 1
            self.steps.append(Step(label, started, time.perf_counter()))

    def _install(self) -> None:
        original = _Handle._run
        timed = self._timed

        def run(handle: Any) -> Any:
            return timed(_callback_name(handle._callback), original, handle)

        _Handle._run = run
        self._undo.append(lambda: setattr(_Handle, "_run", original))
        gc.callbacks.append(self._on_gc)
        self._undo.append(lambda: gc.callbacks.remove(self._on_gc))

    def _on_gc(self, phase: str, info: dict[str, Any]) -> None:
        if not self._on:
            return
        thread = threading.get_ident()
        if phase == "start":
            self._gc_started[thread] = time.perf_counter()
            return
        started = self._gc_started.pop(thread, None)
        if started is not None:
            where = "window" if thread == self._main.ident else "other thread"
            label = f"garbage collection, generation {info['generation']} ({where})"
            self.steps.append(Step(label, started, time.perf_counter()))

    @contextmanager
    def recording(self) -> Iterator[LoopSteps]:
        """Time steps inside the ``with`` block (the wrapped methods stay wrapped)."""
        if not any(cb == self._on_gc for cb in gc.callbacks):
            self._install()
        self._on = True
        try:
            yield self
        finally:
            self._on = False

    def close(self) -> None:
        """Undo every wrapping."""
        for undo in reversed(self._undo):
            undo()
        self._undo.clear()

    # --- figures ---

    def clear(self) -> None:
        """Forget the steps so far."""
        self.steps = []

    def longest(self, count: int = 6) -> list[tuple[str, int, float, float]]:
        """``(name, times, longest ms, total ms)`` of the names with the longest steps."""
        by_name: dict[str, list[float]] = defaultdict(list)
        for step in self.steps:
            by_name[step.name].append(step.ms)
        rows = [(name, len(ms), max(ms), sum(ms)) for name, ms in by_name.items()]
        return sorted(rows, key=lambda row: row[2], reverse=True)[:count]

    def during(self, start: float, end: float, at_least_ms: float = 3.0) -> list[Step]:
        """The steps that overlapped ``start``..``end`` and took at least ``at_least_ms``."""
        return [
            step
            for step in self.steps
            if step.start < end and step.end > start and step.ms >= at_least_ms
        ]


class Probe:
    """A Qt timer on the window's thread firing every ``interval_ms``: each tick notes how late
    it came (:attr:`stalls`, in ms, the first one counted from :meth:`start`) and when
    (:attr:`ticks`, ``time.perf_counter``, starting with the start itself)."""

    def __init__(self, interval_ms: int = 5) -> None:
        self.interval_ms = interval_ms
        self.stalls: list[float] = []
        self.ticks: list[float] = []
        self._timer = QTimer()
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)

    def start(self) -> None:
        """Forget earlier ticks and start firing."""
        self.stalls, self.ticks = [], [time.perf_counter()]
        self._timer.start()

    def stop(self, count_end: bool = False) -> list[float]:
        """Stop firing; the stalls. With ``count_end``, the time since the last tick counts as
        one more (a stall at the very end would otherwise go unseen)."""
        self._timer.stop()
        if count_end:
            self._tick()
        return self.stalls

    def _tick(self) -> None:
        now = time.perf_counter()
        self.stalls.append(max(0.0, (now - self.ticks[-1]) * 1000 - self.interval_ms))
        self.ticks.append(now)

    @property
    def worst(self) -> float:
        """The longest stall, in ms (0 before any tick)."""
        return max(self.stalls, default=0.0)

    @property
    def p99(self) -> float:
        """The 99th percentile of the stalls, in ms."""
        ordered = sorted(self.stalls)
        return ordered[int(len(ordered) * 0.99)] if ordered else 0.0

    def gaps(self, longer_than_ms: float) -> list[tuple[float, float]]:
        """``(start, end)`` of the gaps between ticks longer than a tick plus ``longer_than_ms``."""
        pairs = zip(self.ticks, self.ticks[1:], strict=False)
        return [(a, b) for a, b in pairs if (b - a) * 1000 - self.interval_ms > longer_than_ms]


class GcPauses:
    """The garbage collections during a ``with`` block: the generation and duration (ms) of each.

    ``clock`` measures them: ``time.perf_counter`` (the default) gives the wall time every thread
    waited (a collection holds the interpreter lock), ``time.thread_time`` the collecting
    thread's CPU time.
    """

    def __init__(self, clock: Callable[[], float] = time.perf_counter) -> None:
        self.pauses: list[tuple[int, float]] = []
        self._clock = clock
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = self._clock()
        else:
            self.pauses.append((info["generation"], (self._clock() - self._started) * 1000))

    def __enter__(self) -> GcPauses:
        gc.callbacks.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self)

    def longest(self) -> str:
        """``X ms (generation G, N collections)``, or ``none``."""
        if not self.pauses:
            return "none"
        generation, ms = max(self.pauses, key=lambda pause: pause[1])
        return f"{ms:.1f} ms (generation {generation}, {len(self.pauses)} collections)"

    def __str__(self) -> str:
        """``N, longest X ms (generation G)``, or ``none``."""
        if not self.pauses:
            return "none"
        generation, ms = max(self.pauses, key=lambda pause: pause[1])
        return f"{len(self.pauses)}, longest {ms:.1f} ms (generation {generation})"


def _callback_name(callback: Any) -> str:
    owner = getattr(callback, "__self__", None)
    if isinstance(owner, asyncio.Task):
        coro = owner.get_coro()
        return "task " + str(getattr(coro, "__qualname__", coro))
    return str(getattr(callback, "__qualname__", callback))
