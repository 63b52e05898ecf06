"""``composer sandbox`` in its own process, as a user runs it, for benchmarks.

In the benchmark's process the sandbox would share the interpreter lock with what is measured
(a client, the window), and its work would count as theirs.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
from collections.abc import Iterator

TOKEN = "perf-token"


@contextlib.contextmanager
def sandbox_process(*options: str, token: str = TOKEN) -> Iterator[str]:
    """``composer sandbox --port 0 --token TOKEN OPTIONS...`` in its own process; yields its
    base URL, and stops it with Ctrl+C (SIGINT) afterwards."""
    process = subprocess.Popen(
        [sys.executable, "-m", "composer", "sandbox", "--port", "0", "--token", token, *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("Sandbox listening on "), first
        yield first.removeprefix("Sandbox listening on ").strip()
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
