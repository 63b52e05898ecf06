"""The history schema, as numbered migrations applied in order (``PRAGMA user_version``).

Never edit a migration that has shipped: add the next one. Each runs in its own transaction
together with the version bump, so a crash leaves the file at the previous version, intact.

The text search index (FTS5 with the trigram tokenizer) is not part of the schema: it is derived
from ``submissions.search_text``, created where this SQLite supports it and rebuilt when a
SQLite without FTS5 has written to the database in between (the ``search_index_stale`` setting).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from functools import cache
from typing import Final

_V1: Final = """
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE submissions (
    id INTEGER PRIMARY KEY,
    submitted_at REAL NOT NULL,          -- Unix seconds, UTC
    target_name TEXT NOT NULL,
    base_url TEXT NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    kind TEXT NOT NULL,                  -- model | deployment | ...
    subject_id TEXT,                     -- model_id or deployment_id
    body TEXT NOT NULL,                  -- the JSON body as sent, secrets redacted
    redacted INTEGER NOT NULL DEFAULT 0,
    batch_id TEXT,
    run_count INTEGER NOT NULL,
    status TEXT NOT NULL,                -- submitted | error | a run status | a batch's overall
    error TEXT,
    inputs_preview TEXT NOT NULL,
    search_text TEXT NOT NULL
);
CREATE INDEX submissions_time ON submissions (submitted_at);
CREATE INDEX submissions_subject ON submissions (subject_id, submitted_at);
CREATE INDEX submissions_status ON submissions (status, submitted_at);
CREATE INDEX submissions_batch ON submissions (batch_id);

CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    submission_id INTEGER NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
    run_id TEXT UNIQUE,                  -- NULL until a batch run's id is known
    batch_index INTEGER,
    inputs TEXT,                         -- JSON: the run's own inputs
    combination TEXT,                    -- JSON: the batch values that made this run
    status TEXT,
    progress REAL,
    live_status TEXT,
    queue_position INTEGER,
    created_at TEXT,
    queued_at TEXT,
    started_at TEXT,
    ended_at TEXT,
    cold_start_duration REAL,
    run_duration REAL,
    error TEXT,
    updated_at REAL NOT NULL
);
CREATE INDEX runs_submission ON runs (submission_id, batch_index);
CREATE INDEX runs_status ON runs (status, submission_id);

CREATE TABLE status_changes (
    id INTEGER PRIMARY KEY,
    run_pk INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    at REAL NOT NULL,
    source TEXT NOT NULL,                -- submit | poll | stream | webhook
    status TEXT,
    progress REAL,
    live_status TEXT,
    queue_position INTEGER
);
CREATE INDEX status_changes_run ON status_changes (run_pk, id);

CREATE TABLE outputs (
    id INTEGER PRIMARY KEY,
    run_pk INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    url TEXT,
    filename TEXT,
    media_type TEXT,
    node_id TEXT,
    text TEXT,
    dedupe_key TEXT NOT NULL,
    UNIQUE (run_pk, dedupe_key)
);
"""

_V2: Final = """
CREATE TABLE webhook_events (
    id INTEGER PRIMARY KEY,
    seq INTEGER NOT NULL,
    received_at TEXT NOT NULL,           -- ISO 8601 UTC
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    query TEXT NOT NULL,
    headers TEXT NOT NULL,               -- JSON list of [name, value] pairs
    body BLOB NOT NULL,
    json TEXT,                           -- the parsed body as JSON text, NULL when not JSON
    remote TEXT,
    run_id TEXT                          -- the run it is about, when it names one
);
CREATE INDEX webhook_events_run ON webhook_events (run_id, id);
"""


def _script(sql: str) -> Callable[[sqlite3.Connection], None]:
    def apply(connection: sqlite3.Connection) -> None:
        # Statement by statement: executescript() would COMMIT the surrounding transaction.
        for statement in sql.split(";"):
            if statement.strip():
                connection.execute(statement)

    return apply


# version -> the step that brings a database from version - 1 to it.
MIGRATIONS: Final[dict[int, Callable[[sqlite3.Connection], None]]] = {
    1: _script(_V1),  # submissions, runs, status changes, outputs, settings
    2: _script(_V2),  # webhook events (the webhook lab)
}
SCHEMA_VERSION: Final = max(MIGRATIONS)
FTS_TABLE: Final = "submissions_fts"


def user_version(connection: sqlite3.Connection) -> int:
    """The schema version stored in the file (0 for a new file)."""
    row = connection.execute("PRAGMA user_version").fetchone()
    return int(row[0])


def migrate(connection: sqlite3.Connection, upto: int = SCHEMA_VERSION) -> list[int]:
    """Apply the missing migrations up to ``upto``, each in its own transaction; returns the
    versions applied. The connection must be in autocommit mode (``isolation_level=None``)."""
    applied: list[int] = []
    for version in sorted(MIGRATIONS):
        if version > upto:
            break
        connection.execute("BEGIN IMMEDIATE")
        try:
            # Read again under the write lock: another process may have migrated meanwhile.
            if user_version(connection) >= version:
                connection.execute("COMMIT")
                continue
            MIGRATIONS[version](connection)
            connection.execute(f"PRAGMA user_version = {int(version)}")
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        applied.append(version)
    return applied


@cache
def fts5_available() -> bool:
    """True when this SQLite has FTS5 with the trigram tokenizer (SQLite 3.34 or newer)."""
    probe = sqlite3.connect(":memory:")
    try:
        probe.execute("CREATE VIRTUAL TABLE probe USING fts5(text, tokenize='trigram')")
    except sqlite3.Error:
        return False
    finally:
        probe.close()
    return True


def prepare_search_index(connection: sqlite3.Connection) -> bool:
    """Create or refresh the text search index; True when searches can use it.

    Without FTS5 the index cannot be kept up to date, so it is marked stale and rebuilt the next
    time a SQLite with FTS5 opens the file.
    """
    connection.execute("BEGIN IMMEDIATE")
    try:
        if not fts5_available():
            connection.execute(
                "INSERT OR REPLACE INTO settings (key, value) VALUES ('search_index_stale', '1')"
            )
            connection.execute("COMMIT")
            return False
        exists = connection.execute(
            "SELECT 1 FROM sqlite_master WHERE name = ?", (FTS_TABLE,)
        ).fetchone()
        stale = connection.execute(
            "SELECT value FROM settings WHERE key = 'search_index_stale'"
        ).fetchone()
        if not exists:
            connection.execute(
                f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(search_text, tokenize='trigram')"
            )
        if not exists or (stale and stale[0] == "1"):
            connection.execute(f"DELETE FROM {FTS_TABLE}")
            connection.execute(
                f"INSERT INTO {FTS_TABLE} (rowid, search_text) "
                "SELECT id, search_text FROM submissions"
            )
            connection.execute("DELETE FROM settings WHERE key = 'search_index_stale'")
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    return True
