"""The webhook receiver inside the app: started on demand, its records handed to the UI thread.

:class:`ReceiverBridge` owns a :class:`~composer.servers.receiver.WebhookReceiver`. Starting and
stopping happen on a worker thread (``asyncio.to_thread``), so the window never waits for a
socket. Records cross threads through a :class:`~composer.ui.webhooks.handoff.Handoff`: the
receiver's thread puts each one there, and only the first of a burst wakes the UI thread; that
waits :data:`COALESCE_MS` for more, then drains the queue in batches of at most
:data:`BATCH_LIMIT` and emits :attr:`ReceiverBridge.arrived` once per batch. A burst of
thousands of deliveries thus costs the UI a wake-up and a repaint per frame, and no step of its
loop handles more than one batch.

Record numbers (``seq``) stay unique for the whole session: a receiver restarted (on another
port, say) numbers from 1 again, so the bridge shifts its numbers past the ones already shown.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterable
from typing import Final

from PySide6.QtCore import QObject, Signal

from composer.core.webhooks import (
    DEFAULT_RECEIVER_HOST,
    DEFAULT_RECEIVER_PORT,
    WebhookRecord,
    exposure_warning,
)
from composer.servers.background import ServerStartError
from composer.servers.receiver import WebhookReceiver
from composer.ui.webhooks.handoff import Handoff

BATCH_LIMIT: Final = 500  # records handed to the UI per step of its event loop
COALESCE_MS: Final = 25  # a burst's records are collected this long before they are shown


class ReceiverBridge(QObject):
    """The app's receiver and the queue that brings its records to the UI thread.

    Signals: ``arrived(list[WebhookRecord])`` per batch, ``state_changed()`` when it starts or
    stops, ``failed(str)`` with a sentence for the user.
    """

    arrived = Signal(list)
    state_changed = Signal()
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.host = DEFAULT_RECEIVER_HOST
        self.port = DEFAULT_RECEIVER_PORT
        self.status = 200
        self.delay = 0.0
        self._secret: str | None = None
        self._receiver: WebhookReceiver | None = None
        self._busy = False  # a start or stop is under way
        self._handoff = Handoff(self._drain, COALESCE_MS, self)
        self._unsubscribe: object | None = None
        self._offset = 0  # added to the receiver's numbers (see the module docstring)
        self.last_seq = 0  # the highest number handed out so far
        self.note: str | None = None  # what the last start had to do differently

    # --- state ---

    @property
    def running(self) -> bool:
        """True while the receiver serves."""
        return self._receiver is not None and self._receiver.running

    @property
    def busy(self) -> bool:
        """True while starting or stopping."""
        return self._busy

    @property
    def url(self) -> str | None:
        """The URL to put in ``webhook`` while running, else None."""
        return self._receiver.url if self.running and self._receiver else None

    @property
    def warning(self) -> str | None:
        """The exposure warning for the chosen bind address (None for loopback)."""
        return exposure_warning(self.host)

    @property
    def receiver(self) -> WebhookReceiver | None:
        """The receiver (tests and tools); None before the first start."""
        return self._receiver

    # --- settings ---

    def set_answer(self, status: int | None = None, delay: float | None = None) -> None:
        """The status and delay of the answers, now and for later starts."""
        if status is not None:
            self.status = status
        if delay is not None:
            self.delay = max(0.0, delay)
        if self._receiver is not None:
            self._receiver.set_answer(status, delay)

    def set_secret(self, secret: str | None) -> None:
        """Check signed URLs with this secret (None: no check), now and for later starts."""
        self._secret = secret or None
        if self._receiver is not None:
            self._receiver.set_secret(self._secret)

    # --- start and stop ---

    async def start(
        self, host: str | None = None, port: int | None = None, *, fallback: bool = False
    ) -> str | None:
        """Start listening (on ``host:port`` when given); the URL, or None after ``failed``.

        Already running on that address: returns its URL at once. On another address: the old
        receiver stops first. With ``fallback``, a port in use (another ``composer listen``,
        say) gives way to a free port, and :attr:`note` says so.
        """
        self.note = None
        host = self.host if host is None else host
        port = self.port if port is None else port
        if self.running and self._receiver is not None:
            same_port = port in (0, self._receiver.port)
            if host == self._receiver.host and same_port:
                return self.url
            await self.stop()
        if self._busy:
            self.failed.emit("The receiver is already starting or stopping; try again.")
            return None
        self.host, self.port = host, port
        self._busy = True
        self.state_changed.emit()
        try:
            receiver = await self._start_receiver(host, port, fallback)
        finally:
            self._busy = False
        if receiver is None:
            self.state_changed.emit()
            return None
        self._offset = self.last_seq
        self._unsubscribe = receiver.subscribe(self._on_record)
        self._receiver = receiver
        self.state_changed.emit()
        return receiver.url

    async def _start_receiver(self, host: str, port: int, fallback: bool) -> WebhookReceiver | None:
        receiver = WebhookReceiver(
            host, port, status=self.status, delay=self.delay, secret=self._secret
        )
        try:
            await asyncio.to_thread(receiver.start)
        except (ServerStartError, OSError) as exc:
            if fallback and port != 0:
                self.note = f"Port {port} is taken, so the receiver listens on a free port."
                return await self._start_receiver(host, 0, fallback=False)
            self.failed.emit(f"The receiver could not start: {exc}. Pick another port or 0.")
            return None
        return receiver

    async def stop(self) -> None:
        """Stop listening (the records shown stay)."""
        receiver = self._receiver
        if receiver is None or not receiver.running:
            return
        self._busy = True
        self.state_changed.emit()
        try:
            await asyncio.to_thread(receiver.stop)
        finally:
            self._busy = False
        self._drain()
        self.state_changed.emit()

    def shutdown(self) -> None:
        """Stop at once, blocking (the window is closing; no loop may be left to await)."""
        if self._receiver is not None:
            self._receiver.stop(timeout=3.0)
        self._receiver = None
        self._drain()  # what came last is shown (and kept) now, not after the window is gone

    # --- records ---

    def _on_record(self, record: WebhookRecord) -> None:
        # The receiver's thread: queued; the first record of a burst wakes the UI thread, which
        # collects for a frame, then hands over what came meanwhile in one batch (one repaint
        # of the list rather than dozens).
        self._handoff.put(record)

    def _drain(self) -> None:
        batch: list[WebhookRecord] = []
        for record in self._handoff.take(BATCH_LIMIT):
            seq = record.seq + self._offset
            if seq <= self.last_seq:  # records were added meanwhile (renumber): move past them
                self._offset += self.last_seq + 1 - seq
                seq = self.last_seq + 1
            self.last_seq = seq
            batch.append(dataclasses.replace(record, seq=seq) if seq != record.seq else record)
        # More may wait: the next batch in a later step, so the window keeps responding.
        self._handoff.continue_later()
        if batch:
            self.arrived.emit(batch)

    def renumber(self, records: Iterable[WebhookRecord]) -> list[WebhookRecord]:
        """Records from elsewhere (the history) numbered after those shown so far."""
        result = []
        for record in records:
            self.last_seq += 1
            result.append(dataclasses.replace(record, seq=self.last_seq))
        return result
