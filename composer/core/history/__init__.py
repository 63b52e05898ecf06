"""The local history: every submission, its runs, their status changes, timings and outputs,
and the webhook events received for them, in a SQLite database in the composer home.

Start here::

    from composer.core.history import HistoryStore, HistoryQuery

    with HistoryStore() as history:            # composer.core.paths.history_db_path()
        sid = history.record_submission(body, target_name="Sandbox (built-in)",
                                        base_url=url, path="/run", run_ids=[run_id])
        history.record_update(run_id, source="poll", status="running", progress=0.4)
        history.record_run_object(run_json)    # a GET /run/{id} answer, all at once
        page = history.search(HistoryQuery(text="lighthouse", status="success"), limit=50)
        detail = history.get(sid)              # runs, status changes, outputs, webhook events
        draft = history.reopen(sid).body       # exactly the body that was sent
        history.webhooks.add(receiver_record)  # seq, received_at, method, path, query, ...

Opening a damaged or too-new file raises a :class:`HistoryFileError` and leaves the file as it
was; :func:`move_aside_history` moves it aside when the user agrees.
"""

from composer.core.history.db import move_aside_history
from composer.core.history.errors import (
    HistoryBusyError,
    HistoryCorruptError,
    HistoryError,
    HistoryFileError,
    HistoryTooNewError,
    HistoryWriteError,
    UnknownSubmissionError,
)
from composer.core.history.queries import HistoryQuery
from composer.core.history.records import (
    OutputItem,
    Page,
    RunRecord,
    SentRequest,
    StatusChange,
    SubmissionDetail,
    SubmissionSummary,
    UpdateSource,
    WebhookEvent,
    output_items,
    to_utc,
)
from composer.core.history.schema import SCHEMA_VERSION, fts5_available
from composer.core.history.settings import DEFAULT_MAX_ENTRIES, DEFAULT_MAX_WEBHOOK_EVENTS
from composer.core.history.store import HistoryStore
from composer.core.history.webhooks import WebhookLog, event_to_json
from composer.core.history.writes import MAX_PLANNED_RUNS

__all__ = [
    "DEFAULT_MAX_ENTRIES",
    "DEFAULT_MAX_WEBHOOK_EVENTS",
    "MAX_PLANNED_RUNS",
    "SCHEMA_VERSION",
    "HistoryBusyError",
    "HistoryCorruptError",
    "HistoryError",
    "HistoryFileError",
    "HistoryQuery",
    "HistoryStore",
    "HistoryTooNewError",
    "HistoryWriteError",
    "OutputItem",
    "Page",
    "RunRecord",
    "SentRequest",
    "StatusChange",
    "SubmissionDetail",
    "SubmissionSummary",
    "UnknownSubmissionError",
    "UpdateSource",
    "WebhookEvent",
    "WebhookLog",
    "event_to_json",
    "fts5_available",
    "move_aside_history",
    "output_items",
    "to_utc",
]
