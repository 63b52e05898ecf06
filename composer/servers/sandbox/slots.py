"""A first-come, first-served limit on how many runs of one target execute at once."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable


class Slots:
    """Like ``asyncio.Semaphore``, but the limit is read at each change (it may be reconfigured)
    and waiters are served strictly in arrival order, so queue positions are honest."""

    def __init__(self, limit: Callable[[], int]) -> None:
        self._limit = limit
        self.active = 0
        self._waiters: deque[asyncio.Future[None]] = deque()

    @property
    def waiting(self) -> int:
        """Runs waiting for a slot."""
        return len(self._waiters)

    async def acquire(self) -> None:
        """Wait for a free slot and take it."""
        if self.active < max(self._limit(), 1) and not self._waiters:
            self.active += 1
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(future)
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self.release()  # granted just before the cancel arrived: hand it on
            elif future in self._waiters:
                self._waiters.remove(future)
            raise

    def release(self) -> None:
        """Give a slot back and wake the next waiters that now fit."""
        self.active = max(self.active - 1, 0)
        while self._waiters and self.active < max(self._limit(), 1):
            future = self._waiters.popleft()
            if not future.done():
                self.active += 1
                future.set_result(None)
