"""History settings kept in the database itself, so the GUI and the CLI agree on them."""

from __future__ import annotations

import sqlite3
from typing import Final

from composer.core.history.db import Database

DEFAULT_MAX_ENTRIES: Final = 10_000
DEFAULT_MAX_WEBHOOK_EVENTS: Final = 20_000


class Settings:
    """The size bounds: beyond them the oldest entries are pruned as new ones arrive."""

    def __init__(self, db: Database) -> None:
        self._db = db

    @property
    def max_entries(self) -> int:
        """How many submissions the history keeps (default 10,000)."""
        with self._db.read() as connection:
            return self.read_max_entries(connection)

    @max_entries.setter
    def max_entries(self, value: int) -> None:
        self._write("max_entries", value)

    @property
    def max_webhook_events(self) -> int:
        """How many webhook events the history keeps (default 20,000)."""
        with self._db.read() as connection:
            return self.read_max_webhook_events(connection)

    @max_webhook_events.setter
    def max_webhook_events(self, value: int) -> None:
        self._write("max_webhook_events", value)

    def read_max_entries(self, connection: sqlite3.Connection) -> int:
        """:attr:`max_entries` inside a caller's transaction."""
        return _read_int(connection, "max_entries", DEFAULT_MAX_ENTRIES)

    def read_max_webhook_events(self, connection: sqlite3.Connection) -> int:
        """:attr:`max_webhook_events` inside a caller's transaction."""
        return _read_int(connection, "max_webhook_events", DEFAULT_MAX_WEBHOOK_EVENTS)

    def _write(self, key: str, value: int) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{key} must be a whole number of at least 1, not {value!r}")
        with self._db.write() as connection:
            connection.execute(
                "INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)", (key, str(value))
            )


def _read_int(connection: sqlite3.Connection, key: str, default: int) -> int:
    row = connection.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
    try:
        return max(1, int(row[0])) if row else default
    except ValueError:
        return default
