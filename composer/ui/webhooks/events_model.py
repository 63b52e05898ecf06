"""The received webhook events as a Qt table model, and the filter in front of it.

:class:`EventsModel` is a :class:`QStandardItemModel`: each record's cells are made once, when
it arrives, and kept by Qt (no Python object per cell). Painting the list never calls into
Python. That matters: during a burst the receiver's thread holds the interpreter lock most of
the time, and a model answering ``data()`` in Python waits for the lock at every cell of every
repaint (measured: 60-70 ms stalls of the window for 2,000 deliveries, against under 10 ms with
the list hidden). The model also keeps the records per run id for the run timelines, and drops
the oldest beyond :data:`MAX_ROWS`. :class:`EventsFilter` shows the rows of one run id (any part
of it), one event type and one status.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime
from enum import IntEnum
from typing import Any, Final

from PySide6.QtCore import (
    QModelIndex,
    QObject,
    QRegularExpression,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QStandardItem, QStandardItemModel

from composer.core.signing import SignatureState
from composer.core.webhooks import WebhookRecord
from composer.ui.theme import current_theme

MAX_ROWS: Final = 20_000  # the oldest go first beyond this, as in the history
RECORD_ROLE: Final = Qt.ItemDataRole.UserRole + 1
NO_RUN: Final = "—"
_RIGHT: Final = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)


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


class EventsModel(QStandardItemModel):
    """Every record shown in the events view, oldest first (see the module docstring).

    ``appended(int)`` follows each batch; ``vocabulary_changed`` is emitted when a new event type
    or status appears (for the filter menus); ``runs_changed(set[str])`` names the runs that got
    new records.
    """

    vocabulary_changed = Signal()
    runs_changed = Signal(set)
    appended = Signal(int)  # once per batch, with its size (rowsInserted comes once per row)

    def __init__(self, parent: QObject | None = None, max_rows: int = MAX_ROWS) -> None:
        super().__init__(0, len(Column), parent)
        for column in Column:
            item = QStandardItem(HEADERS[column])
            item.setToolTip(HEADER_TIPS[column])
            self.setHorizontalHeaderItem(column, item)
        self.records: list[WebhookRecord] = []
        self.by_run: dict[str, list[WebhookRecord]] = {}
        self.event_types: set[str] = set()
        self.statuses: set[str] = set()
        self.max_rows = max_rows

    # --- rows ---

    def _fill(self, row: int, record: WebhookRecord) -> None:
        # setItemData makes the cells inside Qt. Items made in Python (QStandardItem(...))
        # would each keep a Python wrapper alive for as long as the row: 9 per event, which
        # the garbage collector then walks (measured: 30-90 ms full collections mid-burst).
        display = Qt.ItemDataRole.DisplayRole
        colors = _colors(record)
        for column in Column:
            roles: dict[int, Any] = {display: cell_text(record, column)}
            if column is Column.SEQ:
                roles[RECORD_ROLE] = record
            if column in (Column.SEQ, Column.PROGRESS):
                roles[Qt.ItemDataRole.TextAlignmentRole] = _RIGHT
            tip = _tip(record, column)
            if tip:
                roles[Qt.ItemDataRole.ToolTipRole] = tip
            if column in colors:
                roles[Qt.ItemDataRole.ForegroundRole] = colors[column]
            self.setItemData(self.index(row, column), roles)

    def recolor(self) -> None:
        """Colour the rows for the current theme (after a light/dark switch)."""
        foreground = Qt.ItemDataRole.ForegroundRole
        for row, record in enumerate(self.records):
            for column, brush in _colors(record).items():
                self.setData(self.index(row, column), brush, foreground)

    # --- changes ---

    def append(self, records: Sequence[WebhookRecord]) -> None:
        """Add records at the end (one row each, built in one go)."""
        if not records:
            return
        overflow = len(self.records) + len(records) - self.max_rows
        if overflow > 0:
            self._drop_oldest(min(overflow, len(self.records)))
            records = records[-self.max_rows :]
        first = self.rowCount()
        last = first + len(records) - 1
        self.insertRows(first, len(records))  # one insertion for the views and filters
        # Filled quietly, then announced as one change: a signal per cell would make the
        # filters and the view redo their work nine times per event.
        self.blockSignals(True)
        try:
            for offset, record in enumerate(records):
                self._fill(first + offset, record)
        finally:
            self.blockSignals(False)
        self.dataChanged.emit(self.index(first, 0), self.index(last, len(Column) - 1))
        self.records.extend(records)
        self.appended.emit(len(records))
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
        self.removeRows(0, count)
        # Only the dropped records leave the per-run index: rebuilding it from every kept
        # record cost about 14 ms per batch at the cap, on the window's thread. The dropped
        # records are the oldest, so each run loses the head of its list.
        dropped = Counter(record.run_id for record in self.records[:count])
        del self.records[:count]
        for run_id, gone in dropped.items():
            if run_id is None:
                continue
            kept = self.by_run[run_id]
            del kept[:gone]
            if not kept:
                del self.by_run[run_id]

    def clear_events(self) -> None:
        """Forget every record."""
        runs = set(self.by_run)
        self.removeRows(0, self.rowCount())
        self.records = []
        self.by_run = {}
        self.event_types = set()
        self.statuses = set()
        self.vocabulary_changed.emit()
        if runs:
            self.runs_changed.emit(runs)

    def run_records(self, run_id: str) -> list[WebhookRecord]:
        """The records naming ``run_id``, in arrival order."""
        return list(self.by_run.get(run_id, ()))


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


def _colors(record: WebhookRecord) -> dict[Column, QBrush]:
    theme = current_theme()
    colors: dict[Column, str] = {}
    if record.method.upper() == "GET":
        colors[Column.METHOD] = theme.warning
    if not record.is_comfydeploy_event:
        colors[Column.EVENT] = theme.muted
    if record.signature is not None:
        state = record.signature.state
        colors[Column.SIGNATURE] = {
            SignatureState.VALID: theme.json_string,
            SignatureState.FORGED: theme.error,
            SignatureState.EXPIRED: theme.warning,
        }.get(state, theme.muted)
    return {column: QBrush(QColor(color)) for column, color in colors.items()}


class _ColumnFilter(QSortFilterProxyModel):
    """Rows whose text in one column contains (or, ``exact``, equals) a text; Qt does the work."""

    def __init__(self, column: Column, *, exact: bool, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.exact = exact
        self.setFilterKeyColumn(column)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)

    def set_text(self, text: str | None) -> None:
        if not text:
            self.setFilterRegularExpression("")
        elif self.exact:
            escaped = QRegularExpression.escape(text)
            self.setFilterRegularExpression(QRegularExpression(f"^{escaped}$"))
        else:
            self.setFilterFixedString(text)


class EventsFilter(_ColumnFilter):
    """Rows whose run id contains a text, with one event type and one status (None: any).

    Three of Qt's own filter models in a row (run id, event type, status), so filtering and
    painting never call into Python row by row: under a burst the receiver's thread holds the
    interpreter lock most of the time, and each such call would wait for it.
    """

    def __init__(self, model: EventsModel, parent: QObject | None = None) -> None:
        super().__init__(Column.STATUS, exact=True, parent=parent)
        self.events = model
        self._by_run = _ColumnFilter(Column.RUN, exact=False, parent=self)
        self._by_run.setSourceModel(model)
        self._by_event = _ColumnFilter(Column.EVENT, exact=True, parent=self)
        self._by_event.setSourceModel(self._by_run)
        self.setSourceModel(self._by_event)
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
        if run_text is not None:
            self.run_text = run_text.strip().lower()
            self._by_run.set_text(self.run_text)
        if event_type is not ...:
            self.event_type = event_type if isinstance(event_type, str) else None
            self._by_event.set_text(self.event_type)
        if status is not ...:
            self.status = status if isinstance(status, str) else None
            self.set_text(self.status)

    @property
    def active(self) -> bool:
        """True when some filter hides rows."""
        return bool(self.run_text) or self.event_type is not None or self.status is not None

    def visible_records(self) -> list[WebhookRecord]:
        """The records the filter lets through, in order."""
        if not self.active:
            return list(self.events.records)
        return records_of(self.index(row, 0) for row in range(self.rowCount()))


def records_of(indexes: Iterable[QModelIndex]) -> list[WebhookRecord]:
    """The distinct records behind indexes (any model exposing RECORD_ROLE), by seq."""
    found: dict[int, WebhookRecord] = {}
    for index in indexes:
        record = index.sibling(index.row(), Column.SEQ).data(RECORD_ROLE)
        if isinstance(record, WebhookRecord):
            found[id(record)] = record
    return sorted(found.values(), key=lambda record: record.seq)
