"""One History entry in full: where it went, its runs and their statuses, outputs, the body sent.

Outputs show in the same views as live runs: the gallery for a single run, the batch grid for a
batch. The actions (reopen, save as preset, delete) are buttons here; the History view does them.
"""

from __future__ import annotations

from typing import Final

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from composer.core.bodytext import render_body
from composer.core.grid import value_label
from composer.core.history import RunRecord, SubmissionDetail
from composer.ui.highlighter import JsonHighlighter
from composer.ui.history.convert import run_states
from composer.ui.history.model import status_color
from composer.ui.outputs.gallery import OutputsGallery
from composer.ui.outputs.grid_view import BatchGridView
from composer.ui.outputs.images import OutputSource
from composer.ui.runs import texts
from composer.ui.theme import set_role

RUN_COLUMNS: Final = (
    "#",
    "Batch values",
    "Status",
    "Created",
    "Run",
    "Cold start",
    "Outputs",
    "Run id",
)


def changes_text(record: RunRecord) -> str:
    """A run's status changes, one per line, for a tooltip."""
    lines = []
    for change in record.status_changes[-30:]:
        at = change.at.astimezone().strftime("%H:%M:%S")
        progress = f" {round(change.progress * 100)}%" if change.progress is not None else ""
        live = f" · {change.live_status}" if change.live_status else ""
        lines.append(f"{at}  {change.status or '—'}{progress}{live}  ({change.source})")
    return "\n".join(lines) or "No status changes recorded"


