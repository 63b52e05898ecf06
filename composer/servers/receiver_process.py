"""A webhook receiver in a process of its own, its records handed to this one through a pipe.

::

    receiver = ReceiverProcess()
    receiver.subscribe(lambda record: ...)   # on a reader thread of this process
    url = receiver.start()                    # http://127.0.0.1:PORT/
    ...
    receiver.stop()

Why a process: serving HTTP in Python (uvicorn, h11, the ASGI app) costs a millisecond or so of
interpreter time per request, and a batch of hundreds of runs sends thousands of webhooks in a
few seconds. On a thread of the app that time is taken from the window's thread (one
interpreter lock), which then waits for its turns: the window stalls. In a child process the
requests use another core; this process only unpickles each finished
:class:`~composer.core.webhooks.WebhookRecord` (a few microseconds) on a reader thread.

The child serves a :class:`~composer.servers.receiver.WebhookReceiver` on 127.0.0.1, prints its
URL, then writes each record as a length-prefixed pickle on its standard output; it stops when
its standard input closes (this process stopped it, or died: the pipe closes either way, so no
receiver outlives the app).
"""

from __future__ import annotations

import contextlib
import pickle
import struct
import subprocess
import threading
from collections.abc import Callable
from typing import IO, Final

from composer.core.webhooks import WebhookRecord
from composer.servers.child_process import ChildStartError, spawn_child, stop_child

RecordCallback = Callable[[WebhookRecord], None]
_HEADER: Final = struct.Struct("!I")

_CHILD: Final = """
import pickle, struct, sys, threading
from composer.servers.receiver import WebhookReceiver
out, lock, header = sys.stdout.buffer, threading.Lock(), struct.Struct("!I")
def forward(record):
    data = pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL)
    with lock:
        out.write(header.pack(len(data)) + data)
        out.flush()
receiver = WebhookReceiver(host="127.0.0.1", port=0)
receiver.subscribe(forward)
url = receiver.start()
out.write((url + "\\n").encode())
out.flush()
sys.stdin.read()
receiver.stop()
"""


class ReceiverStartError(RuntimeError):
    """The receiver process did not start; ``str()`` says why."""


class ReceiverProcess:
    """A webhook receiver on 127.0.0.1 in a child process (see the module docstring).

    The same few members as :class:`~composer.servers.receiver.WebhookReceiver` that a local
    endpoint needs: :meth:`subscribe`, :meth:`start`, :attr:`url`, :attr:`count`, :meth:`stop`.
    """

    def __init__(self) -> None:
        self.process: subprocess.Popen[bytes] | None = None
        self.url = ""
        self._subscribers: list[RecordCallback] = []
        self._count = 0
        self._lock = threading.Lock()
        self._reader: threading.Thread | None = None

    def subscribe(self, callback: RecordCallback) -> None:
        """Call ``callback(record)`` for each record, on this object's reader thread."""
        self._subscribers.append(callback)

    @property
    def count(self) -> int:
        """How many records arrived from the child so far."""
        with self._lock:
            return self._count

    @property
    def running(self) -> bool:
        """True while the child serves."""
        return self.process is not None and self.process.poll() is None

    def start(self) -> str:
        """Start the child and wait for its URL (blocking: call it off the UI thread)."""
        try:
            process, line = spawn_child(_CHILD)
        except ChildStartError as exc:
            raise ReceiverStartError(f"the webhook receiver process did not start: {exc}") from exc
        assert process.stdout is not None
        self.process, self.url = process, line
        self._reader = threading.Thread(
            target=self._read, args=(process.stdout,), name="composer-receiver-pipe", daemon=True
        )
        self._reader.start()
        return line

    def _read(self, stream: IO[bytes]) -> None:
        """The reader thread: unpickle each record and hand it to the subscribers."""
        with contextlib.suppress(OSError, ValueError):
            while header := stream.read(_HEADER.size):
                if len(header) < _HEADER.size:
                    return
                (size,) = _HEADER.unpack(header)
                record = pickle.loads(stream.read(size))
                with self._lock:
                    self._count += 1
                for callback in list(self._subscribers):
                    callback(record)

    def stop(self) -> None:
        """Stop the child (idempotent)."""
        process, self.process = self.process, None
        if process is None:
            return
        stop_child(process)
        if self._reader is not None:
            self._reader.join(timeout=5)
        if process.stdout is not None:
            process.stdout.close()
