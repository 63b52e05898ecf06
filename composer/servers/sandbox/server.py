"""The sandbox as one object the app, the CLI and tests start and stop.

``Sandbox(SandboxConfig(...))`` serves the API on its own thread and loop (port 0: a free port);
``start()`` returns the base URL ending in ``/api``. Its settings and faults can be changed while
it runs, and tests can look at its runs and webhook attempts from their own thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any
from uuid import UUID

from composer.core.webhook_urls import receiver_url
from composer.servers.background import BackgroundServer, StartStopContext
from composer.servers.sandbox.app import create_app
from composer.servers.sandbox.config import FaultConfig, SandboxConfig
from composer.servers.sandbox.engine import Engine
from composer.servers.sandbox.files import FileStore
from composer.servers.sandbox.middleware import wrap
from composer.servers.sandbox.runs import Run
from composer.servers.sandbox.webhooks import WebhookAttempt, WebhookDispatcher


class Sandbox(StartStopContext):
    """A running (or startable) local ComfyDeploy API."""

    def __init__(
        self, config: SandboxConfig | None = None, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.config = config if config is not None else SandboxConfig()
        self.files = FileStore()
        self.webhooks = WebhookDispatcher(self.config)
        self.engine = Engine(self.config, self.files, self.webhooks)
        self.app = create_app(self.engine)
        # Starlette's and uvicorn's ASGI type aliases differ in spelling only.
        asgi: Any = wrap(self.app, self.config)
        self._server = BackgroundServer(asgi, host=host, port=port)

    # --- lifecycle ---

    def start(self, timeout: float = 10.0) -> str:
        """Start serving; returns the base URL (``http://127.0.0.1:PORT/api``)."""
        self._server.start(timeout)
        self.engine.files_url = f"{self.base_url}/files"
        return self.base_url

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving and end every run task (idempotent)."""
        self._server.stop(timeout)

    @property
    def running(self) -> bool:
        """True while the server thread is serving."""
        return self._server.running

    @property
    def base_url(self) -> str:
        """The API base URL clients use; a wildcard bind is reached through loopback."""
        return receiver_url(self._server.host, self._server.port, "/api")

    @property
    def listen_url(self) -> str:
        """The base URL as bound (``http://0.0.0.0:3011/api`` for a wildcard bind)."""
        return f"{self._server.url}/api"

    @property
    def token(self) -> str | None:
        """The only accepted token, or None when any non-empty token is accepted."""
        return self.config.token

    @property
    def faults(self) -> FaultConfig:
        """The injected faults; change their fields at any time."""
        return self.config.faults

    # --- looking inside, from any thread ---

    def call[T](self, function: Callable[[], T], timeout: float = 10.0) -> T:
        """Run ``function`` on the sandbox's loop and return its result."""

        async def on_loop() -> T:
            return function()

        return self._server.call(on_loop(), timeout)

    def runs(self) -> list[dict[str, Any]]:
        """Every run object, oldest first (as ``GET /run/{id}`` shows them)."""
        return self.call(
            lambda: [run.to_json(self.engine.files_url) for run in self.engine.runs.values()]
        )

    def run(self, run_id: str | UUID) -> dict[str, Any] | None:
        """One run object, or None."""

        def find() -> dict[str, Any] | None:
            run = self.engine.get(UUID(str(run_id)))
            return run.to_json(self.engine.files_url) if run else None

        return self.call(find)

    def run_logs(self, run_id: str | UUID) -> list[str]:
        """The log lines of a run so far."""
        return self.call(lambda: list(self._get(run_id).logs))

    def wait_for(self, run_id: str | UUID, timeout: float = 10.0) -> dict[str, Any]:
        """Wait until the run has ended and return its run object."""

        async def wait() -> dict[str, Any]:
            run = self._get(run_id)
            await run.done.wait()
            return run.to_json(self.engine.files_url)

        return self._server.call(asyncio.wait_for(wait(), timeout), timeout + 1)

    def wait_all(self, timeout: float = 30.0) -> list[dict[str, Any]]:
        """Wait until every run created so far has ended; returns their run objects."""

        async def wait() -> list[dict[str, Any]]:
            runs = [run for run in self.engine.runs.values() if not run.native]
            for run in runs:
                await run.done.wait()
            return [run.to_json(self.engine.files_url) for run in runs]

        return self._server.call(asyncio.wait_for(wait(), timeout), timeout + 1)

    def webhook_attempts(self) -> list[WebhookAttempt]:
        """Every webhook attempt made so far, in the order they were answered."""
        return self.call(lambda: list(self.webhooks.attempts))

    def wait_webhooks_idle(self, timeout: float = 10.0) -> None:
        """Wait until no webhook delivery is pending."""

        async def wait() -> None:
            while self.webhooks.pending:  # noqa: ASYNC110 - deliveries are plain tasks
                await asyncio.sleep(0.002)

        self._server.call(asyncio.wait_for(wait(), timeout), timeout + 1)

    def pause(self) -> None:
        """Freeze every run at its next step (statuses stay as they are) until :meth:`resume`."""
        self.call(self.engine.gate.clear)

    def resume(self) -> None:
        """Let paused runs go on."""
        self.call(self.engine.gate.set)

    def wait_until(
        self,
        predicate: Callable[[list[dict[str, Any]]], bool],
        timeout: float = 10.0,
        then_pause: bool = False,
    ) -> list[dict[str, Any]]:
        """Wait until ``predicate(run objects)`` holds; with ``then_pause`` freeze the runs in
        that same instant, so a test can look at a state that would otherwise pass quickly."""

        async def wait() -> list[dict[str, Any]]:
            while True:
                runs = [run.to_json(self.engine.files_url) for run in self.engine.runs.values()]
                if predicate(runs):
                    if then_pause:
                        self.engine.gate.clear()
                    return runs
                await asyncio.sleep(0.002)

        return self._server.call(asyncio.wait_for(wait(), timeout), timeout + 1)

    def reset(self) -> None:
        """Forget all runs, files and webhook attempts; turn faults off (between tests)."""
        self.config.faults.reset()
        self._server.call(self.engine.reset())

    def _get(self, run_id: str | UUID) -> Run:
        run = self.engine.get(UUID(str(run_id)))
        if run is None:
            raise KeyError(f"no run {run_id} in this sandbox")
        return run
