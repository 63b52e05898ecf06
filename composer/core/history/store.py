"""The history of submissions and their runs: record as a run goes, list, search, reopen, delete.

Every public method is one short transaction, safe to call from the GUI's event-loop thread and
from other threads (a lock serialises them). Arguments are plain Python values, so the client's
tracker, the webhook receiver and the CLI can all feed it without sharing types.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from composer.core.batch import run_count
from composer.core.history import queries
from composer.core.history.db import Database
from composer.core.history.errors import UnknownSubmissionError
from composer.core.history.queries import HistoryQuery
from composer.core.history.records import (
    Page,
    SentRequest,
    SubmissionDetail,
    SubmissionSummary,
    UpdateSource,
    output_items,
    to_utc,
)
from composer.core.history.schema import FTS_TABLE
from composer.core.history.settings import Settings
from composer.core.history.texts import (
    body_json,
    inputs_preview,
    redact,
    search_text,
)
from composer.core.history.webhooks import WebhookLog
from composer.core.history.writes import (
    TIMING_FIELDS,
    apply_update,
    attach_run,
    delete,
    opt,
    plan_runs,
    refresh_status,
    require,
    set_timings,
    store_outputs,
    subject_of,
)
from composer.core.paths import history_db_path
from composer.core.wire import kind_of


class HistoryStore:
    """The history database at ``path`` (default: ``composer.core.paths.history_db_path()``).

    Opening raises a :class:`~composer.core.history.errors.HistoryFileError` for a file that is
    corrupt or too new, without touching it. ``webhooks`` holds the received webhook events.
    """

    def __init__(self, path: Path | None = None, *, busy_timeout: float = 5.0) -> None:
        self.path = path or history_db_path()
        # busy_timeout: how long a write waits for another process's write (seconds).
        self._db = Database(self.path, busy_timeout)
        self.settings = Settings(self._db)
        self.webhooks = WebhookLog(self._db, self.settings)

    @classmethod
    def open_existing(cls, path: Path | None = None) -> HistoryStore | None:
        """The store when the file exists, else None (a read-only caller creates nothing)."""
        path = path or history_db_path()
        return cls(path) if path.exists() else None

    def close(self) -> None:
        """Close the database."""
        self._db.close()

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def uses_search_index(self) -> bool:
        """True when text search uses the FTS5 trigram index (else a LIKE scan)."""
        return self._db.fts

    # --- recording ---

    def record_submission(
        self,
        body: Mapping[str, Any],
        *,
        target_name: str,
        base_url: str,
        path: str,
        method: str = "POST",
        kind: str | None = None,
        batch_id: str | None = None,
        run_ids: Sequence[str] = (),
        error: str | None = None,
        submitted_at: datetime | float | None = None,
        secrets: Iterable[str] = (),
    ) -> int:
        """Record a request that was sent (or failed to be) and return its id.

        ``body`` is stored as sent, except that any of ``secrets`` found in it is replaced by
        ``[redacted]``: pass the target's API key (and any signing secret) here, so a key pasted
        into an input never reaches the file. Its runs are planned from the body (one per batch
        combination, with its inputs); ``run_ids`` fill them in order. Oldest entries beyond
        :attr:`Settings.max_entries` are pruned.
        """
        text, redacted = redact(body_json(body), secrets)
        stored: dict[str, Any] = json.loads(text)
        subject = subject_of(stored)
        moment = to_utc(submitted_at) if submitted_at is not None else None
        at = moment.timestamp() if moment else time.time()
        count = run_count(stored)
        row = (
            at,
            target_name,
            base_url,
            method.upper(),
            path,
            kind or (kind_of(stored) or "unknown"),
            subject,
            text,
            int(redacted),
            batch_id,
            count,
            "error" if error else "submitted",
            error,
            inputs_preview(stored),
            search_text(stored, target_name, subject),
        )
        with self._db.write() as connection:
            cursor = connection.execute(
                "INSERT INTO submissions (submitted_at, target_name, base_url, method, path, "
                "kind, subject_id, body, redacted, batch_id, run_count, status, error, "
                "inputs_preview, search_text) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                row,
            )
            submission_id = int(cursor.lastrowid or 0)
            if self._db.fts:
                connection.execute(
                    f"INSERT INTO {FTS_TABLE} (rowid, search_text) VALUES (?, ?)",
                    (submission_id, row[-1]),
                )
            plan_runs(connection, submission_id, stored, at)
            for run_id in run_ids:
                attach_run(connection, submission_id, run_id, None, None)
            refresh_status(connection, submission_id)
            self._prune(connection)
        return submission_id

    def set_submission_result(
        self,
        submission_id: int,
        *,
        batch_id: str | None = None,
        run_ids: Sequence[str] = (),
        error: str | None = None,
    ) -> None:
        """Record the answer to the POST: a batch id, run ids (fill the planned runs in order),
        or the error that stopped it."""
        with self._db.write() as connection:
            require(connection, submission_id)
            if batch_id is not None:
                connection.execute(
                    "UPDATE submissions SET batch_id = ? WHERE id = ?", (batch_id, submission_id)
                )
            if error is not None:
                connection.execute(
                    "UPDATE submissions SET error = ? WHERE id = ?", (error, submission_id)
                )
            for run_id in run_ids:
                attach_run(connection, submission_id, run_id, None, None)
            refresh_status(connection, submission_id)

    def record_run(
        self,
        submission_id: int,
        run_id: str,
        *,
        batch_index: int | None = None,
        inputs: Mapping[str, Any] | None = None,
    ) -> int | None:
        """Attach a run id to a submission (e.g. a batch run discovered through a webhook) and
        return its batch index. The run fills: the slot ``batch_index`` if given; else the first
        unassigned run whose batch values all appear in ``inputs``; else the first unassigned.
        Recording a known run id again changes nothing."""
        with self._db.write() as connection:
            require(connection, submission_id)
            index = attach_run(connection, submission_id, run_id, batch_index, inputs)
            refresh_status(connection, submission_id)
        return index

    def record_update(
        self,
        run_id: str,
        *,
        source: UpdateSource | str,
        status: str | None = None,
        progress: float | None = None,
        live_status: str | None = None,
        queue_position: int | None = None,
        error: str | None = None,
        at: datetime | float | None = None,
    ) -> bool:
        """Record a status report about a run; False when the run id is not in the history.

        Every distinct report is kept as a status change (a report identical to the previous one
        from the same source is not). The run's current state follows the reports, except that a
        late non-terminal report never moves a finished run back.
        """
        with self._db.write() as connection:
            return apply_update(
                connection,
                run_id,
                str(source),
                status,
                progress,
                live_status,
                queue_position,
                error,
                at,
            )

    def record_timings(
        self,
        run_id: str,
        *,
        created_at: datetime | str | None = None,
        queued_at: datetime | str | None = None,
        started_at: datetime | str | None = None,
        ended_at: datetime | str | None = None,
        cold_start_duration: float | None = None,
        run_duration: float | None = None,
    ) -> bool:
        """Record a run's timestamps and durations (None leaves a value as it was)."""
        values = {
            "created_at": created_at,
            "queued_at": queued_at,
            "started_at": started_at,
            "ended_at": ended_at,
            "cold_start_duration": cold_start_duration,
            "run_duration": run_duration,
        }
        with self._db.write() as connection:
            return set_timings(connection, run_id, values)

    def record_outputs(self, run_id: str, outputs: Iterable[Any]) -> int:
        """Record a run's outputs: the API's output objects, flat mappings or
        :class:`OutputItem` values. The same file seen again (with a fresh presigned URL)
        updates its URL. Returns how many items were given; 0 for an unknown run."""
        items = output_items(outputs)
        with self._db.write() as connection:
            return store_outputs(connection, run_id, items)

    def record_run_object(
        self, run: Mapping[str, Any], *, source: UpdateSource | str = UpdateSource.POLL
    ) -> bool:
        """Record a run object as ``GET /run/{id}`` answers it: status, progress, live status,
        queue position, timings and outputs, in one transaction."""
        run_id = run.get("id")
        if not isinstance(run_id, str):
            return False
        timings = {key: run.get(key) for key in (*TIMING_FIELDS, "cold_start_duration")}
        timings["run_duration"] = run.get("run_duration")
        with self._db.write() as connection:
            known = apply_update(
                connection,
                run_id,
                str(source),
                opt(run.get("status"), str),
                opt(run.get("progress"), float),
                opt(run.get("live_status"), str),
                opt(run.get("queue_position"), int),
                None,
                None,
            )
            if known:
                set_timings(connection, run_id, timings)
                store_outputs(connection, run_id, output_items(run.get("outputs") or ()))
        return known

    # --- reading ---

    def search(
        self,
        query: HistoryQuery | None = None,
        *,
        limit: int = 50,
        offset: int = 0,
    ) -> Page[SubmissionSummary]:
        """A page of submissions matching ``query`` (everything when None), newest first."""
        query = query or HistoryQuery()
        limit = max(1, limit)
        offset = max(0, offset)
        with self._db.snapshot() as connection:
            ids = queries.page_ids(connection, query, self._db.fts, limit, offset)
            items = queries.summaries(connection, ids[:limit])
        return Page(tuple(items), offset, limit, len(ids) > limit)

    def count(self, query: HistoryQuery | None = None) -> int:
        """How many submissions match ``query``."""
        with self._db.read() as connection:
            return queries.count(connection, query or HistoryQuery(), self._db.fts)

    def get(self, submission_id: int) -> SubmissionDetail:
        """Everything recorded about one submission: body, runs with their status changes and
        outputs, and the webhook events that name its runs."""
        with self._db.snapshot() as connection:
            summaries = queries.summaries(connection, [submission_id])
            if not summaries:
                raise UnknownSubmissionError(submission_id)
            body, redacted = connection.execute(
                "SELECT body, redacted FROM submissions WHERE id = ?", (submission_id,)
            ).fetchone()
            runs = queries.runs_of(connection, submission_id)
            run_ids = [run.run_id for run in runs if run.run_id]
            events = self.webhooks.events_of_runs(connection, run_ids)
        return SubmissionDetail(summaries[0], json.loads(body), bool(redacted), tuple(runs), events)

    def reopen(self, submission_id: int) -> SentRequest:
        """The body exactly as it was sent (keys in the same order) and where it went."""
        with self._db.read() as connection:
            row = connection.execute(
                "SELECT body, kind, target_name, base_url, method, path, redacted "
                "FROM submissions WHERE id = ?",
                (submission_id,),
            ).fetchone()
        if row is None:
            raise UnknownSubmissionError(submission_id)
        return SentRequest(json.loads(row[0]), row[1], row[2], row[3], row[4], row[5], bool(row[6]))

    def submission_for_run(self, run_id: str) -> int | None:
        """The id of the submission a run belongs to, or None."""
        with self._db.read() as connection:
            row = connection.execute(
                "SELECT submission_id FROM runs WHERE run_id = ?", (run_id,)
            ).fetchone()
        return None if row is None else int(row[0])

    def subjects(self) -> list[tuple[str, int]]:
        """Each model/deployment id in the history with its number of submissions, most used
        first (for a filter menu)."""
        with self._db.read() as connection:
            rows = connection.execute(
                "SELECT subject_id, count(*) FROM submissions WHERE subject_id IS NOT NULL "
                "GROUP BY subject_id ORDER BY count(*) DESC, subject_id"
            ).fetchall()
        return [(row[0], int(row[1])) for row in rows]

    # --- deleting and size ---

    def delete(self, submission_ids: Iterable[int]) -> int:
        """Delete submissions with their runs, status changes, outputs and webhook events;
        returns how many existed."""
        ids = list(dict.fromkeys(int(i) for i in submission_ids))
        with self._db.write() as connection:
            return delete(connection, ids, self._db.fts)

    def clear(self) -> int:
        """Delete every submission (webhook events not linked to one stay; see ``webhooks``)."""
        with self._db.write() as connection:
            ids = [row[0] for row in connection.execute("SELECT id FROM submissions")]
            return delete(connection, ids, self._db.fts)

    def set_max_entries(self, value: int) -> int:
        """Change the size bound and prune at once; returns how many entries were pruned."""
        self.settings.max_entries = value
        with self._db.write() as connection:
            return self._prune(connection)

    def check_integrity(self) -> list[str]:
        """SQLite's integrity check: an empty list when the file is sound, else the problems."""
        with self._db.read() as connection:
            rows = [row[0] for row in connection.execute("PRAGMA integrity_check")]
        return [] if rows == ["ok"] else rows

    def _prune(self, connection: sqlite3.Connection) -> int:
        keep = self.settings.read_max_entries(connection)
        edge = connection.execute(
            "SELECT submitted_at, id FROM submissions ORDER BY submitted_at DESC, id DESC "
            "LIMIT 1 OFFSET ?",
            (keep,),
        ).fetchone()
        if edge is None:
            return 0
        ids = [
            row[0]
            for row in connection.execute(
                "SELECT id FROM submissions WHERE (submitted_at, id) <= (?, ?)", edge
            )
        ]
        return delete(connection, ids, self._db.fts)
