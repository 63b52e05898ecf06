"""A local webhook endpoint for ``composer submit``, to learn the run ids of a model batch.

The API answers a batch with ``{"batch_id"}`` only, and model runs are not listed anywhere; each
run names itself in its own webhook deliveries. When such a batch goes to an API on this machine
(the built-in sandbox, or one on loopback) and the request has no webhook of its own, ``submit``
points the request's ``webhook`` here and feeds what arrives to its tracker group.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from composer.core.webhooks import WebhookRecord

WEBHOOK_PATH: Final = "/composer-submit"


class WebhookCatcher:
    """Takes webhook deliveries on 127.0.0.1 and hands each JSON body to one consumer.

    A :class:`~composer.servers.receiver.WebhookReceiver` does the serving; this keeps the JSON
    bodies for the tracker. Deliveries that arrive before :meth:`attach` wait, so none is lost
    between the POST and the moment the tracker exists. The consumer is called on the server's
    thread.
    """

    def __init__(self) -> None:
        # Imported here: Starlette and uvicorn are only needed when a batch asks for the catcher.
        from composer.servers.receiver import WebhookReceiver

        self._lock = threading.Lock()
        self._waiting: list[Any] = []
        self._consumer: Callable[[Any], None] | None = None
        self.received = 0
        # The bodies go to the consumer as they come; the receiver need not keep records.
        self._receiver = WebhookReceiver(host="127.0.0.1", port=0, max_records=0)
        self._receiver.subscribe(self._record)

    @property
    def url(self) -> str:
        """The webhook URL to put in the request."""
        return self._receiver.url.rstrip("/") + WEBHOOK_PATH

    def start(self) -> str:
        """Start listening; returns :attr:`url`."""
        self._receiver.start()
        return self.url

    def stop(self) -> None:
        """Stop listening (idempotent)."""
        self._receiver.stop()

    def attach(self, consumer: Callable[[Any], None]) -> None:
        """Send every delivery, those waiting first, to ``consumer``."""
        with self._lock:
            waiting, self._waiting = self._waiting, []
            self._consumer = consumer
        for payload in waiting:
            consumer(payload)

    def _record(self, record: WebhookRecord) -> None:
        # The real service retries as GET with the same body: any method counts. A body that is
        # not JSON names no run and is left out.
        if record.json is not None:
            self._deliver(record.json)

    def _deliver(self, payload: Any) -> None:
        with self._lock:
            self.received += 1
            consumer = self._consumer
            if consumer is None:
                self._waiting.append(payload)
                return
        consumer(payload)
