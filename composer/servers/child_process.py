"""Local servers in a Python process of their own: start one, read its URL, stop it.

The child runs ``python -c SCRIPT ARGS...``; it prints its base URL as its first line, then
serves until its standard input closes (this process stopped it, or died: the pipe closes either
way, so no server outlives the app). What it writes to its standard error is kept while it
starts, so a failure says why (the last line, usually the exception), and read and dropped after
that, so a chatty child never blocks on a full pipe.

A bundled app (PyInstaller) cannot run a ``-c`` script: its executable is composer itself. There
:func:`bundled` is True and callers serve on a thread of this process instead.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import threading
from typing import IO


class ChildStartError(RuntimeError):
    """The child process did not start; ``str()`` says why."""


def bundled() -> bool:
    """True in a bundled app, whose executable cannot run a Python script."""
    return bool(getattr(sys, "frozen", False))


def spawn_child(script: str, *args: str) -> tuple[subprocess.Popen[bytes], str]:
    """Start ``python -c script args`` and wait for its first line, a URL (blocking).

    Returns the process and the URL. Raises :class:`ChildStartError` when the process cannot
    start or its first line is not a URL (with the last line of its standard error).
    """
    try:
        process = subprocess.Popen(
            [sys.executable, "-c", script, *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
    except OSError as exc:
        raise ChildStartError(f"cannot start a Python process: {exc}") from exc
    assert process.stdout is not None
    line = process.stdout.readline().decode(errors="replace").strip()
    if not line.startswith("http"):
        process.kill()
        _out, err = process.communicate(timeout=5)
        lines = err.decode(errors="replace").strip().splitlines()
        raise ChildStartError(lines[-1] if lines else "it exited at once")
    threading.Thread(
        target=_discard, args=(process.stderr,), name="composer-child-stderr", daemon=True
    ).start()
    return process, line


def stop_child(process: subprocess.Popen[bytes]) -> None:
    """Close the child's standard input (it stops cleanly), wait for it; kill it if it lingers.

    Its standard output is left to the caller (a reader thread may still be draining it).
    """
    try:
        if process.stdin is not None:
            process.stdin.close()
        process.wait(timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        process.kill()
        process.wait()


def _discard(stream: IO[bytes]) -> None:
    with contextlib.suppress(OSError, ValueError):
        for _line in stream:
            pass
