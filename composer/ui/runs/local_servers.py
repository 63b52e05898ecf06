"""The app's own local servers, started on first use off the UI thread and stopped on quit.

- :class:`BuiltinSandbox`: the "Sandbox (built-in)" target. It starts the first time that target
  is used (a submit, a catalogue load, a connection test), never at start-up, in a process of
  its own (started and awaited from a worker thread), on a free port with the profile's fixed
  key.
- :class:`DiscoveryWebhooks`: a webhook receiver on 127.0.0.1 for model batches sent to an API
  on this machine, whose runs the API names only in their webhook deliveries (see
  :func:`composer.client.session.needs_local_webhook`). It serves in a process of its own
  (:class:`~composer.servers.receiver_process.ReceiverProcess`: thousands of webhooks then do
  not take the window's turns at the interpreter lock); every delivery is handed to a callback
  on the UI thread (through a :class:`~composer.ui.webhooks.handoff.Handoff`).

The UI only starts and stops these; the servers themselves run on their own threads and loops.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from PySide6.QtCore import QObject, Signal

from composer.core.profiles import SANDBOX_API_KEY
from composer.servers.child_process import ChildStartError, bundled, spawn_child, stop_child
from composer.ui.webhooks.handoff import Handoff

if TYPE_CHECKING:
    from composer.servers.receiver import WebhookReceiver
    from composer.servers.receiver_process import ReceiverProcess
    from composer.servers.sandbox import Sandbox

DEFAULT_SANDBOX_SPEED: Final = 5.0
"""Speed factor of the built-in sandbox in the app: a flux-dev run takes a few seconds."""
SIGNAL_RECEIVED: Final = "2received(QVariantList)"
DRAIN_BUDGET: Final = 0.004  # seconds of deliveries handed over before other events get a turn
PATH: Final = "/composer-runs"
"""The path of the discovery webhook (any path reaches the receiver; this one says whose)."""


# The built-in sandbox's process: serve, print the base URL, stop when stdin closes (the app
# quit, or died: the pipe closes either way, so no sandbox outlives the app).
_CHILD = """
import sys
from composer.servers.sandbox import Sandbox, SandboxConfig
config = SandboxConfig(token=sys.argv[1], speed=float(sys.argv[2]), concurrency=int(sys.argv[3]))
sandbox = Sandbox(config)
print(sandbox.start(), flush=True)
sys.stdin.read()
sandbox.stop()
"""


class SandboxStartError(RuntimeError):
    """The built-in sandbox did not start; ``str()`` says why."""


class BuiltinSandbox:
    """Starts the built-in sandbox once, on demand; ``url`` is its base URL once running.

    It runs in a process of its own: hundreds of simulated runs and their webhooks then use the
    machine's other cores instead of competing with the window for Python's interpreter lock.
    In a bundled app (PyInstaller), whose executable cannot run a Python script, it runs on a
    thread of the app instead.
    """

    def __init__(
        self,
        *,
        speed: float = DEFAULT_SANDBOX_SPEED,
        token: str = SANDBOX_API_KEY,
        concurrency: int = 2,
    ) -> None:
        self.speed = speed
        self.token = token
        self.concurrency = concurrency
        self.sandbox: Sandbox | None = None  # an in-process sandbox given by running_at()
        self._own: Sandbox | None = None  # one this object started in-process (bundled app)
        self.process: subprocess.Popen[bytes] | None = None
        self.url: str | None = None
        self._starting: asyncio.Future[str] | None = None

    @classmethod
    def running_at(cls, sandbox: Sandbox) -> BuiltinSandbox:
        """Use a sandbox started elsewhere, in this process (tests); :meth:`stop` leaves it."""
        builtin = cls(token=sandbox.token or SANDBOX_API_KEY)
        builtin.sandbox, builtin.url = sandbox, sandbox.base_url
        return builtin

    @property
    def running(self) -> bool:
        """True while the sandbox serves."""
        if self.sandbox is not None:
            return self.sandbox.running
        if self._own is not None:
            return self._own.running
        return self.process is not None and self.process.poll() is None and self.url is not None

    async def ensure(self) -> str:
        """The running sandbox's base URL, starting it first if needed (on a worker thread).

        Raises :class:`SandboxStartError` when it cannot start."""
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
        self.stop()
        if bundled():
            # A bundled app's executable is composer itself, which cannot run a -c script:
            # the sandbox then runs on a thread of this process.
            return self._start_here()
        try:
            process, line = spawn_child(_CHILD, self.token, str(self.speed), str(self.concurrency))
        except ChildStartError as exc:
            raise SandboxStartError(str(exc)) from exc
        self.process, self.url = process, line
        return line

    def _start_here(self) -> str:
        from composer.servers.sandbox import Sandbox, SandboxConfig

        config = SandboxConfig(token=self.token, speed=self.speed, concurrency=self.concurrency)
        sandbox = Sandbox(config)
        try:
            url = sandbox.start()
        except Exception as exc:  # a port or start-up problem: said, not raised as is
            raise SandboxStartError(str(exc)) from exc
        self._own, self.url = sandbox, url
        return url

    def stop(self) -> None:
        """Stop it (idempotent); its runs end with it."""
        own, self._own = self._own, None
        if own is not None:
            own.stop()
            self.url = None
        process, self.process = self.process, None
        if self.sandbox is None:
            self.url = None
        if process is None:
            return
        try:
            stop_child(process)  # the sandbox stops cleanly when its stdin closes
        finally:
            if process.stdout is not None:
                process.stdout.close()


class DiscoveryWebhooks(QObject):
    """A local webhook endpoint whose deliveries go to ``on_payload`` on the UI thread.

    Deliveries come in bursts (a batch's runs change together); the receiver's thread queues
    them and wakes the UI thread once per burst, which then hands them over in one go, rather
    than one queued signal (and one hand-over of the interpreter lock) per delivery.
    ``received(list[WebhookRecord])`` gives the records handed over by each such turn (the
    webhook lab listens).
    """

    received = Signal(list)

    def __init__(self, on_payload: Callable[[Any], object], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.receiver: WebhookReceiver | ReceiverProcess | None = None
        self.delivered = 0
        self._on_payload = on_payload
        self._starting: asyncio.Future[str] | None = None
        self._handoff = Handoff(self._drain, parent=self)

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
        receiver: WebhookReceiver | ReceiverProcess
        if bundled():
            # A bundled app's executable cannot run a -c script: a thread of this process.
            from composer.servers.receiver import WebhookReceiver

            receiver = WebhookReceiver(host="127.0.0.1", port=0)
        else:
            from composer.servers.receiver_process import ReceiverProcess

            receiver = ReceiverProcess()
        receiver.subscribe(self._handoff.put)
        receiver.start()
        self.receiver = receiver
        return receiver.url.rstrip("/") + PATH

    def _drain(self) -> None:
        """On the UI thread: hand the waiting deliveries over, a few milliseconds' worth at a
        time (a burst of hundreds then never holds the window for long)."""
        deadline = time.monotonic() + DRAIN_BUDGET
        handed: list[Any] = []
        while time.monotonic() <= deadline and (taken := self._handoff.take(1)):
            record = taken[0]
            self.delivered += 1
            payload = getattr(record, "json", None)
            if payload is not None:
                self._on_payload(payload)
            handed.append(record)
        self._handoff.continue_later()  # the rest after other events had a turn
        if handed and self.receivers(SIGNAL_RECEIVED) > 0:
            self.received.emit(handed)

    def stop(self) -> None:
        """Stop receiving (idempotent)."""
        receiver, self.receiver = self.receiver, None
        if receiver is not None:
            receiver.stop()
