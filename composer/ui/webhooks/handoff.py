"""Items made on other threads (a receiver's), taken on the UI thread in batches.

A server thread calls :meth:`Handoff.put` for each item; only the first item of a burst emits a
(queued) Qt signal, so a burst of thousands costs the UI thread one wake-up rather than one per
item. Woken, the UI thread calls its ``on_ready`` (after ``delay_ms``, to let a burst gather),
which takes what it wants with :meth:`Handoff.take` and, when it stops early to give other
events a turn, asks for another call with :meth:`Handoff.continue_later`.

Used by the webhook lab's receiver (:class:`~composer.ui.webhooks.bridge.ReceiverBridge`) and the
runs' own endpoint (:class:`~composer.ui.runs.local_servers.DiscoveryWebhooks`).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal


class Handoff(QObject):
    """A thread-safe queue whose owner (this object's thread) is woken once per burst."""

    _wake = Signal()  # emitted on the producing thread, delivered queued on the owner's

    def __init__(
        self, on_ready: Callable[[], None], delay_ms: int = 0, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.delay_ms = delay_ms
        self._on_ready = on_ready
        self._items: deque[Any] = deque()
        self._lock = threading.Lock()
        # True from the put that found the queue idle until a take empties it: while set, no
        # put wakes the owner (a wake-up is on its way, or the owner will come back for more).
        self._pending = False
        self._wake.connect(self._woken)

    def put(self, item: Any) -> None:
        """Any thread: keep ``item``; wake the owner's thread unless a wake-up is pending."""
        with self._lock:
            self._items.append(item)
            wake, self._pending = not self._pending, True
        if wake:
            self._wake.emit()

    def take(self, limit: int) -> list[Any]:
        """The owner's thread: up to ``limit`` items, oldest first. Once the queue is empty, the
        next :meth:`put` wakes the owner again."""
        with self._lock:
            batch = [self._items.popleft() for _ in range(min(limit, len(self._items)))]
            if not self._items:
                self._pending = False
        return batch

    @property
    def waiting(self) -> bool:
        """True while items wait to be taken."""
        with self._lock:
            return bool(self._items)

    def continue_later(self) -> None:
        """The owner's thread: when items were left, call ``on_ready`` again at the loop's next
        turn (no put wakes the owner while they wait)."""
        if self.waiting:
            QTimer.singleShot(0, self, self._on_ready)

    def _woken(self) -> None:
        if self.delay_ms:
            QTimer.singleShot(self.delay_ms, self, self._on_ready)
        else:
            self._on_ready()
