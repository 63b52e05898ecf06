"""The write steps of the history store, each run inside the caller's transaction."""

from __future__ import annotations

import itertools
import json
import sqlite3
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from composer.core.batch import batch_params, iter_combinations, run_count
from composer.core.history.errors import UnknownSubmissionError
from composer.core.history.records import OutputItem, iso, to_utc
from composer.core.history.schema import FTS_TABLE
from composer.core.history.texts import body_json, overall_status
from composer.core.history.webhooks import delete_events_of_runs
from composer.core.wire import TERMINAL_STATUSES, kind_of

MAX_PLANNED_RUNS: Final = 10_000
"""A batch's runs are listed one by one up to this many (its run count is kept regardless)."""
TIMING_FIELDS: Final = ("created_at", "queued_at", "started_at", "ended_at")
_CHUNK: Final = 500  # ids per statement, under every SQLite's variable limit
_QUEUED: Final = frozenset({"not-started", "queued"})


def subject_of(body: Mapping[str, Any]) -> str | None:
    """The model_id or deployment_id of a body (as text), or None."""
    kind = kind_of(dict(body))
    value = body.get(kind.key) if kind else None
    return None if value is None else str(value)


def require(connection: sqlite3.Connection, submission_id: int) -> None:
    """Raise :class:`UnknownSubmissionError` unless the submission exists."""
    if connection.execute("SELECT 1 FROM submissions WHERE id = ?", (submission_id,)).fetchone():
        return
    raise UnknownSubmissionError(submission_id)


def plan_runs(
    connection: sqlite3.Connection, submission_id: int, body: Mapping[str, Any], at: float
) -> None:
    """One row per run the body starts, with its inputs and batch combination (the server's
    order: the Cartesian product of ``batch_input_params``, first key slowest)."""
    inputs = body.get("inputs")
    # A body the server would refuse (inputs not an object) still gets its one run recorded.
    base = dict(inputs) if isinstance(inputs, Mapping) else {}
    params = batch_params(body)
    rows: list[tuple[Any, ...]]
    if params:
        combos = itertools.islice(iter_combinations(params), MAX_PLANNED_RUNS)
        rows = [
            (submission_id, index, body_json({**base, **combo}), body_json(combo), at)
            for index, combo in enumerate(combos)
        ]
    else:
        copies = min(run_count(body), MAX_PLANNED_RUNS)
        rows = [(submission_id, index, body_json(base), None, at) for index in range(copies)]
    connection.executemany(
        "INSERT INTO runs (submission_id, batch_index, inputs, combination, updated_at) "
        "VALUES (?, ?, ?, ?, ?)",
        rows,
    )


def attach_run(
    connection: sqlite3.Connection,
    submission_id: int,
    run_id: str,
    batch_index: int | None,
    inputs: Mapping[str, Any] | None,
) -> int | None:
    """Give a run id to one of the submission's runs (see ``HistoryStore.record_run``)."""
    existing = connection.execute(
        "SELECT batch_index FROM runs WHERE run_id = ?", (run_id,)
    ).fetchone()
    if existing is not None:
        return None if existing[0] is None else int(existing[0])
    free = connection.execute(
        "SELECT id, batch_index, combination FROM runs "
        "WHERE submission_id = ? AND run_id IS NULL ORDER BY batch_index, id",
        (submission_id,),
    ).fetchall()
    chosen = None
    if batch_index is not None:
        chosen = next((row for row in free if row[1] == batch_index), None)
    elif inputs is not None:
        chosen = next((row for row in free if _combination_in(row[2], inputs)), None)
    if chosen is None and batch_index is None and free:
        chosen = free[0]
    if chosen is not None:
        connection.execute(
            "UPDATE runs SET run_id = ?, updated_at = ? WHERE id = ?",
            (run_id, time.time(), chosen[0]),
        )
        return None if chosen[1] is None else int(chosen[1])
    connection.execute(
        "INSERT INTO runs (submission_id, run_id, batch_index, inputs, updated_at) "
        "VALUES (?, ?, ?, ?, ?)",
        (submission_id, run_id, batch_index, _dumps(inputs), time.time()),
    )
    return batch_index


def _combination_in(combination: str | None, inputs: Mapping[str, Any]) -> bool:
    if combination is None:
        return True
    values: dict[str, Any] = json.loads(combination)
    return all(key in inputs and inputs[key] == value for key, value in values.items())


