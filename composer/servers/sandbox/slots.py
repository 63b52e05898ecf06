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

    def ticket(self) -> asyncio.Future[None]:
        """Take a place in the line now; the future completes when the slot is this run's.

        Runs take their ticket when they are created, so they get slots in creation order even
        though each reaches the queue after a random delay.
        """
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if self.active < max(self._limit(), 1) and not self._waiters:
            self.active += 1
            future.set_result(None)
        else:
            self._waiters.append(future)
        return future

    def withdraw(self, ticket: asyncio.Future[None]) -> None:
        """Give up a ticket: release its slot if it was granted, else leave the line."""
        if ticket.done() and not ticket.cancelled():
            self.release()
            return
        ticket.cancel()
        if ticket in self._waiters:
            self._waiters.remove(ticket)

    def release(self) -> None:
        """Give a slot back and wake the next waiters that now fit."""
        self.active = max(self.active - 1, 0)
        while self._waiters and self.active < max(self._limit(), 1):
            future = self._waiters.popleft()
            if not future.done():
                self.active += 1
                future.set_result(None)
