"""Opening the history file safely, and short transactions usable from any thread.

Opening checks before it writes anything: a file that is not a SQLite database, not composer's,
or from a newer composer raises a :class:`HistoryFileError` and is left exactly as it was.
Then WAL mode (readers never wait for the writer; a killed writer loses at most its open
transaction), foreign keys, the migrations, and the search index.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final

from composer.core.atomic import move_aside
from composer.core.history.errors import (
    HistoryBusyError,
    HistoryCorruptError,
    HistoryError,
    HistoryFileError,
    HistoryTooNewError,
    HistoryWriteError,
)
from composer.core.history.schema import (
    SCHEMA_VERSION,
    migrate,
    prepare_search_index,
    user_version,
)

BUSY_TIMEOUT_SECONDS: Final = 5.0
_CORRUPT_MARKERS: Final = ("malformed", "not a database", "encrypted", "corrupt")
_WRITE_MARKERS: Final = ("disk is full", "disk i/o", "readonly", "read-only", "unable to open")


class Database:
    """One connection to the history file, guarded by a lock so any thread may use it.

    Keep transactions short: the GUI calls this on its event-loop thread.
    """

    def __init__(self, path: Path, busy_timeout: float = BUSY_TIMEOUT_SECONDS) -> None:
        self.path = path
        self._lock = threading.RLock()
        self._connection = _open(path, busy_timeout)
        try:
            with self._translate():
                migrate(self._connection)
                self.fts = prepare_search_index(self._connection)
        except BaseException:
            self._connection.close()
            raise

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction (``BEGIN IMMEDIATE``): all of it is stored, or none."""
        with self._lock, self._translate():
            connection = self._connection
            connection.execute("BEGIN IMMEDIATE")
            try:
                yield connection
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """The connection for reads (each statement sees a consistent snapshot)."""
        with self._lock, self._translate():
            yield self._connection

    @contextmanager
    def snapshot(self) -> Iterator[sqlite3.Connection]:
        """Several reads that must agree with each other (one read transaction)."""
        with self._lock, self._translate():
            connection = self._connection
            connection.execute("BEGIN")
            try:
                yield connection
            finally:
                connection.execute("COMMIT")

    def close(self) -> None:
        """Close the connection (idempotent)."""
        with self._lock:
            self._connection.close()

    @contextmanager
    def _translate(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            raise translate_error(self.path, exc) from exc


def translate_error(path: Path, exc: sqlite3.Error) -> HistoryError:
    """The typed history error for a sqlite3 error."""
    text = str(exc).lower()
    if any(marker in text for marker in _CORRUPT_MARKERS):
        return HistoryCorruptError(
            path, f"the file is damaged ({exc}); move it aside to start a new history"
        )
    if "locked" in text or "busy" in text:
        return HistoryBusyError(
            f"the history database {path} is busy (another composer is writing): try again"
        )
    if any(marker in text for marker in _WRITE_MARKERS):
        return HistoryWriteError(f"could not write the history database {path}: {exc}")
    return HistoryError(f"history database {path}: {exc}")


def _open(path: Path, busy_timeout: float) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        connection = sqlite3.connect(
            path, timeout=busy_timeout, isolation_level=None, check_same_thread=False
        )
    except sqlite3.Error as exc:
        raise translate_error(path, exc) from exc
    try:
        _check_file(path, connection)
        # WAL: readers and the writer do not block each other, and a crash mid-transaction
        # leaves the last committed state. NORMAL sync is crash-safe for process crashes in WAL
        # (only a power cut may lose the newest commits, never consistency).
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA synchronous = NORMAL")
        connection.execute("PRAGMA foreign_keys = ON")
    except sqlite3.Error as exc:
        connection.close()
        raise translate_error(path, exc) from exc
    except BaseException:
        connection.close()
        raise
    return connection


def _check_file(path: Path, connection: sqlite3.Connection) -> None:
    """Raise before any write for a file that is not ours or too new."""
    try:
        version = user_version(connection)
        tables = {
            row[0]
            for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
    except sqlite3.DatabaseError as exc:
        raise HistoryCorruptError(
            path, f"damaged or not a SQLite database ({exc}); move it aside to start a new history"
        ) from None
    if version > SCHEMA_VERSION:
        raise HistoryTooNewError(path, version, SCHEMA_VERSION)
    if (version == 0 and tables) or (version > 0 and "submissions" not in tables):
        raise HistoryCorruptError(
            path, "a SQLite database, but not a composer history; move it aside or choose another"
        )


def move_aside_history(path: Path) -> Path:
    """Move an unusable history file (and its WAL files) aside; returns where it went.

    Only call this when the user agreed (e.g. after a :class:`HistoryFileError`) and no store
    has the file open.
    """
    return move_aside(path, "unusable")


__all__ = ["Database", "HistoryFileError", "move_aside_history", "translate_error"]
