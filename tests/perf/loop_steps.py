"""What the window's thread spent its time on during a benchmark: the longest steps, by name.

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


def _callback_name(callback: Any) -> str:
    owner = getattr(callback, "__self__", None)
    if isinstance(owner, asyncio.Task):
        coro = owner.get_coro()
        return "task " + str(getattr(coro, "__qualname__", coro))
    return str(getattr(callback, "__qualname__", callback))
