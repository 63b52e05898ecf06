"""Received events kept in the history database, written on a worker thread.

The history (:class:`~composer.core.history.HistoryStore`) stores each event with the run it
names, so a run reopened later still shows its callbacks. Writes are batched (one transaction per
batch the UI gets) and run on one worker thread in order, so a burst never waits on the disk in
the window's thread. Failures come back as ``failed(str)`` on the UI thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Final

from PySide6.QtCore import QObject, Signal
from shiboken6 import Shiboken

from composer.core.history import HistoryError, HistoryStore
from composer.core.webhooks import WebhookRecord

logger = logging.getLogger(__name__)

RECENT_LIMIT: Final = 5_000  # events loaded back into the view at start

StoreFactory = Callable[[], HistoryStore]


class EventKeeper(QObject):
    """Adds, reads and clears the history's webhook events off the UI thread.

    ``store`` is a ready :class:`HistoryStore` or a function that opens one (called on the
    worker, the first time it is needed). Signals: ``failed(str)``, ``loaded(list)`` with the
    records of :meth:`load_recent`.
    """

    failed = Signal(str)
    loaded = Signal(list)

    def __init__(
        self, store: HistoryStore | StoreFactory | None = None, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._factory: StoreFactory = (
            (lambda: store) if isinstance(store, HistoryStore) else (store or HistoryStore)
        )
        self._store: HistoryStore | None = None
        self._owns_store = not isinstance(store, HistoryStore)
        self._broken: str | None = None
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="webhook-history")
        self._pending: list[Future[Any]] = []
        self._closed = False
        self.kept = 0  # events stored since start

    def _open(self) -> HistoryStore | None:
        if self._store is None and self._broken is None:
            try:
                self._store = self._factory()
            except (HistoryError, OSError) as exc:
                self._broken = str(exc)
                self._tell(f"Webhook events are not kept in the history: {exc}")
        return self._store

    def _submit(self, job: Callable[[], Any]) -> Future[Any] | None:
        if self._closed:  # the window is closing: nothing more is written
            return None
        future = self._pool.submit(job)
        self._pending = [item for item in self._pending if not item.done()]
        self._pending.append(future)
        future.add_done_callback(self._report)
        return future

    def _report(self, future: Future[Any]) -> None:
        error = None if future.cancelled() else future.exception()
        if error is not None:
            logger.error("a webhook history write failed", exc_info=error)
            self._tell(f"Could not write webhook events to the history: {error}")

    def _tell(self, message: str) -> None:
        # Called on the worker: the keeper (and its window) may have gone meanwhile.
        if Shiboken.isValid(self):
            self.failed.emit(message)

    def keep(self, records: Sequence[WebhookRecord]) -> Future[Any] | None:
        """Store a batch of records (in order, on the worker)."""
        if not records:
            return None
        batch = list(records)

        def job() -> None:
            store = self._open()
            if store is not None:
                store.webhooks.add_many(batch)
                self.kept += len(batch)

        return self._submit(job)

    def load_recent(self, limit: int = RECENT_LIMIT) -> Future[Any] | None:
        """Read the newest stored events; ``loaded`` brings them as records, oldest first."""

        def job() -> None:
            store = self._open()
            if store is None:
                return
            events = store.webhooks.events(newest=limit)
            if Shiboken.isValid(self):  # the window may have closed while this read
                self.loaded.emit([event.to_record() for event in events])

        return self._submit(job)

    def clear(self) -> Future[Any] | None:
        """Delete every stored webhook event."""

        def job() -> None:
            store = self._open()
            if store is not None:
                store.webhooks.clear()

        return self._submit(job)

    def flush(self, timeout: float = 10.0) -> None:
        """Wait until every write so far is done (tests, shutdown)."""
        for future in list(self._pending):
            future.result(timeout)

    def shutdown(self) -> None:
        """Finish the writes, stop the worker, close a store this keeper opened."""
        self._closed = True
        self._pool.shutdown(wait=True)
        if self._store is not None and self._owns_store:
            self._store.close()
        self._store = None
