"""What each cell of the runs panel shows, by column and role: plain functions of a submission,
a run's combination and its state, so the model only keeps rows and hands out indexes."""

from __future__ import annotations

from enum import IntEnum
from typing import TYPE_CHECKING, Any, Final

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont

from composer.core.batch import batch_params, run_count_label
from composer.core.runs import RunState
from composer.ui.runs import texts
from composer.ui.theme import current_theme

if TYPE_CHECKING:
    from composer.client.session import Submission


class Column(IntEnum):
    """The panel's columns."""

    RUN = 0
    STATUS = 1
    PROGRESS = 2
    DETAIL = 3
    QUEUE = 4
    ELAPSED = 5
    COLD_START = 6
    RUN_TIME = 7
    RUN_ID = 8


HEADERS: Final = {
    Column.RUN: "Run",
    Column.STATUS: "Status",
    Column.PROGRESS: "Progress",
    Column.DETAIL: "Details",
    Column.QUEUE: "Queue",
    Column.ELAPSED: "Elapsed",
    Column.COLD_START: "Cold start",
    Column.RUN_TIME: "Run time",
    Column.RUN_ID: "Run id",
}
RIGHT: Final = frozenset({Column.QUEUE, Column.ELAPSED, Column.COLD_START, Column.RUN_TIME})


class Role(IntEnum):
    """Custom data roles (the delegates and the view read these)."""

    STATUS = Qt.ItemDataRole.UserRole + 1  # str: the chip's status key
    PROGRESS = Qt.ItemDataRole.UserRole + 2  # float 0..1 or None
    STATE = Qt.ItemDataRole.UserRole + 3  # RunState or None
    SUBMISSION = Qt.ItemDataRole.UserRole + 4  # Submission
    KIND = Qt.ItemDataRole.UserRole + 5  # "run", "batch" or "batch-run"


_ALIGN_RIGHT: Final = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
_DISPLAY = Qt.ItemDataRole.DisplayRole
_TOOLTIP = Qt.ItemDataRole.ToolTipRole


def header(column: Column, role: int) -> Any:
    """A column header's text and alignment."""
    if role == _DISPLAY:
        return HEADERS[column]
    if role == Qt.ItemDataRole.TextAlignmentRole and column in RIGHT:
        return _ALIGN_RIGHT
    return None


def run_status(submission: Submission, state: RunState | None) -> str:
    """The chip of a run row: the run's status, or what its submission is at without one."""
    if state is not None:
        return texts.row_status(state)
    if submission.sending:
        return texts.SENDING
    if submission.error is not None:
        return texts.REFUSED
    if not submission.tracked or not submission.run_ids:
        return texts.NOT_RUN
    if submission.discovery_error:
        return texts.LOST
    return texts.WAITING


def run_cell(
    submission: Submission,
    combination: int,
    in_batch: bool,
    state: RunState | None,
    status: str,
    elapsed: float | None,
    column: Column,
    role: int,
) -> Any:
    """A run row's cell (``combination`` is its index in the batch, 0 for a single run)."""
    if role == Role.KIND:
        return "batch-run" if in_batch else "run"
    if role == Role.STATUS:
        return status
    if role == Role.PROGRESS:
        return _progress(state)
    if role == _DISPLAY:
        return _run_text(submission, combination, in_batch, state, status, elapsed, column)
    if role == _TOOLTIP:
        return _run_tooltip(submission, combination, in_batch, state, status, column)
    if role == Qt.ItemDataRole.TextAlignmentRole and column in RIGHT:
        return _ALIGN_RIGHT
    if role == Qt.ItemDataRole.ForegroundRole:
        return foreground(status, column)
    if role == Qt.ItemDataRole.FontRole and column == Column.RUN_ID:
        font = QFont("monospace")
        font.setStyleHint(QFont.StyleHint.TypeWriter)
        return font
    return None


