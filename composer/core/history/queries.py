"""Finding submissions: the filters of the History view turned into SQL, and rows into records."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from composer.core.history.records import (
    OutputItem,
    RunRecord,
    StatusChange,
    SubmissionSummary,
    to_utc,
)
from composer.core.history.schema import FTS_TABLE
from composer.core.wire import TERMINAL_STATUSES

_TERMINALS: Final = tuple(sorted(TERMINAL_STATUSES))
_ID_LIKE: Final = re.compile(r"^[0-9A-Za-z-]{8,}$")  # a run id or batch id pasted into search
_MIN_TRIGRAM: Final = 3  # the trigram index cannot match shorter words; LIKE handles them

SUMMARY_COLUMNS: Final = (
    "s.id, s.submitted_at, s.target_name, s.base_url, s.method, s.path, s.kind, s.subject_id, "
    "s.batch_id, s.run_count, s.status, s.error, s.inputs_preview"
)


@dataclass(frozen=True, slots=True)
class HistoryQuery:
    """The History view's filters; all optional, combined with AND.

    ``text`` matches the model/deployment id, the target name and input values (each word, any
    case, anywhere in the text), or a run id or batch id exactly. ``subject`` is an exact model
    or deployment id. ``status`` matches a submission's overall status (a batch with a failed run
    is ``failed`` once all its runs ended).
    ``since`` is inclusive, ``until`` exclusive (naive datetimes are UTC).
    """

    text: str | None = None
    subject: str | None = None
    status: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def where(query: HistoryQuery, fts: bool) -> tuple[str, list[Any]]:
    """The WHERE clause (over ``submissions s``) and its parameters."""
    clauses: list[str] = []
    params: list[Any] = []
    if query.text and query.text.strip():
        clause, text_params = _text_clause(query.text.strip(), fts)
        clauses.append(clause)
        params.extend(text_params)
    if query.subject:
        clauses.append("s.subject_id = ?")
        params.append(query.subject.strip())
    if query.status:
        status = query.status.strip().lower()
        # The overall status (what the list shows): one index serves both filter and order.
        clauses.append("s.status = ?")
        params.append(status)
    if query.since is not None:
        clauses.append("s.submitted_at >= ?")
        params.append(_epoch(query.since))
    if query.until is not None:
        clauses.append("s.submitted_at < ?")
        params.append(_epoch(query.until))
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def _text_clause(text: str, fts: bool) -> tuple[str, list[Any]]:
    words = text.split()
    long_words = [w for w in words if fts and len(w) >= _MIN_TRIGRAM]
    short_words = [w for w in words if w not in long_words]
    parts: list[str] = []
    params: list[Any] = []
    if long_words:
        # Each word as a quoted phrase: with the trigram tokenizer it matches as a substring.
        match = " AND ".join('"' + w.replace('"', '""') + '"' for w in long_words)
        parts.append(f"s.id IN (SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH ?)")
        params.append(match)
    for word in short_words:
        parts.append("s.search_text LIKE ? ESCAPE '\\'")
        params.append("%" + re.sub(r"([\\%_])", r"\\\1", word) + "%")
    clause = "(" + " AND ".join(parts) + ")"
    if len(words) == 1 and _ID_LIKE.match(text):
        clause = (
            f"({clause} OR s.batch_id = ? OR s.id IN "
            "(SELECT submission_id FROM runs WHERE run_id = ?))"
        )
        params.extend([text, text])
    return clause, params


def _epoch(value: datetime) -> float:
    moment = to_utc(value)
    assert moment is not None
    return moment.timestamp()


def page_ids(
    connection: sqlite3.Connection, query: HistoryQuery, fts: bool, limit: int, offset: int
) -> list[int]:
    """Ids of one page of matches, newest first (one more than ``limit`` to tell ``has_more``)."""
    clause, params = where(query, fts)
    sql = (
        f"SELECT s.id FROM submissions s{clause} "
        "ORDER BY s.submitted_at DESC, s.id DESC LIMIT ? OFFSET ?"
    )
    return [row[0] for row in connection.execute(sql, [*params, limit + 1, offset])]


def count(connection: sqlite3.Connection, query: HistoryQuery, fts: bool) -> int:
    """How many submissions match."""
    clause, params = where(query, fts)
    row = connection.execute(f"SELECT count(*) FROM submissions s{clause}", params).fetchone()
    return int(row[0])


def summaries(connection: sqlite3.Connection, ids: Sequence[int]) -> list[SubmissionSummary]:
    """The summaries of these submissions, in the order of ``ids``."""
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    rows = connection.execute(
        f"SELECT {SUMMARY_COLUMNS} FROM submissions s WHERE s.id IN ({marks})", list(ids)
    ).fetchall()
    done = dict(
        connection.execute(
            f"SELECT submission_id, count(*) FROM runs WHERE submission_id IN ({marks}) "
            f"AND status IN ({','.join('?' * len(_TERMINALS))}) GROUP BY submission_id",
            [*ids, *_TERMINALS],
        ).fetchall()
    )
    by_id = {row[0]: summary_from_row(row, done.get(row[0], 0)) for row in rows}
    return [by_id[i] for i in ids if i in by_id]


def summary_from_row(row: Sequence[Any], runs_done: int) -> SubmissionSummary:
    """A summary from a row of :data:`SUMMARY_COLUMNS`."""
    return SubmissionSummary(
        id=row[0],
        submitted_at=datetime.fromtimestamp(row[1], UTC),
        target_name=row[2],
        base_url=row[3],
        method=row[4],
        path=row[5],
        kind=row[6],
        subject_id=row[7],
        batch_id=row[8],
        run_count=row[9],
        runs_done=runs_done,
        status=row[10],
        error=row[11],
        inputs_preview=row[12],
    )


RUN_COLUMNS: Final = (
    "id, run_id, batch_index, inputs, combination, status, progress, live_status, "
    "queue_position, created_at, queued_at, started_at, ended_at, cold_start_duration, "
    "run_duration, error"
)


def runs_of(connection: sqlite3.Connection, submission_id: int) -> list[RunRecord]:
    """The runs of a submission in batch order, with their status changes and outputs."""
    rows = connection.execute(
        f"SELECT {RUN_COLUMNS} FROM runs WHERE submission_id = ? ORDER BY batch_index, id",
        (submission_id,),
    ).fetchall()
    changes: dict[int, list[StatusChange]] = {}
    for row in connection.execute(
        "SELECT c.run_pk, c.at, c.source, c.status, c.progress, c.live_status, c.queue_position "
        "FROM status_changes c JOIN runs r ON r.id = c.run_pk WHERE r.submission_id = ? "
        "ORDER BY c.id",
        (submission_id,),
    ):
        changes.setdefault(row[0], []).append(
            StatusChange(datetime.fromtimestamp(row[1], UTC), *row[2:])
        )
    outputs: dict[int, list[OutputItem]] = {}
    for row in connection.execute(
        "SELECT o.run_pk, o.kind, o.url, o.filename, o.media_type, o.node_id, o.text "
        "FROM outputs o JOIN runs r ON r.id = o.run_pk WHERE r.submission_id = ? ORDER BY o.id",
        (submission_id,),
    ):
        outputs.setdefault(row[0], []).append(OutputItem(*row[1:]))
    return [
        RunRecord(
            run_id=row[1],
            batch_index=row[2],
            inputs=_loads(row[3]),
            combination=_loads(row[4]),
            status=row[5],
            progress=row[6],
            live_status=row[7],
            queue_position=row[8],
            created_at=to_utc(row[9]),
            queued_at=to_utc(row[10]),
            started_at=to_utc(row[11]),
            ended_at=to_utc(row[12]),
            cold_start_duration=row[13],
            run_duration=row[14],
            error=row[15],
            status_changes=tuple(changes.get(row[0], ())),
            outputs=tuple(outputs.get(row[0], ())),
        )
        for row in rows
    ]


def _loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)
