"""Moving cells in and out of the batch table: paste (TSV/CSV, big blocks in slices), CSV
import and export. Mixed into :class:`~composer.ui.batch_editor.BatchEditor`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

from composer.core.batch import (
    BatchImportError,
    is_header_row,
    parse_block,
    paste_block,
    read_rows,
    run_count_label,
    table_from_csv,
    table_to_csv,
)

if TYPE_CHECKING:
    from PySide6.QtCore import SignalInstance
    from PySide6.QtWidgets import QFileDialog

    from composer.ui.batch_editor import BatchView
    from composer.ui.batch_model import BatchTableModel
    from composer.ui.binding import DraftBinding

PASTE_SLICE_ROWS = 2000  # rows parsed per event-loop turn when pasting big blocks


class BatchTransfer:
    """Paste, import and export for the batch editor (whose attributes are declared here)."""

    binding: DraftBinding
    model: BatchTableModel
    view: BatchView
    message: SignalInstance
    _paste_job: PasteJob | None
    _dialog: QFileDialog | None

    def refresh_state(self) -> None:
        """Provided by the editor."""
        raise NotImplementedError

    def _parent_widget(self) -> QWidget:
        assert isinstance(self, QWidget)
        return self

    def paste_clipboard(self) -> None:
        """Paste the clipboard's text at the current cell."""
        self.paste_text(QGuiApplication.clipboard().text())

    def paste_text(self, text: str, row: int | None = None, column: int | None = None) -> None:
        """Paste a TSV/CSV block; into an empty table, its first row names the columns."""
        if not text.strip():
            self.message.emit("Nothing to paste: the clipboard holds no text")
            return
        current = self.view.currentIndex()
        row = row if row is not None else max(0, current.row())
        column = column if column is not None else max(0, current.column())
        if not self.model.table.columns:
            try:
                table = table_from_csv(text)
            except BatchImportError as exc:
                self.message.emit(f"Cannot paste: {exc}")
                return
            self.model.write_table(table)
            self.refresh_state()
            self.message.emit(f"Pasted {len(table.columns)} columns")
            return
        rows = read_rows(text)
        if rows and is_header_row(rows[0], self.model.table, column):
            rows = rows[1:]
        self._paste_job = PasteJob(self, rows, row, column)
        self._paste_job.start()

    def finish_paste(self, block: list[list[Any]], row: int, column: int) -> None:
        self._paste_job = None
        table = paste_block(self.model.table, block, row, column)
        self.model.write_table(table)
        cells = sum(len(line) for line in block)
        self.message.emit(f"Pasted {cells:,} cells: {run_count_label(self.binding.draft.body)}")

    @property
    def pasting(self) -> bool:
        """True while a large paste is being parsed."""
        return self._paste_job is not None

    def choose_import(self) -> None:
        """Pick a CSV file to import (non-modal dialog)."""
        from PySide6.QtWidgets import QFileDialog  # loaded when first needed (start-up)

        dialog = QFileDialog(self._parent_widget(), "Import a batch table")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setNameFilter("CSV or TSV (*.csv *.tsv *.txt);;All files (*)")
        dialog.fileSelected.connect(lambda name: self.import_csv(Path(name)))
        self._dialog = dialog
        dialog.open()

    def import_csv(self, path: Path) -> bool:
        """Replace the table with a CSV/TSV file's (header row: names); errors as a message."""
        try:
            text = path.read_text(encoding="utf-8-sig")
            table = table_from_csv(text)
        except (OSError, UnicodeDecodeError) as exc:
            self.message.emit(f"Cannot import {path.name}: {exc}")
            return False
        except BatchImportError as exc:
            self.message.emit(f"Cannot import {path.name}: {exc}")
            return False
        self.model.write_table(table)
        self.refresh_state()
        self.message.emit(f"Imported {path.name}: {run_count_label(self.binding.draft.body)}")
        return True

    def choose_export(self) -> None:
        """Pick where to export the table as CSV (non-modal dialog)."""
        from PySide6.QtWidgets import QFileDialog  # loaded when first needed (start-up)

        dialog = QFileDialog(self._parent_widget(), "Export the batch table")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("csv")
        dialog.setNameFilter("CSV (*.csv)")
        dialog.fileSelected.connect(lambda name: self.export_csv(Path(name)))
        self._dialog = dialog
        dialog.open()

    def export_csv(self, path: Path) -> bool:
        """Write the table as CSV (atomically)."""
        from composer.core.atomic import write_text_atomic

        try:
            write_text_atomic(path, table_to_csv(self.model.table))
        except OSError as exc:
            self.message.emit(f"Cannot export to {path}: {exc.strerror or exc}")
            return False
        self.message.emit(f"Exported the batch table to {path}")
        return True


class PasteJob:
    """Parses pasted rows in slices on timer ticks, then writes the table once."""

    def __init__(self, editor: BatchTransfer, rows: list[list[str]], row: int, column: int):
        self.editor = editor
        self.rows = rows
        self.row = row
        self.column = column
        self.block: list[list[Any]] = []
        self.position = 0
        self.timer = QTimer(editor._parent_widget())
        self.timer.setInterval(0)
        self.timer.timeout.connect(self.step)

    def start(self) -> None:
        if len(self.rows) <= PASTE_SLICE_ROWS:
            self.block = parse_block(self.rows)
            self.editor.finish_paste(self.block, self.row, self.column)
            return
        self.editor.message.emit(f"Pasting {len(self.rows):,} rows…")
        self.timer.start()

    def step(self) -> None:
        end = self.position + PASTE_SLICE_ROWS
        self.block += parse_block(self.rows[self.position : end])
        self.position = end
        if self.position >= len(self.rows):
            self.timer.stop()
            self.timer.deleteLater()
            self.editor.finish_paste(self.block, self.row, self.column)
