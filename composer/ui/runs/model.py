"""The runs panel's item model: one row per submission; a batch's runs are its child rows.

A submission of one run is a single row for that run. A batch is a group row (its progress is
"n of N done") whose children are its combinations, in the server's order, each showing its own
values; a child waits for its run id until batch discovery finds it.

States arrive from the sessions (:meth:`RunsModel.note_state`) as often as runs change; the model
keeps them and applies them on a short timer (:data:`COALESCE_MS`), emitting one ``dataChanged``
per group of rows, so hundreds of runs changing at once cost a few signals, not hundreds of
repaints. A one-second tick refreshes the elapsed time of runs still going.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from PySide6.QtCore import (
    QAbstractItemModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)

from composer.core.runs import RunState
from composer.ui.runs import cells, texts
from composer.ui.runs.cells import Column, Role
from composer.ui.runs.selection import BatchSnapshot, RunSelection

if TYPE_CHECKING:
    from composer.client.session import Submission

COALESCE_MS: Final = 80
TICK_MS: Final = 1000
DETAIL_TICKS: Final = 15  # ticks between refreshes of the details column
MAX_SUBMISSIONS: Final = 500
"""Finished submissions beyond this many are dropped from the panel (the history keeps them)."""

Index = QModelIndex | QPersistentModelIndex
__all__ = ["Column", "Role", "RunsModel"]  # Column and Role live in cells, used from here too


@dataclass(eq=False, slots=True)
class _Group:
    """One top-level row."""

    submission: Submission
    row: int
    started: float  # monotonic time it was added (elapsed time before the API says more)
    summary: tuple[str, int, int, int] = (texts.SENDING, 0, 0, 0)  # status, done, failed, total
    ended: float | None = None  # monotonic time the last run ended
    rows: int = 0  # child rows (a batch's combinations), 0 for a single run
    counts: str = ""  # a batch's runs by status ("2 running · 7 queued")
    pending: set[int] = field(default_factory=set)  # child rows changed since the last flush


class RunsModel(QAbstractItemModel):
    """Submissions and their runs as a tree (see the module docstring)."""

    flushed = Signal()  # after pending states were applied (the view refreshes its details)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._groups: list[_Group] = []  # top-level rows, newest first
        self._by_number: dict[int, _Group] = {}
        self._states: dict[str, RunState] = {}
        self._ended: dict[str, float] = {}  # run id -> monotonic time its end was seen
        self._pending: dict[str, tuple[Submission, RunState]] = {}
        self._pending_groups: set[int] = set()
        self._flush_scheduled = False
        self._flush_timer = QTimer(self)
        self._flush_timer.setSingleShot(True)
        self._flush_timer.setInterval(COALESCE_MS)
        self._flush_timer.timeout.connect(self.flush)
        self._ticks = 0
        self._tick_timer = QTimer(self)
        self._tick_timer.setInterval(TICK_MS)
        self._tick_timer.timeout.connect(self.tick)
        self.flushes = 0  # for figures: how many times pending changes were applied

    # --- feeding ---

    def note_submission(self, submission: Submission) -> None:
        """A submission was created or changed (answered, runs found, failed)."""
        group = self._by_number.get(submission.number)
        if group is None:
            self._add(submission)
            return
        self._pending_groups.add(submission.number)
        self._schedule()

    def note_state(self, submission: Submission, state: RunState) -> None:
        """A run changed; applied at the next flush."""
        self._pending[state.run_id] = (submission, state)
        self._schedule()

    def _schedule(self) -> None:
        # A Python flag, not QTimer.isActive(): this runs for every update of every run.
        if not self._flush_scheduled:
            self._flush_scheduled = True
            self._flush_timer.start()

    def flush(self) -> None:
        """Apply every pending change now (the timer does it; tests may call it)."""
        self._flush_timer.stop()
        self._flush_scheduled = False
        pending, self._pending = self._pending, {}
        touched, self._pending_groups = self._pending_groups, set()
        now = time.monotonic()
        for run_id, (submission, state) in pending.items():
            self._states[run_id] = state
            if (state.is_terminal or state.lost) and run_id not in self._ended:
                self._ended[run_id] = now
            group = self._by_number.get(submission.number)
            if group is None:
                continue
            touched.add(submission.number)
            if group.rows:
                index = self._combination_of(submission, run_id, state)
                if index is not None:
                    group.pending.add(index)
        for number in touched:
            group = self._by_number.get(number)
            if group is not None:
                self._refresh_group(group, now)
        if touched:
            self.flushes += 1
            self._update_ticking()
            self.flushed.emit()

    def _refresh_group(self, group: _Group, now: float) -> None:
        submission = group.submission
        if group.rows != self._child_count(submission):
            # A batch answer changed the number of runs (rare): rebuild this group's children.
            self._resize_children(group)
        self._settle(group, now)
        last = len(Column) - 1
        self.dataChanged.emit(self.index(group.row, 0), self.index(group.row, last))
        if group.pending and group.rows:
            parent = self.index(group.row, 0)
            low, high = min(group.pending), max(group.pending)
            high = min(high, group.rows - 1)
            if low <= high:
                self.dataChanged.emit(self.index(low, 0, parent), self.index(high, last, parent))
        group.pending.clear()

    def _settle(self, group: _Group, now: float) -> None:
        """Recompute a group's summary; note when it finished (its clock stops)."""
        group.summary = self._summary(group)
        if self._is_finished(group):
            group.ended = group.ended or now
        else:
            group.ended = None

    def tick(self) -> None:
        """Refresh the elapsed time of what is still going (every second while needed), and
        every :data:`DETAIL_TICKS` ticks the details too (they tell a run that went quiet)."""
        self._ticks += 1
        first = Column.DETAIL if self._ticks % DETAIL_TICKS == 0 else Column.ELAPSED
        last = Column.ELAPSED
        if self._groups:
            self.dataChanged.emit(self.index(0, first), self.index(len(self._groups) - 1, last))
        for group in self._groups:
            if group.rows and group.ended is None:
                parent = self.index(group.row, 0)
                self.dataChanged.emit(
                    self.index(0, first, parent), self.index(group.rows - 1, last, parent)
                )
        self._update_ticking()

    def _update_ticking(self) -> None:
        going = any(group.ended is None for group in self._groups)
        if going and not self._tick_timer.isActive():
            self._tick_timer.start()
        elif not going:
            self._tick_timer.stop()

    # --- structure ---

    def _add(self, submission: Submission) -> None:
        self.beginInsertRows(QModelIndex(), 0, 0)
        group = _Group(submission, 0, time.monotonic())
        group.rows = self._child_count(submission)
        for other in self._groups:
            other.row += 1
        self._groups.insert(0, group)
        self._by_number[submission.number] = group
        self._settle(group, group.started)
        self.endInsertRows()
        self._prune()
        self._update_ticking()

    def _resize_children(self, group: _Group) -> None:
        parent = self.index(group.row, 0)
        wanted = self._child_count(group.submission)
        if wanted > group.rows:
            self.beginInsertRows(parent, group.rows, wanted - 1)
            group.rows = wanted
            self.endInsertRows()
        elif wanted < group.rows:
            self.beginRemoveRows(parent, wanted, group.rows - 1)
            group.rows = wanted
            self.endRemoveRows()

    @staticmethod
    def _child_count(submission: Submission) -> int:
        return len(submission.combinations) if submission.is_batch else 0

    def remove_finished(self) -> int:
        """Drop every submission whose runs all ended (or that was never sent); returns how
        many were dropped."""
        finished = [group for group in self._groups if self._is_finished(group)]
        for group in sorted(finished, key=lambda g: g.row, reverse=True):
            self._remove(group)
        return len(finished)

    def _is_finished(self, group: _Group) -> bool:
        submission = group.submission
        if submission.sending:
            return False
        status, done, _failed, total = group.summary
        return status in (texts.REFUSED, texts.NOT_RUN) or done >= total

    def _remove(self, group: _Group) -> None:
        self.beginRemoveRows(QModelIndex(), group.row, group.row)
        del self._groups[group.row]
        del self._by_number[group.submission.number]
        for row, other in enumerate(self._groups):
            other.row = row
        for run_id in group.submission.run_ids:
            if run_id is not None:
                self._states.pop(run_id, None)
                self._ended.pop(run_id, None)
                self._pending.pop(run_id, None)
        self.endRemoveRows()

    def _prune(self) -> None:
        if len(self._groups) <= MAX_SUBMISSIONS:
            return
        for group in reversed(list(self._groups)):
            if len(self._groups) <= MAX_SUBMISSIONS:
                break
            if self._is_finished(group):
                self._remove(group)

    # --- Qt model interface ---

    def index(self, row: int, column: int, parent: Index = QModelIndex()) -> QModelIndex:  # noqa: B008
        if column < 0 or column >= len(Column) or row < 0:
            return QModelIndex()
        if not parent.isValid():
            if row >= len(self._groups):
                return QModelIndex()
            return self.createIndex(row, column, 0)
        if parent.internalId() != 0 or parent.row() >= len(self._groups):
            return QModelIndex()
        group = self._groups[parent.row()]
        if row >= group.rows:
            return QModelIndex()
        # A child's internal id names its group (submission numbers start at 1).
        return self.createIndex(row, column, group.submission.number)

    def parent(self, child: Index = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        if not child.isValid() or child.internalId() == 0:
            return QModelIndex()
        group = self._by_number.get(child.internalId())
        if group is None:
            return QModelIndex()
        return self.createIndex(group.row, 0, 0)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        if not parent.isValid():
            return len(self._groups)
        if parent.column() != 0 or parent.internalId() != 0:
            return 0
        if parent.row() >= len(self._groups):
            return 0
        return self._groups[parent.row()].rows

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        if parent.isValid() and (parent.column() != 0 or parent.internalId() != 0):
            return 0
        return len(Column)

    def hasChildren(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return self.rowCount(parent) > 0

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(Column):
            return None
        return cells.header(Column(section), role)

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        located = self._locate(index)
        if located is None:
            return None
        group, combination = located
        column = Column(index.column())
        if role == Role.SUBMISSION:
            return group.submission
        if combination is None:
            return self._group_data(group, column, role)
        return self._run_data(group, combination, column, role)

    # --- reading rows ---

    def _locate(self, index: Index) -> tuple[_Group, int | None] | None:
        """The group of a row and the combination it shows (None for a batch's group row)."""
        if not index.isValid():
            return None
        if index.internalId() == 0:
            if index.row() >= len(self._groups):
                return None
            group = self._groups[index.row()]
            return group, (None if group.rows else 0)
        owner = self._by_number.get(index.internalId())
        if owner is None or index.row() >= owner.rows:
            return None
        return owner, index.row()

    def _state(self, submission: Submission, combination: int) -> RunState | None:
        if combination >= len(submission.run_ids):
            return None
        run_id = submission.run_ids[combination]
        return self._states.get(run_id) if run_id else None

    def _summary(self, group: _Group) -> tuple[str, int, int, int]:
        submission = group.submission
        if submission.sending or submission.error is not None:
            return (texts.SENDING if submission.sending else texts.REFUSED, 0, 0, 1)
        count = max(1, group.rows) if group.rows or submission.run_ids else 0
        statuses = [cells.run_status(submission, self._state(submission, i)) for i in range(count)]
        done = sum(1 for status in statuses if status in texts.DONE_STATUSES)
        failed = sum(
            1 for status in statuses if status in texts.DONE_STATUSES and status != "success"
        )
        if not statuses:
            return (texts.NOT_RUN, 0, 0, 0)
        status = texts.batch_status(statuses) if group.rows else statuses[0]
        if group.rows:
            group.counts = texts.status_counts(statuses)
        return (status, done, failed, len(statuses))

    def _elapsed(self, group: _Group, state: RunState | None) -> float | None:
        """Seconds since the submission, until the run's end was seen; a finished run with
        server timings shows those (they do not depend on this machine's polling)."""
        if state is None:
            return None
        timings = state.timings
        if state.is_terminal and timings.created_at is not None and timings.ended_at is not None:
            return max(0.0, (timings.ended_at - timings.created_at).total_seconds())
        end = self._ended.get(state.run_id) or time.monotonic()
        return max(0.0, end - group.started)

    def _run_data(self, group: _Group, combination: int, column: Column, role: int) -> Any:
        submission = group.submission
        state = self._state(submission, combination)
        if role == Role.STATE:
            return state
        status = cells.run_status(submission, state)
        elapsed = self._elapsed(group, state) if column == Column.ELAPSED else None
        return cells.run_cell(
            submission, combination, bool(group.rows), state, status, elapsed, column, role
        )

    def _group_data(self, group: _Group, column: Column, role: int) -> Any:
        elapsed = None
        if column == Column.ELAPSED:
            elapsed = (group.ended or time.monotonic()) - group.started
        return cells.group_cell(
            group.submission, group.summary, group.counts, elapsed, column, role
        )

    # --- for the view ---

    def selection_at(self, index: Index) -> RunSelection:
        """What a row shows, as plain values for detail pages."""
        located = self._locate(index)
        if located is None:
            return RunSelection()
        group, combination = located
        submission = group.submission
        if combination is None:
            return RunSelection(submission, batch=self.batch_snapshot(submission))
        batch_index = combination if group.rows else None
        return RunSelection(submission, self._state(submission, combination), index=batch_index)

    def batch_snapshot(self, submission: Submission) -> BatchSnapshot:
        """Every run of a batch submission as it stands."""
        count = len(submission.combinations)
        states = tuple(self._state(submission, index) for index in range(count))
        statuses = tuple(cells.run_status(submission, state) for state in states)
        return BatchSnapshot(submission, submission.combinations, states, statuses)

    def index_of_run(self, run_id: str) -> QModelIndex:
        """The row of a run (invalid when not shown)."""
        for group in self._groups:
            submission = group.submission
            if run_id in submission.run_ids:
                combination = submission.run_ids.index(run_id)
                if not group.rows:
                    return self.index(group.row, 0)
                return self.index(combination, 0, self.index(group.row, 0))
        return QModelIndex()

    def index_of_submission(self, submission: Submission) -> QModelIndex:
        """The top-level row of a submission (invalid when not shown)."""
        group = self._by_number.get(submission.number)
        return self.index(group.row, 0) if group is not None else QModelIndex()

    def state(self, run_id: str) -> RunState | None:
        """The latest applied state of a run."""
        return self._states.get(run_id)

    def submissions(self) -> list[Submission]:
        """The submissions shown, newest first."""
        return [group.submission for group in self._groups]

    def summary(self, submission: Submission) -> tuple[str, int, int, int]:
        """``(status, done, not successful, total)`` of a submission's row."""
        group = self._by_number.get(submission.number)
        return group.summary if group is not None else (texts.WAITING, 0, 0, 0)

    def _combination_of(self, submission: Submission, run_id: str, state: RunState) -> int | None:
        if state.batch_index is not None:
            return state.batch_index
        try:
            return submission.run_ids.index(run_id)
        except ValueError:
            return None
