"""Words and numbers of the runs panel: durations, status labels, and what to do next.

Plain functions of run states (no Qt), so the table, the details page, the finish notice and the
tests all say the same thing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final

from composer.core.runs import RunState, RunStatus

# Seconds without any news of a run still going before its row says so (a run that never ends
# looks like a slow one otherwise). Queues and cold starts of a few minutes are normal.
QUIET_SECONDS: Final = 300.0

# What each status is called in the panel; unknown statuses are shown as the API sent them.
STATUS_LABELS: Final[dict[str, str]] = {
    RunStatus.NOT_STARTED: "not started",
    RunStatus.QUEUED: "queued",
    RunStatus.STARTED: "starting",
    RunStatus.RUNNING: "running",
    RunStatus.UPLOADING: "uploading",
    RunStatus.SUCCESS: "success",
    RunStatus.FAILED: "failed",
    RunStatus.TIMEOUT: "timed out",
    RunStatus.CANCELLED: "cancelled",
}

# Statuses of rows that are not runs of the API: a request being sent, refused, or a run that
# composer stopped following.
SENDING: Final = "sending"
REFUSED: Final = "refused"
LOST: Final = "lost"
WAITING: Final = "waiting"  # a batch run whose id is not known yet
NOT_RUN: Final = "not run"  # a native run, or a first result without a run to follow
# The row statuses that count as done in "3 of 9 done": the run ended, or composer stopped
# following it (lost), or there was nothing to follow (not run).
DONE_STATUSES: Final = frozenset(
    {
        RunStatus.SUCCESS,
        RunStatus.FAILED,
        RunStatus.TIMEOUT,
        RunStatus.CANCELLED,
        LOST,
        NOT_RUN,
    }
)
ROW_LABELS: Final[dict[str, str]] = {
    SENDING: "sending",
    REFUSED: "not sent",
    LOST: "unknown",
    WAITING: "waiting",
    NOT_RUN: "done",
}


def status_label(status: str) -> str:
    """The word shown in a status chip."""
    return STATUS_LABELS.get(status) or ROW_LABELS.get(status) or status


def row_status(state: RunState | None) -> str:
    """The chip of a run row: its status, ``lost`` when composer gave up following it,
    ``waiting`` when the run is not known yet."""
    if state is None:
        return WAITING
    if state.lost and not state.is_terminal:
        return LOST
    return state.status


def duration(seconds: float | None) -> str:
    """``0.4 s``, ``12.3 s``, ``2:05``, ``1:02:05``; empty for None."""
    if seconds is None:
        return ""
    if seconds < 60:
        return f"{seconds:.1f} s"
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def percent(progress: float | None) -> str:
    """``42 %`` for 0.42; empty when unknown."""
    return "" if progress is None else f"{round(progress * 100)} %"


def value_text(value: Any, limit: int = 40) -> str:
    """An input value shown in a row: text as is, the rest as JSON, shortened to ``limit``."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def combination_text(values: Mapping[str, Any]) -> str:
    """``prompt=A red fox · seed=1`` for a batch run's own values."""
    return " · ".join(f"{key}={value_text(value)}" for key, value in values.items())


def run_detail(state: RunState | None, now: datetime | None = None) -> str:
    """The detail column: what the run is doing, or what went wrong and what to do about it.

    A run still going whose last news is older than :data:`QUIET_SECONDS` says so: a run that
    never ends looks the same as a slow one on every other column.
    """
    text = _run_detail(state)
    if state is None or state.is_terminal or state.lost or state.last_update is None:
        return text
    quiet = ((now or datetime.now(UTC)) - state.last_update.received_at).total_seconds()
    if quiet < QUIET_SECONDS:
        return text
    hint = f"no news for {int(quiet // 60)} min; composer keeps checking, Cancel stops the run"
    return f"{text} · {hint}" if text else hint


def _run_detail(state: RunState | None) -> str:
    if state is None:
        return "Waiting for the API to name this run"
    if state.lost and not state.is_terminal:
        reason = state.error or "no answer"
        return f"{reason}. composer stopped following this run; its real status is unknown"
    if state.error and not state.is_terminal:
        return f"{state.error} (retrying)"
    match state.status:
        case RunStatus.FAILED:
            where = f" during “{state.live_status}”" if state.live_status else ""
            return (
                f"The run failed{where}: its logs on the target say why; fix the inputs "
                "or the workflow, then re-run"
            )
        case RunStatus.TIMEOUT:
            return (
                "The run took longer than its time limit: raise the deployment's timeout or "
                "use a faster GPU, then re-run"
            )
        case RunStatus.CANCELLED:
            return "Cancelled"
        case RunStatus.SUCCESS:
            count = len(state.media) + sum(len(o.texts) for o in state.outputs)
            return f"{count} output{'s' if count != 1 else ''}" if count else "No outputs"
        case RunStatus.NOT_STARTED | RunStatus.QUEUED if state.queue_position is not None:
            ahead = state.queue_position
            return "Next in the queue" if ahead == 0 else f"In the queue, {ahead} ahead"
        case RunStatus.NOT_STARTED:
            return "Created, waiting for a machine"
        case RunStatus.QUEUED:
            return "Queued"
        case RunStatus.STARTED:
            return state.live_status or "A machine is starting (cold start)"
        case RunStatus.RUNNING:
            return state.live_status or "Running"
    return state.live_status or ""


def queue_text(state: RunState | None) -> str:
    """The queue column: how many runs are ahead while queued (the API's ``queue_position``)."""
    if state is None or state.queue_position is None:
        return ""
    return f"{state.queue_position} ahead"


def batch_progress_text(done: int, total: int, failed: int) -> str:
    """``3 of 9 done`` (and how many did not succeed)."""
    text = f"{done} of {total} done"
    return f"{text} · {failed} not successful" if failed else text


# The chip of a finished batch: all alike, else the most worrying outcome.
_OUTCOME_ORDER: Final = (RunStatus.FAILED, RunStatus.TIMEOUT, RunStatus.CANCELLED, LOST)
_GOING_ORDER: Final = (
    RunStatus.RUNNING,
    RunStatus.UPLOADING,
    RunStatus.STARTED,
    RunStatus.QUEUED,
    RunStatus.NOT_STARTED,
    WAITING,
)


def batch_status(statuses: list[str]) -> str:
    """A batch's chip from its runs' chips (:func:`row_status`): the furthest along while runs
    go on, else ``success`` when all succeeded, else the most worrying outcome."""
    if not statuses:
        return NOT_RUN
    present = set(statuses)
    going = [status for status in _GOING_ORDER if status in present]
    if going:
        return going[0]
    if present == {RunStatus.SUCCESS}:
        return RunStatus.SUCCESS
    for outcome in _OUTCOME_ORDER:
        if outcome in present:
            return outcome
    return statuses[0]


def status_counts(statuses: list[str]) -> str:
    """``2 running · 6 queued · 1 success``: how many runs are in each status, in lifecycle
    order."""
    counts: dict[str, int] = {}
    for status in statuses:
        counts[status] = counts.get(status, 0) + 1
    order = [*_GOING_ORDER[::-1], RunStatus.SUCCESS, *_OUTCOME_ORDER]
    ranked = sorted(counts, key=lambda s: order.index(s) if s in order else len(order))
    return " · ".join(f"{counts[status]} {status_label(status)}" for status in ranked)