def apply_update(
    connection: sqlite3.Connection,
    run_id: str,
    source: str,
    status: str | None,
    progress: float | None,
    live_status: str | None,
    queue_position: int | None,
    error: str | None,
    at: datetime | float | None,
) -> bool:
    """Record a status report; False for an unknown run (see ``HistoryStore.record_update``)."""
    row = connection.execute(
        "SELECT id, submission_id, status FROM runs WHERE run_id = ?", (run_id,)
    ).fetchone()
    if row is None:
        return False
    run_pk, submission_id, current = row
    moment = to_utc(at) if at is not None else None
    when = moment.timestamp() if moment else time.time()
    report = (status, progress, live_status, queue_position)
    last = connection.execute(
        "SELECT status, progress, live_status, queue_position FROM status_changes "
        "WHERE run_pk = ? AND source = ? ORDER BY id DESC LIMIT 1",
        (run_pk, source),
    ).fetchone()
    if last is None or tuple(last) != report:
        connection.execute(
            "INSERT INTO status_changes (run_pk, at, source, status, progress, live_status, "
            "queue_position) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (run_pk, when, source, *report),
        )
    # Reports arrive out of order: once finished, only another terminal report changes the run.
    late = current in TERMINAL_STATUSES and status not in TERMINAL_STATUSES
    changes: dict[str, Any] = {"updated_at": time.time()}
    if error is not None:
        changes["error"] = error
    if not late:
        for key, value in (
            ("status", status),
            ("progress", progress),
            ("live_status", live_status),
            ("queue_position", queue_position),
        ):
            if value is not None:
                changes[key] = value
        if (status or current) not in _QUEUED and (status or current) is not None:
            changes["queue_position"] = None
    assignments = ", ".join(f"{key} = ?" for key in changes)
    connection.execute(f"UPDATE runs SET {assignments} WHERE id = ?", [*changes.values(), run_pk])
    if "status" in changes:
        refresh_status(connection, submission_id)
    return True


def set_timings(connection: sqlite3.Connection, run_id: str, values: Mapping[str, Any]) -> bool:
    """Store the run's timestamps (as ISO UTC) and durations; False for an unknown run."""
    changes: dict[str, Any] = {}
    for key, value in values.items():
        if value is None:
            continue
        if key in TIMING_FIELDS:
            moment = to_utc(value)
            if moment is not None:
                changes[key] = iso(moment)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            changes[key] = float(value)
    if not changes:
        row = connection.execute("SELECT 1 FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        return row is not None
    assignments = ", ".join(f"{key} = ?" for key in changes)
    cursor = connection.execute(
        f"UPDATE runs SET {assignments} WHERE run_id = ?", [*changes.values(), run_id]
    )
    return cursor.rowcount > 0


def store_outputs(connection: sqlite3.Connection, run_id: str, items: list[OutputItem]) -> int:
    """Insert or refresh a run's outputs; returns how many, 0 for an unknown run."""
    row = connection.execute("SELECT id FROM runs WHERE run_id = ?", (run_id,)).fetchone()
    if row is None:
        return 0
    connection.executemany(
        "INSERT INTO outputs (run_pk, kind, url, filename, media_type, node_id, text, dedupe_key) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_pk, dedupe_key) DO UPDATE SET "
        "url = excluded.url, media_type = excluded.media_type, text = excluded.text",
        [
            (row[0], i.kind, i.url, i.filename, i.media_type, i.node_id, i.text, i.dedupe_key)
            for i in items
        ],
    )
    return len(items)


def refresh_status(connection: sqlite3.Connection, submission_id: int) -> None:
    """Recompute the submission's overall status from its runs."""
    counts: dict[str | None, int] = dict(
        connection.execute(
            "SELECT status, count(*) FROM runs WHERE submission_id = ? GROUP BY status",
            (submission_id,),
        ).fetchall()
    )
    run_total, error = connection.execute(
        "SELECT run_count, error FROM submissions WHERE id = ?", (submission_id,)
    ).fetchone()
    connection.execute(
        "UPDATE submissions SET status = ? WHERE id = ?",
        (overall_status(counts, run_total, error), submission_id),
    )


def delete(connection: sqlite3.Connection, ids: list[int], fts: bool) -> int:
    """Delete submissions with everything recorded about them; returns how many existed."""
    deleted = 0
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        marks = ",".join("?" * len(chunk))
        run_ids = [
            row[0]
            for row in connection.execute(
                f"SELECT run_id FROM runs WHERE submission_id IN ({marks}) AND run_id IS NOT NULL",
                chunk,
            )
        ]
        delete_events_of_runs(connection, run_ids)
        if fts:
            connection.execute(f"DELETE FROM {FTS_TABLE} WHERE rowid IN ({marks})", chunk)
        # Runs, status changes and outputs go with their submission (ON DELETE CASCADE).
        cursor = connection.execute(f"DELETE FROM submissions WHERE id IN ({marks})", chunk)
        deleted += cursor.rowcount
    # Without FTS5 the index was marked stale when the file was opened; it is rebuilt later.
    return deleted


def _dumps(value: Mapping[str, Any] | None) -> str | None:
    return None if value is None else body_json(value)


def opt[T](value: Any, kind: type[T]) -> T | None:
    """``kind(value)``, or None when the value is missing or does not convert."""
    if value is None or isinstance(value, bool):
        return None
    try:
        return kind(value)  # type: ignore[call-arg]
    except (TypeError, ValueError):
        return None
