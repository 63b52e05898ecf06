"""Serve an ASGI app on a background thread with its own asyncio loop (uvicorn).

The app and the tests start local servers (the sandbox, the webhook receiver) this way, so a slow
request or a burst of webhooks never stalls the UI thread. Port 0 picks a free port; the socket is
bound before the thread starts, so :attr:`BackgroundServer.url` is known at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import Awaitable
from concurrent.futures import Future
from types import TracebackType
from typing import Self

import uvicorn
from uvicorn._types import ASGIApplication


class ServerStartError(RuntimeError):
    """The server could not bind its address or did not come up in time."""


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (port 0: a free port), IPv4 or IPv6."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY on accepted connections only when the
    # socket's proto says TCP; with proto 0 every response waits ~40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ServerStartError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    sock.listen(2048)
    sock.setblocking(False)
    return sock


def uvicorn_config(app: ASGIApplication) -> uvicorn.Config:
    """A quiet uvicorn configuration for an embedded server (no access log, no lifespan noise)."""
    return uvicorn.Config(
        app, log_level="warning", access_log=False, lifespan="on", timeout_graceful_shutdown=2
    )


class StartStopContext:
    """Mixin for servers with ``start()``/``stop()``: ``with server:`` starts and stops it."""

    def start(self, timeout: float = 10.0) -> str:
        """Start serving; returns the URL."""
        raise NotImplementedError

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving (idempotent)."""
        raise NotImplementedError

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


class BackgroundServer(StartStopContext):
    """One ASGI app served on its own thread; use as a context manager or start()/stop()."""

    def __init__(self, app: ASGIApplication, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self.host = host
        self.requested_port = port
        self.port = 0
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._error: BaseException | None = None

    @property
    def url(self) -> str:
        """``http://HOST:PORT`` of the running server (no trailing slash)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The server thread's event loop, for :meth:`call` from other threads."""
        if self._loop is None:
            raise RuntimeError("the server is not running")
        return self._loop

    @property
    def running(self) -> bool:
        """True between a successful start() and stop()."""
        return self._thread is not None and self._thread.is_alive()

    def start(self, timeout: float = 10.0) -> str:
        """Bind, start the thread, wait until the server accepts connections; returns the URL."""
        if self.running:
            return self.url
        sock = bind_socket(self.host, self.requested_port)
        self.port = sock.getsockname()[1]
        server = uvicorn.Server(uvicorn_config(self.app))
        self._server = server
        started = threading.Event()

        def serve() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self._serve(server, sock, started))
            except BaseException as exc:  # reported by start() or stop()
                self._error = exc
            finally:
                started.set()
                sock.close()
                loop.close()

        self._thread = threading.Thread(target=serve, name=f"server:{self.port}", daemon=True)
        self._thread.start()
        if not started.wait(timeout) or not server.started:
            self.stop()
            raise ServerStartError(f"the server on {self.url} did not start: {self._error}")
        return self.url

    @staticmethod
    async def _serve(server: uvicorn.Server, sock: socket.socket, started: threading.Event) -> None:
        async def watch() -> None:
            # uvicorn exposes "started" only as a flag, so it is polled.
            while not server.started and not server.should_exit:  # noqa: ASYNC110
                await asyncio.sleep(0.005)
            started.set()

        watcher = asyncio.ensure_future(watch())
        try:
            await server.serve(sockets=[sock])
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher

    def call[T](self, coro: Awaitable[T], timeout: float | None = 10.0) -> T:
        """Run a coroutine on the server's loop from another thread and return its result."""
        future: Future[T] = asyncio.run_coroutine_threadsafe(_as_coroutine(coro), self.loop)
        return future.result(timeout)

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the server to exit and wait for its thread (idempotent)."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive() and self._server is not None:
                self._server.force_exit = True
                self._thread.join(timeout)
        self._thread = None
        self._loop = None


async def _as_coroutine[T](awaitable: Awaitable[T]) -> T:
    return await awaitable