class HistoryDetails(QWidget):
    """Details of the selected entry with its actions."""

    reopen_clicked = Signal()
    save_preset_clicked = Signal()
    delete_clicked = Signal()

    def __init__(self, source: OutputSource | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("history_details")
        self.detail: SubmissionDetail | None = None
        self.title = QLabel()
        self.title.setObjectName("history_details__title")
        self.title.setWordWrap(True)
        set_role(self.title, "section")
        self.meta = QLabel()
        self.meta.setObjectName("history_details__meta")
        self.meta.setWordWrap(True)
        self.meta.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        set_role(self.meta, "muted")
        self.notes = QLabel()
        self.notes.setObjectName("history_details__notes")
        self.notes.setWordWrap(True)
        self.notes.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        set_role(self.notes, "error")
        self.reopen = QPushButton("Reopen as draft")
        self.reopen.setObjectName("history_reopen")
        self.reopen.setToolTip("Load the exact body that was sent into the form (Enter)")
        self.reopen.clicked.connect(self.reopen_clicked)
        set_role(self.reopen, "accent")
        self.save_preset = QPushButton("Save as preset…")
        self.save_preset.setObjectName("history_save_preset")
        self.save_preset.clicked.connect(self.save_preset_clicked)
        self.delete = QPushButton("Delete…")
        self.delete.setObjectName("history_delete")
        self.delete.setToolTip("Remove this entry from the history (Delete)")
        self.delete.clicked.connect(self.delete_clicked)

        self.gallery = OutputsGallery(source)
        self.grid = BatchGridView(source)
        self.outputs = QStackedWidget()
        self.outputs.addWidget(self.gallery)
        self.outputs.addWidget(self.grid)
        self.runs = QTableWidget(0, len(RUN_COLUMNS))
        self.runs.setObjectName("history_runs")
        self.runs.setHorizontalHeaderLabels(list(RUN_COLUMNS))
        self.runs.verticalHeader().hide()
        self.runs.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.runs.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.runs.setAlternatingRowColors(True)
        self.runs.setWordWrap(False)
        self.runs.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.runs.setShowGrid(False)
        self.runs.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.runs.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.runs.horizontalHeader().setStretchLastSection(True)
        self.body = QPlainTextEdit()
        self.body.setObjectName("history_body")
        self.body.setReadOnly(True)
        self.body.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self._highlighter = JsonHighlighter(self.body.document())
        self.tabs = QTabWidget()
        self.tabs.setObjectName("history_tabs")
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.outputs, "Outputs")
        self.tabs.addTab(self.runs, "Runs")
        self.tabs.addTab(self.body, "Request")
        self.placeholder = QLabel("Select an entry to see its runs, outputs and request.")
        self.placeholder.setObjectName("history_details__placeholder")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        set_role(self.placeholder, "muted")

        actions = QHBoxLayout()
        actions.setSpacing(6)
        actions.addWidget(self.reopen)
        actions.addWidget(self.save_preset)
        actions.addStretch(1)
        actions.addWidget(self.delete)
        self.content = QWidget()
        column = QVBoxLayout(self.content)
        column.setContentsMargins(12, 10, 12, 6)
        column.setSpacing(6)
        column.addWidget(self.title)
        column.addWidget(self.meta)
        column.addWidget(self.notes)
        column.addLayout(actions)
        column.addWidget(self.tabs, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.placeholder, 1)
        layout.addWidget(self.content, 1)
        self.show_detail(None)

    def set_source(self, source: OutputSource | None) -> None:
        """The client that fetches pictures (and fresh links) for the outputs tab."""
        self.gallery.set_source(source)
        self.grid.set_source(source)

    def show_detail(self, detail: SubmissionDetail | None, note: str | None = None) -> None:
        """Show one entry (None: nothing selected), with an optional ``note`` under its title.

        The same entry again (a refresh while its runs go on) is updated in place: the grid's
        cells and the runs table follow, the tab and scroll positions stay."""
        again = (
            detail is not None
            and self.detail is not None
            and detail.summary.id == self.detail.summary.id
        )
        self.detail = detail
        self.placeholder.setVisible(detail is None)
        self.content.setVisible(detail is not None)
        if detail is None:
            self.gallery.show_run(None)
            return
        summary = detail.summary
        when = summary.submitted_at.astimezone().strftime("%Y-%m-%d %H:%M:%S")
        runs = f"{summary.run_count} run{'s' if summary.run_count != 1 else ''}"
        self.title.setText(f"{summary.subject_id or summary.kind} · {summary.status}")
        parts = [when, summary.target_name, f"{summary.method} {summary.path}", runs]
        if summary.batch_id:
            parts.append(f"batch {summary.batch_id}")
        self.meta.setText(" · ".join(parts))
        self.meta.setToolTip(summary.base_url)
        notes = []
        if summary.error:
            notes.append(summary.error)
        if detail.redacted:
            notes.append(
                "A secret in this body was replaced by [redacted]: fill it in before sending again."
            )
        if note:
            notes.append(note)
        self.notes.setText("\n".join(notes))
        set_role(self.notes, "error" if summary.error else "muted")
        self.notes.setVisible(bool(notes))
        states = run_states(detail)
        if summary.run_count > 1 or summary.batch_id:
            self.outputs.setCurrentWidget(self.grid)
            if again:
                for state in states:
                    self.grid.update_run(state)
            else:
                self.grid.show_batch(detail.body, states)
        else:
            self.outputs.setCurrentWidget(self.gallery)
            self.gallery.show_run(states[0] if states else None)
        self._fill_runs(detail)
        if not again:
            self.body.setPlainText(render_body(detail.body).text)

    def _fill_runs(self, detail: SubmissionDetail) -> None:
        self.runs.setRowCount(len(detail.runs))
        for row, record in enumerate(detail.runs):
            combination = record.combination or {}
            values = " · ".join(f"{k} = {value_label(v, 24)}" for k, v in combination.items())
            created = (
                record.created_at.astimezone().strftime("%H:%M:%S") if record.created_at else ""
            )
            index = record.batch_index + 1 if record.batch_index is not None else row + 1
            cells = (
                str(index),
                values,
                record.status or "—",
                created,
                texts.duration(record.run_duration),
                texts.duration(record.cold_start_duration),
                str(len(record.outputs)),
                record.run_id or "not known",
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column == 2:
                    item.setToolTip(changes_text(record))
                    color = status_color(record.status or "")
                    if color is not None:
                        item.setForeground(QBrush(color))
                if column == 7:
                    item.setToolTip("\n".join(filter(None, (record.run_id, record.error))))
                self.runs.setItem(row, column, item)
