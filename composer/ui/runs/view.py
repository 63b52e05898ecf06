"""The runs panel: the tree of submissions and runs, its actions, and a detail area.

Integration points for other widgets:

- :meth:`RunsView.add_detail_page` puts a page (a QWidget) in the detail area beside "Summary".
  The page in sight is told about the selection, and again whenever the selected run or batch
  changes; a page out of sight is told the latest when it comes into sight (its tab chosen, the
  panel shown): hundreds of runs change several times a second, and showing a batch of them
  takes a page milliseconds. A page is told through its
  ``show_selection(selection: RunSelection)`` method: a run, a batch, or nothing.

- :attr:`RunsView.selection_changed` (a :class:`RunSelection`) when the selected row changes.
- :attr:`RunsView.model` (:class:`~composer.ui.runs.model.RunsModel`) for the states shown.

User actions are signals the :class:`~composer.ui.runs.controller.RunsController` carries out:
:attr:`cancel_requested`, :attr:`rerun_requested`, :attr:`refresh_requested`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QItemSelection, QModelIndex, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from composer.ui.runs import texts
from composer.ui.runs.delegates import (
    MiddleElideDelegate,
    ProgressDelegate,
    StatusChipDelegate,
)
from composer.ui.runs.details import SummaryPage
from composer.ui.runs.model import Column, RunsModel
from composer.ui.runs.selection import RunSelection
from composer.ui.theme import set_role

if TYPE_CHECKING:
    from composer.client.session import Submission

EMPTY_TEXT = "No runs yet. Submit a request (Ctrl+Enter) to follow its runs here."
_WIDTHS = {
    Column.RUN: 300,
    Column.STATUS: 96,
    Column.PROGRESS: 150,
    Column.DETAIL: 240,
    Column.QUEUE: 70,
    Column.ELAPSED: 70,
    Column.COLD_START: 76,
    Column.RUN_TIME: 70,
    Column.RUN_ID: 120,
}


class RunsTree(QTreeView):
    """The tree; Ctrl+C copies the selected run id (not the cell's text, as Qt would)."""

    copy_requested = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.matches(QKeySequence.StandardKey.Copy):
            self.copy_requested.emit()
            event.accept()
            return
        super().keyPressEvent(event)


class RunsView(QWidget):
    """The runs panel (see the module docstring)."""

    selection_changed = Signal(object)  # RunSelection
    cancel_requested = Signal(object, object)  # Submission, run id (None: every open run)
    rerun_requested = Signal(object)  # Submission
    refresh_requested = Signal(object, str)  # Submission, run id: poll it now
    message = Signal(str)

    def __init__(self, model: RunsModel | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("runs_view")
        self.model = model or RunsModel(self)
        self.tree = RunsTree()
        self.tree.setObjectName("runs_tree")
        self.tree.setAccessibleName("Runs")
        self.tree.setModel(self.model)
        self.tree.setUniformRowHeights(True)  # hundreds of rows: no per-row size queries
        self.tree.setAlternatingRowColors(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.setItemDelegateForColumn(Column.RUN, MiddleElideDelegate(self.tree))
        self.tree.setItemDelegateForColumn(Column.STATUS, StatusChipDelegate(self.tree))
        self.tree.setItemDelegateForColumn(Column.PROGRESS, ProgressDelegate(self.tree))
        header = self.tree.header()
        header.setStretchLastSection(False)
        for column, width in _WIDTHS.items():
            header.resizeSection(column, width)
        header.setSectionResizeMode(Column.DETAIL, QHeaderView.ResizeMode.Stretch)
        self.empty = QLabel(EMPTY_TEXT)
        self.empty.setObjectName("runs_empty")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        set_role(self.empty, "muted")
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.tree)

        self.details = QTabWidget()
        self.details.setObjectName("run_details")
        self.details.setDocumentMode(True)
        self.summary_page = SummaryPage()
        self.pages: list[QWidget] = []
        self._stale: list[QWidget] = []  # pages out of sight that missed a change
        self.add_detail_page("Summary", self.summary_page)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("runs_splitter")
        self.splitter.addWidget(self.stack)
        self.splitter.addWidget(self.details)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setChildrenCollapsible(False)

        self.headline = QLabel()
        self.headline.setObjectName("runs_headline")
        set_role(self.headline, "muted")
        self.cancel_button = self._button("runs_cancel", "Cancel", self.cancel_selected)
        self.rerun_button = self._button("runs_rerun", "Re-run", self.rerun_selected)
        self.copy_button = self._button("runs_copy", "Copy run id", self.copy_selected)
        self.clear_button = self._button("runs_clear", "Clear finished", self.clear_finished)
        self.cancel_button.setToolTip(
            "Ask the API to cancel the selected run (or every run of a batch)"
        )
        self.rerun_button.setToolTip("Send the same request again")
        self.clear_button.setToolTip("Remove finished runs from this list (the history keeps them)")
        bar = QHBoxLayout()
        bar.setContentsMargins(8, 2, 8, 2)
        bar.setSpacing(6)
        bar.addWidget(self.headline, 1)
        for button in (self.cancel_button, self.rerun_button, self.copy_button, self.clear_button):
            bar.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(bar)
        layout.addWidget(self.splitter, 1)

        self.tree.copy_requested.connect(self.copy_selected)
        self.tree.customContextMenuRequested.connect(self._context_menu)
        self.tree.selectionModel().selectionChanged.connect(self._on_selection)
        self.model.rowsInserted.connect(self._on_rows_inserted)
        self.model.rowsRemoved.connect(lambda *_: self._after_change())
        self.model.flushed.connect(self._after_change)
        self._shown: tuple[Any, ...] | None = None
        self._after_change()

    def _button(self, name: str, text: str, slot: Any) -> QPushButton:
        button = QPushButton(text)
        button.setObjectName(name)
        button.setAutoDefault(False)
        button.clicked.connect(lambda _checked=False: slot())
        return button

    # --- detail pages ---

    def add_detail_page(self, title: str, page: QWidget) -> int:
        """Add a page to the detail area (see the module docstring); returns its tab index."""
        self.pages.append(page)
        index = self.details.addTab(page, title)
        page.installEventFilter(self)  # told what it missed when it comes into sight
        if page.isVisible():
            self._tell(page, self.selection())
        else:
            self._stale.append(page)
        return index

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """A detail page coming into sight is told the changes it missed."""
        if self._stale and event.type() == QEvent.Type.Show:
            for page in self._stale:
                if page is watched:
                    self._stale.remove(page)
                    self._tell(page, self.selection())
                    break
        return super().eventFilter(watched, event)

    def show_detail_page(self, page: QWidget) -> None:
        """Bring a detail page to the front."""
        self.details.setCurrentWidget(page)

    @staticmethod
    def _tell(page: QWidget, selection: RunSelection) -> None:
        show_selection = getattr(page, "show_selection", None)
        if callable(show_selection):
            show_selection(selection)

    # --- selection ---

    def selection(self) -> RunSelection:
        """The selected row, as plain values."""
        index = self.tree.currentIndex()
        selected = self.tree.selectionModel().selectedRows()
        if not selected:
            return RunSelection()
        return self.model.selection_at(index if index.isValid() else selected[0])

    def select_submission(self, submission: Submission) -> None:
        """Select a submission's row (and show it)."""
        index = self.model.index_of_submission(submission)
        if index.isValid():
            self.tree.setCurrentIndex(index)
            self.tree.scrollTo(index)

    def select_run(self, run_id: str) -> bool:
        """Select a run's row; False when it is not shown."""
        index = self.model.index_of_run(run_id)
        if not index.isValid():
            return False
        self.tree.expand(index.parent())
        self.tree.setCurrentIndex(index)
        self.tree.scrollTo(index)
        return True

    def _on_selection(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        self._refresh_details(force=True)

    def _refresh_details(self, force: bool = False) -> None:
        selection = self.selection()
        submission = selection.submission
        key = (
            selection,
            None if submission is None else (
                submission.sending, submission.error, submission.discovery_error,
                tuple(submission.run_ids), len(submission.notes),
            ),
        )  # fmt: skip
        if not force and key == self._shown:
            return
        changed_row = self._shown is None or key[0].submission is not self._shown[0].submission
        self._shown = key
        # Only the pages in sight: showing a batch of hundreds of runs takes a page tens of
        # milliseconds, and the selection changes several times a second while runs go on.
        # The others catch up when they come into sight (see eventFilter).
        self._stale = []
        for page in self.pages:
            if page.isVisible():
                self._tell(page, selection)
            else:
                self._stale.append(page)
        self._update_buttons(selection)
        if force or changed_row:
            self.selection_changed.emit(selection)

    # --- following the model ---

    def _on_rows_inserted(self, parent: QModelIndex, first: int, _last: int) -> None:
        if not parent.isValid() and first == 0:
            self.tree.scrollToTop()
            # Only one batch open at a time: the newest. Older ones stay as the user left them.
            index = self.model.index(0, 0)
            if self.model.rowCount(index) and self.model.rowCount(index) <= 100:
                self.tree.expand(index)
        self._after_change()

    def _after_change(self) -> None:
        has_rows = self.model.rowCount() > 0
        self.stack.setCurrentWidget(self.tree if has_rows else self.empty)
        # Nothing to act on or to detail yet: only the hint shows.
        self.details.setVisible(has_rows)
        for button in (self.cancel_button, self.rerun_button, self.copy_button, self.clear_button):
            button.setVisible(has_rows)
        self.headline.setText(self._headline())
        self._refresh_details()

    def _headline(self) -> str:
        going = done = failed = refused = 0
        for submission in self.model.submissions():
            status, finished, not_ok, total = self.model.summary(submission)
            if status in (texts.SENDING,):
                going += 1
                continue
            if status == texts.REFUSED:
                refused += 1
                continue
            done += finished
            failed += not_ok
            going += total - finished
        parts = [f"{going} going"] if going else []
        if done or failed:
            parts.append(f"{done} done")
        if failed:
            parts.append(f"{failed} not successful")
        if refused:
            parts.append(f"{refused} not sent")
        return " · ".join(parts)

    def _update_buttons(self, selection: RunSelection) -> None:
        submission = selection.submission
        self.rerun_button.setEnabled(submission is not None and not submission.sending)
        self.copy_button.setEnabled(self._selected_id(selection) is not None)
        self.cancel_button.setEnabled(self._can_cancel(selection))
        batch = selection.batch is not None
        self.cancel_button.setText("Cancel batch" if batch else "Cancel")
        self.copy_button.setText("Copy batch id" if batch else "Copy run id")

    def _can_cancel(self, selection: RunSelection) -> bool:
        if selection.batch is not None:
            return any(
                state is not None and not state.is_terminal and not state.lost
                for state in selection.batch.states
            )
        state = selection.state
        return state is not None and not state.is_terminal

    @staticmethod
    def _selected_id(selection: RunSelection) -> str | None:
        if selection.batch is not None:
            return selection.submission.batch_id if selection.submission else None
        return selection.run_id

    # --- actions ---

    def cancel_selected(self) -> None:
        """Cancel the selected run, or every open run of the selected batch."""
        selection = self.selection()
        if not self._can_cancel(selection) or selection.submission is None:
            return
        run_id = None if selection.batch is not None else self._selected_id(selection)
        self.cancel_requested.emit(selection.submission, run_id)

    def rerun_selected(self) -> None:
        """Send the selected submission's request again."""
        selection = self.selection()
        if selection.submission is not None and not selection.submission.sending:
            self.rerun_requested.emit(selection.submission)

    def copy_selected(self) -> None:
        """Copy the selected run id (or batch id) to the clipboard."""
        selection = self.selection()
        value = self._selected_id(selection)
        if value is None:
            return
        QApplication.clipboard().setText(value)
        what = "batch id" if selection.batch is not None else "run id"
        self.message.emit(f"Copied the {what} {value}")

    def refresh_selected(self) -> None:
        """Ask for the selected run's status now."""
        selection = self.selection()
        if selection.submission is not None and selection.state is not None:
            self.refresh_requested.emit(selection.submission, selection.state.run_id)

    def clear_finished(self) -> None:
        """Remove finished submissions from the list (the history keeps them)."""
        removed = self.model.remove_finished()
        if removed:
            self.message.emit(
                f"Removed {removed} finished submission{'s' if removed > 1 else ''} from the list"
            )

    def _context_menu(self, position: Any) -> None:
        index = self.tree.indexAt(position)
        if not index.isValid():
            return
        self.tree.setCurrentIndex(index)
        selection = self.selection()
        menu = QMenu(self)
        menu.setObjectName("runs_menu")
        batch = selection.batch is not None
        cancel = menu.addAction("Cancel batch" if batch else "Cancel run", self.cancel_selected)
        cancel.setEnabled(self._can_cancel(selection))
        rerun = menu.addAction("Re-run", self.rerun_selected)
        rerun.setEnabled(self.rerun_button.isEnabled())
        copy = menu.addAction("Copy batch id" if batch else "Copy run id", self.copy_selected)
        copy.setEnabled(self._selected_id(selection) is not None)
        if not batch:
            check = menu.addAction("Check status now", self.refresh_selected)
            check.setEnabled(selection.state is not None and not selection.state.is_terminal)
        menu.popup(self.tree.viewport().mapToGlobal(position))
