"""The History view: every request sent, searchable, with its runs and outputs, reopenable.

::

    view = HistoryView(library=library, source=api)   # the composer home's history.sqlite3
    view.open_store()                                  # False (and a banner) for an unusable file
    view.reopen_requested.connect(reopen)              # a SentRequest: the body exactly as sent

A damaged file, or one from a newer composer, is never overwritten: the view says what is wrong
and offers to move it aside (``history.sqlite3.unusable-DATE``) and start a new history.
Deleting asks first (the history cannot bring an entry back); the size bound is a setting here.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Final

from PySide6.QtCore import QEvent, QItemSelection, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSpinBox,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from composer.core.history import (
    HistoryError,
    HistoryFileError,
    HistoryQuery,
    HistoryStore,
    SubmissionSummary,
    move_aside_history,
)
from composer.core.paths import history_db_path
from composer.core.profiles import SANDBOX
from composer.ui.banner import Banner
from composer.ui.history.actions import HistoryActions
from composer.ui.history.details import HistoryDetails
from composer.ui.history.filters import HistoryFilters
from composer.ui.history.model import HistoryListModel
from composer.ui.outputs.images import OutputSource
from composer.ui.theme import set_role

if TYPE_CHECKING:
    from composer.core.library import PresetLibrary

COLUMN_WIDTHS: Final = (86, 76, 150, 0, 48, 130)


class HistoryView(HistoryActions, QWidget):
    """The list of past submissions with filters, details and actions."""

    reopen_requested = Signal(object)  # SentRequest
    preset_saved = Signal(object)  # Path of the new preset file
    message = Signal(str)

    def __init__(
        self,
        *,
        path: Path | None = None,
        library: PresetLibrary | None = None,
        source: OutputSource | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("history_view")
        self.path = path
        self.library = library
        self.store: HistoryStore | None = None
        self.prompt: QWidget | None = None  # the open question (delete, prune, name), if any
        # The client to show an entry's pictures through (its own target's when the window has
        # one); without it, ``source`` serves every entry.
        self.source_for: Callable[[SubmissionSummary], OutputSource | None] | None = None
        self.source = source
        self._quiet = False
        self.model = HistoryListModel()

        self.banner = Banner("history_banner")
        self.filters = HistoryFilters()
        self.filters.changed.connect(self.search)
        self.table = QTableView()
        self.table.setObjectName("history_list")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setShowGrid(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(False)
        header.setHighlightSections(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        # The inputs take the room there is; the other columns keep their widths.
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        for column, width in enumerate(COLUMN_WIDTHS):
            if column != 3:
                self.table.setColumnWidth(column, width)
        self.table.selectionModel().selectionChanged.connect(self._on_selection)
        self.table.doubleClicked.connect(lambda _index: self.reopen_selected())
        self.details = HistoryDetails(source)
        self.details.reopen_clicked.connect(self.reopen_selected)
        self.details.save_preset_clicked.connect(self.ask_save_preset)
        self.details.delete_clicked.connect(self.confirm_delete)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("history_splitter")
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self.details)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setSizes([620, 520])

        self.count = QLabel()
        self.count.setObjectName("history_count")
        set_role(self.count, "muted")
        self.max_entries = QSpinBox()
        self.max_entries.setObjectName("history_max_entries")
        self.max_entries.setRange(1, 10_000_000)
        self.max_entries.setSingleStep(1000)
        self.max_entries.setGroupSeparatorShown(True)
        self.max_entries.setAccessibleName("Entries to keep")
        self.max_entries.setToolTip("Older entries are deleted as new ones arrive")
        self.max_entries.editingFinished.connect(
            lambda: self.ask_max_entries(self.max_entries.value())
        )
        keep = QLabel("Keep the newest")
        keep.setBuddy(self.max_entries)
        footer = QHBoxLayout()
        footer.setContentsMargins(0, 0, 0, 0)
        footer.addWidget(self.count, 1)
        footer.addWidget(keep)
        footer.addWidget(self.max_entries)
        footer.addWidget(QLabel("entries"))

        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 10, 10, 8)
        layout.setSpacing(8)
        layout.addWidget(self.banner)
        layout.addWidget(self.filters)
        layout.addWidget(self.splitter, 1)
        layout.addLayout(footer)
        find = QShortcut(QKeySequence(QKeySequence.StandardKey.Find), self)
        find.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        find.activated.connect(self._focus_search)
        self.table.installEventFilter(self)  # Enter reopens, Delete deletes (in the list only)
        self._set_enabled(False)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.table and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.reopen_selected()
                return True
            if event.key() == Qt.Key.Key_Delete:
                self.confirm_delete()
                return True
        return super().eventFilter(watched, event)

    # --- the database ---

    @property
    def file(self) -> Path:
        """The history database file."""
        return self.path or history_db_path()

    def open_store(self) -> bool:
        """Open the history (once); an unusable file is reported with the offer to move it aside."""
        if self.store is not None:
            return True
        try:
            self.store = HistoryStore(self.file)
        except HistoryFileError as exc:
            self._offer_move_aside(exc)
            return False
        except HistoryError as exc:
            self.banner.show_message(f"The history cannot be opened: {exc}", level="error")
            return False
        self.banner.dismiss()
        self.model.set_store(self.store)
        self.max_entries.blockSignals(True)
        self.max_entries.setValue(self.store.settings.max_entries)
        self.max_entries.blockSignals(False)
        self.filters.set_subjects(self.store.subjects())
        self._set_enabled(True)
        self._update_count()
        return True

    def close_store(self) -> None:
        """Close the database (the view shows nothing until opened again)."""
        if self.store is not None:
            self.store.close()
            self.store = None
        self.model.set_store(None)
        self.details.show_detail(None)
        self._set_enabled(False)

    def _offer_move_aside(self, exc: HistoryFileError) -> None:
        self._set_enabled(False)
        self.banner.show_message(
            f"The history cannot be used: {exc.reason}. composer has not changed the file "
            f"({exc.path}).",
            [
                (
                    "Move it aside and start a new history",
                    self._move_aside_now,
                )
            ],
            level="error",
        )

    def _move_aside_now(self) -> None:
        self.move_aside()

    def move_aside(self) -> Path | None:
        """Move the unusable file aside (the user agreed) and open a new, empty history."""
        try:
            moved = move_aside_history(self.file)
        except OSError as exc:
            self.banner.show_message(f"Could not move the history file aside: {exc}", level="error")
            return None
        self.message.emit(f"Moved the old history to {moved.name}; a new history starts now")
        self.open_store()
        return moved

    def _set_enabled(self, enabled: bool) -> None:
        for widget in (self.filters, self.table, self.max_entries):
            widget.setEnabled(enabled)
        if not enabled:
            self.count.setText("")

    # --- listing ---

    def search(self, query: HistoryQuery) -> None:
        """Show the entries matching ``query`` (newest first)."""
        if self.store is None:
            return
        try:
            self.model.set_query(query)
        except HistoryError as exc:
            self.banner.show_message(str(exc), level="error")
            return
        self._update_count()
        self.details.show_detail(None)

    def refresh(self) -> None:
        """Read the history again (new entries, changed statuses), keeping the selection."""
        if self.store is None:
            return
        selected = self.selected_ids()
        self._quiet = True  # the reset clears the selection: the details stay meanwhile
        try:
            self.model.reload()
            self.filters.set_subjects(self.store.subjects())
            if selected:
                self.select(selected[0])
        except HistoryError as exc:
            self.banner.show_message(str(exc), level="error")
            return
        finally:
            self._quiet = False
        self._update_count()
        if self.selected_ids() != selected[:1] or not selected:
            self.details.show_detail(None)
        else:
            self._show_selected()  # in place: only what changed (a live batch's cells)

    def _update_count(self) -> None:
        if self.store is None:
            return
        query = self.model.query
        total = self.store.count(query)
        filtered = any(
            getattr(query, name) for name in ("text", "subject", "status", "since", "until")
        )
        if filtered:
            self.count.setText(f"{total:,} match{'' if total == 1 else 'es'}")
        else:
            self.count.setText(f"{total:,} entr{'y' if total == 1 else 'ies'}")

    def select(self, submission_id: int) -> bool:
        """Select an entry (loading more pages if needed); False when it is not listed."""
        row = self.model.row_of(submission_id)
        while row is None and self.model.canFetchMore():
            self.model.fetchMore()
            row = self.model.row_of(submission_id)
        if row is None:
            return False
        self.table.selectRow(row)
        self.table.scrollTo(self.model.index(row, 0))
        return True

    def selected_ids(self) -> list[int]:
        """The ids of the selected entries, in list order."""
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [self.model.rows[row].id for row in rows if row < len(self.model.rows)]

    def _on_selection(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        if not self._quiet:
            self._show_selected()

    def _show_selected(self) -> None:
        ids = self.selected_ids()
        if len(ids) != 1 or self.store is None:
            self.details.show_detail(None)
            return
        try:
            detail = self.store.get(ids[0])
        except HistoryError as exc:
            self.details.show_detail(None)
            self.banner.show_message(str(exc), level="error")
            return
        source = self.source_for(detail.summary) if self.source_for else self.source
        self.details.set_source(source)
        try:
            self.details.show_detail(detail, _sandbox_note(detail.summary, source))
        except HistoryError as exc:
            self.details.show_detail(None)
            self.banner.show_message(str(exc), level="error")

    def _focus_search(self) -> None:
        self.filters.text.setFocus()
        self.filters.text.selectAll()


def _sandbox_note(summary: SubmissionSummary, source: OutputSource | None) -> str | None:
    """A word on pictures of the built-in sandbox from an earlier session: they are gone."""
    if summary.target_name != SANDBOX.name:
        return None
    live = getattr(source, "base_url", None)
    if (
        live is not None
        and live == summary.base_url.rstrip("/")
        and getattr(source, "has_key", False)
    ):
        return None  # this session's sandbox: its pictures are there
    return (
        "The built-in sandbox keeps output files only while it runs: pictures from an earlier "
        "session of composer cannot load."
    )