def _run_text(
    submission: Submission,
    combination: int,
    in_batch: bool,
    state: RunState | None,
    status: str,
    elapsed: float | None,
    column: Column,
) -> str:
    match column:
        case Column.RUN:
            return run_name(submission, combination, in_batch)
        case Column.STATUS:
            return texts.status_label(status)
        case Column.PROGRESS:
            return texts.percent(_progress(state))
        case Column.DETAIL:
            return detail(submission, state, status)
        case Column.QUEUE:
            return texts.queue_text(state)
        case Column.ELAPSED:
            return "" if submission.sending else texts.duration(elapsed)
        case Column.COLD_START:
            return texts.duration(state.timings.cold_start_duration) if state else ""
        case Column.RUN_TIME:
            return texts.duration(state.timings.run_duration) if state else ""
        case Column.RUN_ID:
            if state is not None:
                return state.run_id
            run_ids = submission.run_ids
            return (run_ids[combination] if combination < len(run_ids) else None) or ""


def _progress(state: RunState | None) -> float | None:
    """A run's progress, 0..1 (a success is whole whatever the last report said)."""
    if state is None:
        return None
    return 1.0 if state.succeeded else state.progress


def run_name(submission: Submission, combination: int, in_batch: bool) -> str:
    """A single run is named after its preset; a batch run by its own batch values."""
    if not in_batch:
        return submission.label
    params = batch_params(submission.sent_body)
    if params:
        values = submission.combinations[combination]
        return texts.combination_text({key: values.get(key) for key in params})
    return f"#{combination + 1}"


def detail(submission: Submission, state: RunState | None, status: str) -> str:
    """The details column of a run row."""
    sending = _sending_detail(submission, status)
    if sending is not None:
        return sending
    if state is None:
        if submission.discovery_error:
            return submission.discovery_error
        if status == texts.NOT_RUN:
            return "; ".join(submission.notes) or "Nothing to follow"
        return texts.run_detail(None)
    return texts.run_detail(state)


def _sending_detail(submission: Submission, status: str) -> str | None:
    """The details of a request being sent or refused (None otherwise); runs and batches alike."""
    if status == texts.SENDING:
        return f"Sending to {submission.target}…"
    if status == texts.REFUSED and submission.error is not None:
        return str(submission.error)
    return None


def _run_tooltip(
    submission: Submission,
    combination: int,
    in_batch: bool,
    state: RunState | None,
    status: str,
    column: Column,
) -> str | None:
    if column == Column.RUN and in_batch:
        values = submission.combinations[combination]
        return "\n".join(f"{key} = {texts.value_text(v, 200)}" for key, v in values.items())
    if column == Column.DETAIL:
        return detail(submission, state, status)
    if column == Column.RUN_ID:
        return "Ctrl+C copies the run id"
    return None


def foreground(status: str, column: Column) -> QBrush | None:
    """The details of a failed, timed out or lost run are coloured like the problem."""
    if column != Column.DETAIL:
        return None
    theme = current_theme()
    color = {
        "failed": theme.error,
        texts.REFUSED: theme.error,
        "timeout": theme.warning,
        texts.LOST: theme.warning,
    }.get(status)
    return QBrush(QColor(color)) if color else None


def group_cell(
    submission: Submission,
    summary: tuple[str, int, int, int],
    counts: str,
    elapsed: float | None,
    column: Column,
    role: int,
) -> Any:
    """A batch's group row: its chip, "n of N done", its runs by status, its elapsed time."""
    status, done, failed, total = summary
    if role == Role.KIND:
        return "batch"
    if role == Role.STATUS:
        return status
    if role == Role.PROGRESS:
        return done / total if total else None
    if role == Qt.ItemDataRole.FontRole and column == Column.RUN:
        font = QFont()
        font.setBold(True)
        return font
    if role == Qt.ItemDataRole.TextAlignmentRole and column in RIGHT:
        return _ALIGN_RIGHT
    if role == Qt.ItemDataRole.ForegroundRole:
        return foreground(status, column)
    if role not in (_DISPLAY, _TOOLTIP):
        return None
    match column:
        case Column.RUN:
            return f"{submission.label} · {run_count_label(submission.sent_body)}"
        case Column.STATUS:
            return texts.status_label(status)
        case Column.PROGRESS:
            return texts.batch_progress_text(done, total, failed)
        case Column.DETAIL:
            if submission.discovery_error:
                return submission.discovery_error
            sending = _sending_detail(submission, status)
            if sending is not None:
                return sending
            return counts or "; ".join(submission.notes)
        case Column.ELAPSED:
            return "" if submission.sending else texts.duration(elapsed)
        case Column.RUN_ID:
            return submission.batch_id or ""
    return ""
