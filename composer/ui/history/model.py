"""The History list as a lazy Qt table model: one page of the store at a time, newest first.

The view asks for more rows as it scrolls (``canFetchMore``/``fetchMore``), so a history of
100,000 entries opens with one page read, not all of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, Final

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from composer.core.history import HistoryQuery, HistoryStore, SubmissionSummary
from composer.core.runs import RunStatus
from composer.ui.runs import texts
from composer.ui.runs.delegates import status_color as run_status_color

PAGE_SIZE: Final = 100  # rows per read: a few screens of the list
SUMMARY_ROLE: Final = Qt.ItemDataRole.UserRole + 1
COLUMNS: Final = ("When", "Status", "Model / deployment", "Inputs", "Runs", "Target")

ModelIndex = QModelIndex | QPersistentModelIndex


def when_text(moment: datetime, now: datetime | None = None) -> str:
    """A submission time in local time: ``14:02`` today, ``Mon 14:02`` this week,
    ``12 May 14:02`` this year, else ``12 May 2024``."""
    local = moment.astimezone()
    now = (now or datetime.now(UTC)).astimezone()
    if local.date() == now.date():
        return local.strftime("%H:%M")
    days = (now.date() - local.date()).days
    if 0 < days < 7:
        return local.strftime("%a %H:%M")
    if local.year == now.year:
        return local.strftime("%d %b %H:%M").lstrip("0")
    return local.strftime("%d %b %Y").lstrip("0")


def runs_text(summary: SubmissionSummary) -> str:
    """``1`` for a single run, ``7 / 9`` for a batch partly done."""
    if summary.run_count <= 1:
        return str(summary.run_count)
    if summary.runs_done >= summary.run_count:
        return str(summary.run_count)
    return f"{summary.runs_done} / {summary.run_count}"


# The history's own statuses of a submission, as the runs panel names the same situation.
_AS_RUN_STATUS: Final[dict[str, str]] = {
    "error": texts.REFUSED,  # the request was not accepted
    "submitted": RunStatus.NOT_STARTED,  # accepted; no run status heard yet
}


def status_color(status: str) -> QColor | None:
    """The colour the runs panel gives a status; None (the normal text colour) for no status."""
    if not status:
        return None
    return run_status_color(_AS_RUN_STATUS.get(status, status))


class HistoryListModel(QAbstractTableModel):
    """Submissions matching a query, loaded a page at a time."""

    def __init__(self, store: HistoryStore | None = None, page_size: int = PAGE_SIZE) -> None:
        super().__init__()
        self.store = store
        self.query = HistoryQuery()
        self.page_size = page_size
        self.rows: list[SubmissionSummary] = []
        self._has_more = False

    # --- loading ---

    def set_store(self, store: HistoryStore | None) -> None:
        """Show another store (None: nothing) with the current query."""
        self.store = store
        self.set_query(self.query)

    def set_query(self, query: HistoryQuery) -> None:
        """Show the first page of ``query``'s matches."""
        self.beginResetModel()
        self.query = query
        self.rows = []
        self._has_more = False
        if self.store is not None:
            page = self.store.search(query, limit=self.page_size)
            self.rows = list(page.items)
            self._has_more = page.has_more
        self.endResetModel()

    def reload(self) -> None:
        """Read again, keeping as many rows as are loaded now (after new entries or a delete)."""
        if self.store is None:
            return
        wanted = max(self.page_size, len(self.rows))
        self.beginResetModel()
        page = self.store.search(self.query, limit=wanted)
        self.rows = list(page.items)
        self._has_more = page.has_more
        self.endResetModel()

    def canFetchMore(self, parent: ModelIndex = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and self._has_more and self.store is not None

    def fetchMore(self, parent: ModelIndex = QModelIndex()) -> None:  # noqa: B008
        if not self.canFetchMore(parent):
            return
        assert self.store is not None
        page = self.store.search(self.query, limit=self.page_size, offset=len(self.rows))
        known = {row.id for row in self.rows}
        items = [item for item in page.items if item.id not in known]
        self._has_more = page.has_more
        if items:
            start = len(self.rows)
            self.beginInsertRows(QModelIndex(), start, start + len(items) - 1)
            self.rows.extend(items)
            self.endInsertRows()

    def remove_ids(self, ids: Iterable[int]) -> None:
        """Take deleted entries out of the list (without reading it again)."""
        gone = set(ids)
        for row in reversed(range(len(self.rows))):
            if self.rows[row].id in gone:
                self.beginRemoveRows(QModelIndex(), row, row)
                del self.rows[row]
                self.endRemoveRows()

    def row_of(self, submission_id: int) -> int | None:
        """The row showing an entry, if loaded."""
        return next((n for n, row in enumerate(self.rows) if row.id == submission_id), None)

    # --- the model ---

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section] if 0 <= section < len(COLUMNS) else None
        return None

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        summary = self.rows[index.row()]
        column = index.column()
        if role == SUMMARY_ROLE:
            return summary
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(summary, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(summary, column)
        if role == Qt.ItemDataRole.ForegroundRole and column == 1:
            color = status_color(summary.status)
            return QBrush(color) if color is not None else None
        if role == Qt.ItemDataRole.TextAlignmentRole and column == 4:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _display(self, summary: SubmissionSummary, column: int) -> str:
        match column:
            case 0:
                return when_text(summary.submitted_at)
            case 1:
                return summary.status
            case 2:
                return summary.subject_id or "—"
            case 3:
                return summary.inputs_preview
            case 4:
                return runs_text(summary)
            case _:
                return summary.target_name

    def _tooltip(self, summary: SubmissionSummary, column: int) -> str | None:
        if column == 0:
            return summary.submitted_at.astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")
        if column == 1 and summary.error:
            return summary.error
        if column == 3:
            return summary.inputs_preview or None
        if column == 5:
            return f"{summary.method} {summary.base_url}{summary.path}"
        return None
