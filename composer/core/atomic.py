"""Atomic file writes: a reader sees the old file or the new one, never a torn half."""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
import time
from pathlib import Path


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename.

    The temporary file is flushed to disk before the rename, so a crash or a full disk leaves the
    previous file intact; on failure the temporary file is removed and the error propagates.
    """
    if path.exists() and not path.is_file():
        # A rename would replace a device, a fifo or a folder's entry (as root: /dev/null).
        raise IsADirectoryError(
            errno.EISDIR, "not a regular file, refusing to replace it", str(path)
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp creates 0600 files; give the file the mode it had, or the usual one for new files.
        os.chmod(temp_name, _mode_for(path))
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        raise
    _fsync_dir(path.parent)


def _mode_for(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        return 0o666 & ~_UMASK


def _read_umask() -> int:
    # os.umask can only be read by setting it; done once, at import, before any threads write.
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _read_umask()


def write_text_atomic(path: Path, text: str) -> None:
    """Write UTF-8 text atomically (see :func:`write_atomic`)."""
    write_atomic(path, text.encode("utf-8"))


def _fsync_dir(folder: Path) -> None:
    # Makes the rename itself durable; not possible on every platform (Windows), hence optional.
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def move_aside(path: Path, label: str = "unreadable") -> Path:
    """Rename a file composer cannot use to ``NAME.LABEL-YYYYmmddTHHMMSS`` beside it and return
    the new path, so a fresh file can take its place and the old one is kept for the user.

    SQLite's ``-wal`` and ``-shm`` companions, when present, move with it.
    """
    stamp = time.strftime("%Y%m%dT%H%M%S")
    target = path.with_name(f"{path.name}.{label}-{stamp}")
    counter = 1
    while target.exists():
        counter += 1
        target = path.with_name(f"{path.name}.{label}-{stamp}-{counter}")
    os.replace(path, target)
    for suffix in ("-wal", "-shm"):
        companion = path.with_name(path.name + suffix)
        if companion.exists():
            os.replace(companion, target.with_name(target.name + suffix))
    return target
