"""The app's own local servers, started on first use off the UI thread and stopped on quit.

- :class:`BuiltinSandbox`: the "Sandbox (built-in)" target. It starts the first time that target
  is used (a submit, a catalogue load, a connection test), never at start-up, on a worker thread
  (importing and starting it takes a moment), on a free port with the profile's fixed key.
- :class:`DiscoveryWebhooks`: a webhook receiver on 127.0.0.1 for model batches sent to an API
  on this machine, whose runs the API names only in their webhook deliveries (see
  :func:`composer.client.session.needs_local_webhook`). Every delivery is handed to a callback on
  the UI thread (through a queued Qt signal).

The UI only starts and stops these; the servers themselves run on their own threads and loops.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from PySide6.QtCore import QObject, Signal

from composer.core.profiles import SANDBOX_API_KEY

if TYPE_CHECKING:
    from composer.servers.receiver import WebhookReceiver
    from composer.servers.sandbox import Sandbox

DEFAULT_SANDBOX_SPEED: Final = 5.0
"""Speed factor of the built-in sandbox in the app: a flux-dev run takes a few seconds."""
PATH: Final = "/composer-runs"
"""The path of the discovery webhook (any path reaches the receiver; this one says whose)."""


class BuiltinSandbox:
    """Starts the built-in sandbox once, on demand; ``url`` is its base URL once running."""

    def __init__(self, *, speed: float = DEFAULT_SANDBOX_SPEED, token: str = SANDBOX_API_KEY):
        self.speed = speed
        self.token = token
        self.sandbox: Sandbox | None = None
        self.url: str | None = None
        self._starting: asyncio.Future[str] | None = None
        self._owned = True

    @classmethod
    def running_at(cls, sandbox: Sandbox) -> BuiltinSandbox:
        """Use a sandbox started elsewhere (tests); :meth:`stop` leaves it running."""
        builtin = cls(token=sandbox.token or SANDBOX_API_KEY)
        builtin.sandbox, builtin.url, builtin._owned = sandbox, sandbox.base_url, False
        return builtin

    @property
    def running(self) -> bool:
        """True while the sandbox serves."""
        return self.sandbox is not None and self.sandbox.running

    async def ensure(self) -> str:
        """The running sandbox's base URL, starting it first if needed (on a worker thread).

        Raises ``composer.servers.background.ServerStartError`` when it cannot start."""
        if self.url is not None and self.running:
            return self.url
        if self._starting is None or self._starting.done():
            loop = asyncio.get_running_loop()
            self._starting = asyncio.ensure_future(loop.run_in_executor(None, self._start))
        try:
            return await asyncio.shield(self._starting)
        finally:
            if self._starting is not None and self._starting.done():
                self._starting = None

    def _start(self) -> str:
        from composer.servers.sandbox import Sandbox, SandboxConfig

        sandbox = Sandbox(SandboxConfig(token=self.token, speed=self.speed))
        url = sandbox.start()
        self.sandbox, self.url = sandbox, url
        return url

    def stop(self) -> None:
        """Stop it (idempotent); its runs end with it."""
        sandbox, self.sandbox, self.url = self.sandbox, None, None
        if sandbox is not None and self._owned:
            sandbox.stop()


class DiscoveryWebhooks(QObject):
    """A local webhook endpoint whose deliveries go to ``on_payload`` on the UI thread."""

    received = Signal(object)  # the WebhookRecord, on the UI thread (the webhook lab may listen)

    def __init__(self, on_payload: Callable[[Any], object], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.receiver: WebhookReceiver | None = None
        self._on_payload = on_payload
        self._starting: asyncio.Future[str] | None = None
        # Emitted on the receiver's thread; Qt queues it to this object's (the UI) thread.
        self.received.connect(self._deliver)

    @property
    def url(self) -> str | None:
        """The URL to put in a request's ``webhook`` (None until started)."""
        if self.receiver is None:
            return None
        return self.receiver.url.rstrip("/") + PATH

    async def ensure(self) -> str:
        """Start the receiver if needed (on a worker thread); returns :attr:`url`."""
        if self.url is not None:
            return self.url
        if self._starting is None:
            loop = asyncio.get_running_loop()
            self._starting = asyncio.ensure_future(loop.run_in_executor(None, self._start))
        try:
            return await asyncio.shield(self._starting)
        finally:
            self._starting = None

    def _start(self) -> str:
        from composer.servers.receiver import WebhookReceiver

        receiver = WebhookReceiver(host="127.0.0.1", port=0)
        receiver.subscribe(self.received.emit)
        receiver.start()
        self.receiver = receiver
        return receiver.url.rstrip("/") + PATH

    def _deliver(self, record: Any) -> None:
        payload = getattr(record, "json", None)
        if payload is not None:
            self._on_payload(payload)

    def stop(self) -> None:
        """Stop receiving (idempotent)."""
        receiver, self.receiver = self.receiver, None
        if receiver is not None:
            receiver.stop()
