"""The received webhook events as a Qt table model, and the filter in front of it.

:class:`EventsModel` appends records in batches (one ``beginInsertRows`` per batch), keeps them
per run id for the run timelines, and drops the oldest beyond :data:`MAX_ROWS`. Cells are made
from the record when Qt asks, for the visible rows only, so thousands of rows cost nothing until
shown. :class:`EventsFilter` shows the rows of one run id (any part of it), one event type and
one status.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from enum import IntEnum
from typing import Any, Final

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor

from composer.core.signing import SignatureState
from composer.core.webhooks import WebhookRecord
from composer.ui.theme import current_theme

MAX_ROWS: Final = 50_000  # the oldest go first beyond this (the history keeps its own bound)
RECORD_ROLE: Final = Qt.ItemDataRole.UserRole + 1
NO_RUN: Final = "—"

Index = QModelIndex | QPersistentModelIndex


class Column(IntEnum):
    """The table's columns."""

    SEQ = 0
    TIME = 1
    METHOD = 2
    EVENT = 3
    STATUS = 4
    PROGRESS = 5
    RUN = 6
    SIGNATURE = 7
    TARGET = 8


HEADERS: Final = {
    Column.SEQ: "#",
    Column.TIME: "Received",
    Column.METHOD: "Method",
    Column.EVENT: "Event",
    Column.STATUS: "Status",
    Column.PROGRESS: "Progress",
    Column.RUN: "Run",
    Column.SIGNATURE: "Signature",
    Column.TARGET: "Path",
}
HEADER_TIPS: Final = {
    Column.SEQ: "Arrival number",
    Column.TIME: "When the receiver got it (your local time)",
    Column.METHOD: "GET means a retry: ComfyDeploy sends attempts 2 and 3 as GET",
    Column.EVENT: "event_type of the payload",
    Column.STATUS: "status of the run the payload reports",
    Column.PROGRESS: "progress of the run (0-100 %)",
    Column.RUN: "run_id of the payload",
    Column.SIGNATURE: "The signed URL's check: valid, expired, forged or unsigned",
    Column.TARGET: "Path and query the request was sent to",
}
SIGNATURE_WORDS: Final = {
    SignatureState.VALID: "✓ valid",
    SignatureState.EXPIRED: "⏱ expired",
    SignatureState.FORGED: "✕ forged",
    SignatureState.UNSIGNED: "unsigned",
}


def local_time(moment: datetime) -> str:
    """``10:00:41.512`` in the local time zone."""
    return moment.astimezone().strftime("%H:%M:%S.%f")[:-3]


def cell_text(record: WebhookRecord, column: Column) -> str:
    """What a cell shows."""
    if column is Column.SEQ:
        return str(record.seq)
    if column is Column.TIME:
        return local_time(record.received_at)
    if column is Column.METHOD:
        return record.method
    if column is Column.EVENT:
        return record.event_type or ("other" if record.body else "no body")
    if column is Column.STATUS:
        return record.status or ""
    if column is Column.PROGRESS:
        progress = record.progress
        return "" if progress is None else f"{progress * 100:.0f} %"
    if column is Column.RUN:
        return record.run_id or NO_RUN
    if column is Column.SIGNATURE:
        check = record.signature
        return "" if check is None else SIGNATURE_WORDS[check.state]
    return record.target


