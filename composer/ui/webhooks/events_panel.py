"""The events view: the live list of received requests, its filters, and one event in full.

The list is a :class:`QTableView` over :class:`~composer.ui.webhooks.events_model.EventsFilter`,
with fixed row heights and column widths so thousands of rows scroll and grow without measuring
text. It follows new events while scrolled to the bottom, and stays put when the user scrolled
up to read. Actions: copy as curl, replay the selection, export what is listed as JSON lines,
clear (after a confirmation in a banner).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Final

from PySide6.QtCore import QItemSelection, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import Shiboken

from composer.core.webhook_io import curl_command, export_jsonl
from composer.core.webhooks import WebhookRecord
from composer.ui.banner import Banner
from composer.ui.icons import icon, set_icon
from composer.ui.theme import set_role
from composer.ui.webhooks.details import RecordDetails
from composer.ui.webhooks.events_model import (
    RECORD_ROLE,
    Column,
    EventsFilter,
    EventsModel,
    records_of,
)
from composer.ui.webhooks.tasks import spawn

ANY: Final = "any"
COLUMN_WIDTHS: Final = {
    Column.SEQ: 52,
    Column.TIME: 96,
    Column.METHOD: 64,
    Column.EVENT: 100,
    Column.STATUS: 84,
    Column.PROGRESS: 70,
    Column.RUN: 120,
    Column.SIGNATURE: 84,
}


def _combo(name: str, accessible: str) -> QComboBox:
    combo = QComboBox()
    combo.setObjectName(name)
    combo.setAccessibleName(accessible)
    combo.addItem(f"{accessible}: {ANY}", None)
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
    return combo


class EventsPanel(QWidget):
    """Filters, the events table, the selected event, and the actions on the selection.

    Signals: ``selection_changed(list[WebhookRecord])``, ``replay_requested()`` (the Replay
    button), ``clear_requested()`` (after the user confirmed), ``message(str)``.
    """

    selection_changed = Signal(list)
    replay_requested = Signal()
    clear_requested = Signal()
    message = Signal(str)

    def __init__(self, model: EventsModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("webhook_events_panel")
        self.model = model
        self.proxy = EventsFilter(model, self)
        self._dialog: QFileDialog | None = None
        self._follow = True

        self.run_filter = QLineEdit()
        self.run_filter.setObjectName("events_filter_run")
        self.run_filter.setAccessibleName("Filter by run id")
        self.run_filter.setPlaceholderText("Filter by run id")
        self.run_filter.addAction(icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        self.run_filter.setClearButtonEnabled(True)
        self.event_filter = _combo("events_filter_event", "Event")
        self.status_filter = _combo("events_filter_status", "Status")
        self.count = QLabel()
        self.count.setObjectName("events_count")
        set_role(self.count, "muted")
        bar = QHBoxLayout()
        bar.setSpacing(6)
        bar.addWidget(self.run_filter, 2)
        bar.addWidget(self.event_filter)
        bar.addWidget(self.status_filter)
        bar.addStretch(1)
        bar.addWidget(self.count)

        self.table = QTableView()
        self.table.setObjectName("webhook_events")
        self.table.setAccessibleName("Received webhook events")
        self.table.setModel(self.proxy)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        rows = self.table.verticalHeader()
        rows.hide()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(self.table.fontMetrics().height() + 8)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        header.setHighlightSections(False)
        for column, width in COLUMN_WIDTHS.items():
            header.resizeSection(column, width)
        self.set_signing(False)

        self.details = RecordDetails()
        split = QSplitter(Qt.Orientation.Horizontal)
        split.setObjectName("events_split")
        split.addWidget(self.table)
        split.addWidget(self.details)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        self.table.setMinimumWidth(360)
        self.details.setMinimumWidth(240)
        split.setSizes([620, 420])
        split.setChildrenCollapsible(False)

        self.copy_curl = self._button("events__copy_curl", "Copy as curl", "copy")
        self.replay = self._button("events__replay", "Replay…", "redo")
        self.export = self._button("events__export", "Export…", "export")
        self.clear = self._button("events__clear", "Clear", "delete")
        self.copy_curl.setToolTip("Copy the selected event as a curl command that sends it again")
        self.replay.setToolTip("Resend the selected events to any URL")
        self.export.setToolTip("Save the listed events (filters apply) as JSON lines")
        self.clear.setToolTip("Remove every event from the list and from the history")
        actions = QHBoxLayout()
        actions.setSpacing(6)
        for button in (self.copy_curl, self.replay):
            actions.addWidget(button)
        actions.addStretch(1)
        for button in (self.export, self.clear):
            actions.addWidget(button)
        self.banner = Banner("events_banner")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addLayout(bar)
        layout.addWidget(self.banner)
        layout.addWidget(split, 1)
        layout.addLayout(actions)

        self.run_filter.textChanged.connect(lambda text: self._filter(run_text=text))
        self.event_filter.currentIndexChanged.connect(
            lambda _i: self._filter(event_type=self.event_filter.currentData())
        )
        self.status_filter.currentIndexChanged.connect(
            lambda _i: self._filter(status=self.status_filter.currentData())
        )
        self.table.selectionModel().selectionChanged.connect(self._on_selection)
        self.table.verticalScrollBar().valueChanged.connect(self._note_scroll)
        model.appended.connect(self._after_insert)  # once per batch, not once per row
        # The source's signals: the filters drop their rows before the source's are gone.
        model.modelReset.connect(self._refresh_count)
        model.rowsRemoved.connect(self._refresh_count)
        model.vocabulary_changed.connect(self._refresh_vocabulary)
        self.copy_curl.clicked.connect(self.copy_as_curl)
        self.replay.clicked.connect(self.replay_requested)
        self.export.clicked.connect(self.choose_export)
        self.clear.clicked.connect(self.confirm_clear)
        self._refresh_count()
        self._on_selection()

    def _button(self, name: str, text: str, icon_name: str) -> QPushButton:
        button = QPushButton(text)
        button.setObjectName(name)
        set_icon(button, icon_name)
        return button

    # --- filters ---

    def _filter(self, **change: object) -> None:
        self.proxy.set_filter(**change)  # type: ignore[arg-type]
        self._refresh_count()

    def _refresh_vocabulary(self) -> None:
        for combo, words in (
            (self.event_filter, self.model.event_types),
            (self.status_filter, self.model.statuses),
        ):
            current = combo.currentData()
            known = {combo.itemData(row) for row in range(1, combo.count())}
            if known == words:
                continue
            combo.blockSignals(True)
            while combo.count() > 1:
                combo.removeItem(1)
            for word in sorted(words):
                combo.addItem(word, word)
            position = combo.findData(current) if current is not None else 0
            combo.setCurrentIndex(max(0, position))
            combo.blockSignals(False)
            if position < 0:  # the filtered word is gone (cleared): show everything again
                combo.currentIndexChanged.emit(0)

    def _refresh_count(self) -> None:
        total = self.model.rowCount()
        shown = self.proxy.rowCount()
        noun = "event" if total == 1 else "events"
        text = f"{total:,} {noun}" if shown == total else f"{shown:,} of {total:,} {noun}"
        self.count.setText(text)
        has_rows = shown > 0
        self.export.setEnabled(has_rows)
        self.clear.setEnabled(total > 0)

    # --- following new rows ---

    def _note_scroll(self, value: int) -> None:
        bar = self.table.verticalScrollBar()
        self._follow = value >= bar.maximum() - 2

    def _after_insert(self, _count: int = 0) -> None:
        self._refresh_count()
        if self._follow:
            # After the view laid out the new rows (the scroll range grows later); the table
            # as context, so a panel closed meanwhile cancels the call.
            QTimer.singleShot(0, self.table, self.table.scrollToBottom)

    # --- selection and details ---

    def selected(self) -> list[WebhookRecord]:
        """The selected records, in arrival order."""
        return records_of(self.table.selectionModel().selectedRows())

    def _on_selection(self, *_args: QItemSelection) -> None:
        records = self.selected()
        current = self.table.currentIndex()
        record = current.data(RECORD_ROLE) if current.isValid() else None
        if not isinstance(record, WebhookRecord) or record not in records:
            record = records[-1] if records else None
        self.details.show_record(record, len(records))
        self.copy_curl.setEnabled(len(records) == 1)
        self.replay.setEnabled(bool(records))
        self.selection_changed.emit(records)

    def select_seq(self, *seqs: int) -> None:
        """Select the listed rows with these numbers (tests and tools)."""
        wanted = set(seqs)
        selection = self.table.selectionModel()
        selection.clearSelection()
        for row in range(self.proxy.rowCount()):
            index = self.proxy.index(row, 0)
            record = index.data(RECORD_ROLE)
            if isinstance(record, WebhookRecord) and record.seq in wanted:
                selection.select(
                    index,
                    selection.SelectionFlag.Select | selection.SelectionFlag.Rows,
                )
                selection.setCurrentIndex(index, selection.SelectionFlag.NoUpdate)

    def set_signing(self, on: bool) -> None:
        """Show the signature column only while signing is in use."""
        self.table.setColumnHidden(Column.SIGNATURE, not on)

    # --- actions ---

    def copy_as_curl(self) -> str | None:
        """Copy the selected event as a curl command; returns it."""
        records = self.selected()
        if len(records) != 1:
            self.message.emit("Select one event to copy it as curl.")
            return None
        command = curl_command(records[0])
        QGuiApplication.clipboard().setText(command)
        self.message.emit(f"Copied event #{records[0].seq} as a curl command")
        return command

    def choose_export(self) -> None:
        """Ask where to save the listed events (non-modal), then export them."""
        dialog = QFileDialog(self, "Export webhook events")
        dialog.setObjectName("events_export_dialog")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilter("JSON lines (*.jsonl);;All files (*)")
        dialog.setDefaultSuffix("jsonl")
        dialog.selectFile("webhook-events.jsonl")
        dialog.fileSelected.connect(lambda name: self._export_in_background(Path(name)))
        self._dialog = dialog
        dialog.open()

    def _export_in_background(self, path: Path) -> None:
        # The records are read here, on the window's thread (the model lives there); only the
        # writing goes to a worker: 20,000 events took about 0.3 s, a frozen window meanwhile.
        records = self.proxy.visible_records()
        spawn(self._export_async(path, records), self.message.emit)

    async def _export_async(self, path: Path, records: list[WebhookRecord]) -> None:
        try:
            count = await asyncio.to_thread(export_jsonl, path, records)
        except OSError as exc:
            if Shiboken.isValid(self):  # the panel may have closed while the file was written
                self._said_not_exported(path, exc)
            return
        if Shiboken.isValid(self):
            self._said_exported(path, count)

    def export_to(self, path: Path) -> int | None:
        """Write the listed events (filters apply) to ``path`` as JSON lines; how many."""
        records = self.proxy.visible_records()
        try:
            count = export_jsonl(path, records)
        except OSError as exc:
            self._said_not_exported(path, exc)
            return None
        self._said_exported(path, count)
        return count

    def _said_exported(self, path: Path, count: int) -> None:
        self.message.emit(f"Exported {count} event{'s' if count != 1 else ''} to {path}")

    def _said_not_exported(self, path: Path, error: OSError) -> None:
        self.message.emit(f"Could not export to {path}: {error.strerror or error}")

    def confirm_clear(self) -> None:
        """Ask (in a banner) before clearing the list and the stored events."""
        total = self.model.rowCount()
        self.banner.show_message(
            f"Remove all {total:,} events from this list and from the history?",
            [("Clear", self.clear_requested.emit)],
            level="warning",
        )