class EventsModel(QAbstractTableModel):
    """Every record shown in the events view, oldest first.

    ``vocabulary_changed`` is emitted when a new event type or status appears (for the filter
    menus); ``runs_changed(set[str])`` names the runs that got new records.
    """

    vocabulary_changed = Signal()
    runs_changed = Signal(set)

    def __init__(self, parent: QObject | None = None, max_rows: int = MAX_ROWS) -> None:
        super().__init__(parent)
        self.records: list[WebhookRecord] = []
        self.by_run: dict[str, list[WebhookRecord]] = {}
        self.event_types: set[str] = set()
        self.statuses: set[str] = set()
        self.max_rows = max_rows

    # --- Qt's model interface ---

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.records)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(Column)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.records):
            return None
        record = self.records[index.row()]
        column = Column(index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            return cell_text(record, column)
        if role == RECORD_ROLE:
            return record
        if role == Qt.ItemDataRole.ForegroundRole:
            return self._color(record, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tip(record, column)
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (Column.SEQ, Column.PROGRESS):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(Column):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[Column(section)]
        if role == Qt.ItemDataRole.ToolTipRole:
            return HEADER_TIPS[Column(section)]
        return None

    @staticmethod
    def _color(record: WebhookRecord, column: Column) -> QColor | None:
        theme = current_theme()
        if column is Column.METHOD and record.method.upper() == "GET":
            return QColor(theme.warning)
        if column is Column.SIGNATURE and record.signature is not None:
            state = record.signature.state
            if state is SignatureState.VALID:
                return QColor(theme.json_string)
            if state is SignatureState.FORGED:
                return QColor(theme.error)
            return QColor(theme.warning if state is SignatureState.EXPIRED else theme.muted)
        if column is Column.EVENT and not record.is_comfydeploy_event:
            return QColor(theme.muted)
        return None

    @staticmethod
    def _tip(record: WebhookRecord, column: Column) -> str | None:
        if column is Column.SIGNATURE and record.signature is not None:
            return record.signature.reason
        if column is Column.METHOD and record.method.upper() == "GET":
            return "A GET with a body: how ComfyDeploy sends its retries (attempts 2 and 3)"
        if column is Column.EVENT and not record.is_comfydeploy_event:
            return "Not a ComfyDeploy payload (no event_type and run_id)"
        if column is Column.RUN and record.run_id:
            return record.run_id
        return None

    # --- changes ---

    def append(self, records: Sequence[WebhookRecord]) -> None:
        """Add records at the end (one insert for the whole batch)."""
        if not records:
            return
        overflow = len(self.records) + len(records) - self.max_rows
        if overflow > 0:
            self._drop_oldest(min(overflow, len(self.records)))
            records = records[-self.max_rows :]
        first = len(self.records)
        self.beginInsertRows(QModelIndex(), first, first + len(records) - 1)
        self.records.extend(records)
        self.endInsertRows()
        new_words = False
        runs: set[str] = set()
        for record in records:
            run_id = record.run_id
            if run_id is not None:
                self.by_run.setdefault(run_id, []).append(record)
                runs.add(run_id)
            event_type, status = record.event_type, record.status
            if event_type is not None and event_type not in self.event_types:
                self.event_types.add(event_type)
                new_words = True
            if status is not None and status not in self.statuses:
                self.statuses.add(status)
                new_words = True
        if new_words:
            self.vocabulary_changed.emit()
        if runs:
            self.runs_changed.emit(runs)

    def _drop_oldest(self, count: int) -> None:
        self.beginRemoveRows(QModelIndex(), 0, count - 1)
        del self.records[:count]
        self.endRemoveRows()
        self.by_run = {}
        for record in self.records:
            if record.run_id is not None:
                self.by_run.setdefault(record.run_id, []).append(record)

    def clear(self) -> None:
        """Forget every record."""
        runs = set(self.by_run)
        self.beginResetModel()
        self.records = []
        self.by_run = {}
        self.event_types = set()
        self.statuses = set()
        self.endResetModel()
        self.vocabulary_changed.emit()
        if runs:
            self.runs_changed.emit(runs)

    def record_at(self, row: int) -> WebhookRecord:
        """The record of a source row."""
        return self.records[row]

    def run_records(self, run_id: str) -> list[WebhookRecord]:
        """The records naming ``run_id``, in arrival order."""
        return list(self.by_run.get(run_id, ()))


class EventsFilter(QSortFilterProxyModel):
    """Rows whose run id contains a text, with one event type and one status (None: any)."""

    def __init__(self, model: EventsModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.events = model
        self.setSourceModel(model)
        self.run_text = ""
        self.event_type: str | None = None
        self.status: str | None = None

    def set_filter(
        self,
        *,
        run_text: str | None = None,
        event_type: str | object | None = ...,
        status: str | object | None = ...,
    ) -> None:
        """Change any of the three filters (``...``: keep as is)."""
        # Qt 6.10+ brackets the change; older Qt (pyproject allows 6.8) only knows invalidate.
        modern = hasattr(self, "beginFilterChange")
        if modern:
            self.beginFilterChange()
        if run_text is not None:
            self.run_text = run_text.strip().lower()
        if event_type is not ...:
            self.event_type = event_type if isinstance(event_type, str) else None
        if status is not ...:
            self.status = status if isinstance(status, str) else None
        if modern:
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:  # pragma: no cover - Qt before 6.10
            self.invalidateRowsFilter()

    @property
    def active(self) -> bool:
        """True when some filter hides rows."""
        return bool(self.run_text) or self.event_type is not None or self.status is not None

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        record = self.events.records[source_row]
        if self.run_text and self.run_text not in (record.run_id or "").lower():
            return False
        if self.event_type is not None and record.event_type != self.event_type:
            return False
        return self.status is None or record.status == self.status

    def visible_records(self) -> list[WebhookRecord]:
        """The records the filter lets through, in order."""
        if not self.active:
            return list(self.events.records)
        return [self.events.records[self.mapToSource(self.index(row, 0)).row()]
                for row in range(self.rowCount())]  # fmt: skip


def records_of(indexes: Iterable[QModelIndex]) -> list[WebhookRecord]:
    """The distinct records behind selected indexes (any model exposing RECORD_ROLE), by seq."""
    found: dict[int, WebhookRecord] = {}
    for index in indexes:
        record = index.data(RECORD_ROLE)
        if isinstance(record, WebhookRecord):
            found[id(record)] = record
    return sorted(found.values(), key=lambda record: record.seq)
