"""The batch editor: the ``batch_input_params`` table with its tools and the live run count.

Left unset, the request has no batch (the editor offers to add one). Set, it shows the table,
buttons to add, remove and rename columns and rows, paste (TSV from a spreadsheet or CSV),
CSV import and export, and "3 x 3 = 9 runs" with the batch warnings. Large pastes are parsed in
slices between event-loop turns so the window never stalls.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from composer.core.batch import (
    BatchTable,
    format_cell,
    run_count_label,
)
from composer.core.draft import MISSING, DraftChange, path_text
from composer.ui.batch_model import PATH, BatchTableModel
from composer.ui.batch_transfer import BatchTransfer, PasteJob
from composer.ui.binding import DraftBinding
from composer.ui.icons import set_icon
from composer.ui.menu_button import MenuButton
from composer.ui.problems import Problem
from composer.ui.theme import set_role

if TYPE_CHECKING:
    from PySide6.QtWidgets import QFileDialog


def _tool(name: str, text: str, tip: str, object_name: str) -> QToolButton:
    button = QToolButton()
    set_icon(button, name)
    button.setText(text)
    button.setToolTip(tip)
    button.setObjectName(object_name)
    button.setAccessibleName(tip)
    set_role(button, "flat")
    button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    return button


class BatchView(QTableView):
    """The table view: Ctrl+V pastes a block, Delete removes values, headers rename inline."""

    paste_requested = Signal()
    delete_requested = Signal()

    def keyPressEvent(self, event: Any) -> None:
        from PySide6.QtGui import QKeySequence  # not needed for the first frame

        if event.matches(QKeySequence.StandardKey.Paste):
            self.paste_requested.emit()
            return
        if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace) and self.state() != (
            QAbstractItemView.State.EditingState
        ):
            self.delete_requested.emit()
            return
        super().keyPressEvent(event)


class BatchEditor(BatchTransfer, QWidget):
    """Edits ``batch_input_params``; problem sink for that path."""

    message = Signal(str)  # status-bar messages (paste done, import failed, ...)

    def __init__(self, binding: DraftBinding, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.binding = binding
        self.model = BatchTableModel(binding, self)
        self.model.message.connect(self.message)
        self.view = BatchView()
        self.view.setObjectName("batch_input_params")
        self.view.setAccessibleName("batch_input_params")
        self.view.setModel(self.model)
        self.view.setAlternatingRowColors(True)
        self.view.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
        )
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        header.setDefaultSectionSize(140)
        header.sectionDoubleClicked.connect(self.start_rename)
        self.view.verticalHeader().setDefaultSectionSize(24)
        self.view.paste_requested.connect(self.paste_clipboard)
        self.view.delete_requested.connect(self.delete_selection)
        self._rename_edit: QLineEdit | None = None
        self._fitted_shape: tuple[tuple[str, ...], int] = ((), 0)
        self._paste_job: PasteJob | None = None
        self._dialog: QFileDialog | None = None

        # unset state
        self.empty = QWidget()
        empty_layout = QHBoxLayout(self.empty)
        empty_layout.setContentsMargins(0, 0, 0, 0)
        note = QLabel("No batch: the request starts one run (or batch_number copies).")
        set_role(note, "muted")
        note.setWordWrap(True)
        self.add_batch = QPushButton("Add batch parameters")
        set_icon(self.add_batch, "add")
        self.add_batch.setObjectName("batch_input_params__add")
        self.add_batch.setToolTip("Run every combination of value lists (a Cartesian product)")
        self.add_batch.clicked.connect(self.create_batch)
        empty_layout.addWidget(note, 1)
        empty_layout.addWidget(self.add_batch)

        # set state
        self.tools = QWidget()
        tools = QHBoxLayout(self.tools)
        tools.setContentsMargins(0, 0, 0, 0)
        tools.setSpacing(2)
        add_column = _tool("add", "Column", "Add a column", "batch__add_column")
        add_column.clicked.connect(lambda: self.add_column())
        remove_column = _tool(
            "remove", "Column", "Remove the current column", "batch__remove_column"
        )
        remove_column.clicked.connect(self.remove_current_column)
        rename = _tool("rename", "Rename", "Rename the current column", "batch__rename")
        rename.clicked.connect(lambda: self.start_rename(max(0, self.view.currentIndex().column())))
        add_row = _tool(
            "add", "Row", "Add a value at the end of the current column", "batch__add_row"
        )
        add_row.clicked.connect(self.edit_append_cell)
        remove_rows = _tool("remove", "Rows", "Remove the selected rows", "batch__remove_rows")
        remove_rows.clicked.connect(self.remove_selected_rows)
        paste = _tool(
            "paste", "Paste", "Paste cells (TSV from a spreadsheet, or CSV)", "batch__paste"
        )
        paste.clicked.connect(self.paste_clipboard)
        import_csv = _tool(
            "import", "Import…", "Import a CSV file (header row: names)", "batch__import"
        )
        import_csv.clicked.connect(self.choose_import)
        export_csv = _tool("export", "Export…", "Export the table as CSV…", "batch__export")
        export_csv.clicked.connect(self.choose_export)
        drop = _tool("delete", "Remove", "Remove the batch (one run again)", "batch__remove")
        drop.clicked.connect(self.remove_batch)
        # Frequent actions as buttons; the rest in a menu (also the table's context menu), so
        # the editor stays narrow enough for the middle column.
        more = MenuButton()
        set_icon(more, "chevron-down")
        more.setText("More")
        more.setToolTip("More table actions")
        more.setAccessibleName("More table actions")
        more.setObjectName("batch__more")
        set_role(more, "flat")
        self.menu = more.popup_menu
        for button in (
            rename,
            remove_column,
            remove_rows,
            None,
            import_csv,
            export_csv,
            None,
            drop,
        ):
            if button is None:
                self.menu.addSeparator()
                continue
            action = self.menu.addAction(button.icon(), button.toolTip())
            action.setObjectName(button.objectName())
            action.triggered.connect(button.click)
        for button in (add_column, add_row, paste, more):
            tools.addWidget(button)
        tools.addStretch(1)
        self._buttons = [rename, remove_column, remove_rows, import_csv, export_csv, drop]
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(
            lambda point: self.menu.popup(self.view.viewport().mapToGlobal(point))
        )

        self.count = QLabel()
        self.count.setObjectName("run_count")
        set_role(self.count, "count")
        self.notes = QLabel()
        self.notes.setWordWrap(True)
        set_role(self.notes, "warning")
        self.notes.hide()
        count_line = QHBoxLayout()
        count_line.addWidget(self.count)
        count_line.addStretch(1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.empty)
        layout.addWidget(self.tools)
        layout.addWidget(self.view)
        layout.addLayout(count_line)
        layout.addWidget(self.notes)
        self.refresh_state()

    # --- following the draft ---

    def on_change(self, change: DraftChange) -> None:
        """Follow the draft (the model follows it by itself; this updates the rest)."""
        if change.touches(PATH) or change.touches(("batch_number",)):
            self.refresh_state()

    def fit_columns(self) -> None:
        """Size columns to their header and first values, within limits.

        (Qt's resizeColumnsToContents asks the model for a thousand rows per column, which
        stalls the window after pasting a big table; a few dozen values tell as much.)
        """
        metrics = self.view.fontMetrics()
        header = self.view.horizontalHeader()
        bold = header.fontMetrics()
        for column, (name, values) in enumerate(self.model.table.columns):
            texts = [format_cell(value) for value in values[:40]]
            width = max(
                [bold.horizontalAdvance(name) + 8] + [metrics.horizontalAdvance(t) for t in texts]
            )
            header.resizeSection(column, max(90, min(width + 24, 320)))
        rows = self.model.rowCount()
        height = header.height() + 24 * min(max(rows, 3), 12) + 4
        self.view.setFixedHeight(height)

    def refresh_state(self) -> None:
        """Show the table or the "add" offer, and the run count."""
        is_set = self.model.is_set
        self.empty.setVisible(not is_set)
        self.tools.setVisible(is_set)
        self.view.setVisible(is_set)
        self.count.setText(run_count_label(self.binding.draft.body))
        self.count.setVisible(is_set)
        shape = (tuple(self.model.table.names), min(self.model.rowCount(), 12))
        if is_set and shape != self._fitted_shape:
            self._fitted_shape = shape
            self.fit_columns()

    # --- structure ---

    def create_batch(self) -> None:
        """Start a batch with one column: the seed (or first input) and its current value."""
        inputs = self.binding.get(("inputs",), {})
        inputs = inputs if isinstance(inputs, dict) else {}
        name = "seed" if "seed" in inputs else next(iter(inputs), "seed")
        values = [inputs[name]] if name in inputs else []
        self.model.write_table(BatchTable([(name, values)]))
        self.refresh_state()
        self.view.setCurrentIndex(self.model.index(len(values), 0))
        self.view.setFocus()

    def remove_batch(self) -> None:
        """Leave ``batch_input_params`` out of the body."""
        self.binding.draft.seal()
        self.binding.unset(PATH)
        self.binding.draft.seal()

    def add_column(self, name: str | None = None) -> str:
        """Add a column (named after an input not yet in the table when possible)."""
        table = self.model.table
        inputs = self.binding.get(("inputs",), {})
        inputs = inputs if isinstance(inputs, dict) else {}
        if name is None:
            free = [key for key in inputs if key not in table.names]
            name = free[0] if free else _free_name(table.names)
        values = [inputs[name]] if name in inputs else []
        new = BatchTable([*table.columns, (name, values)])
        self.model.write_table(new)
        self.view.setCurrentIndex(self.model.index(len(values), len(new.columns) - 1))
        return name

    def remove_current_column(self) -> None:
        """Remove the column of the current cell."""
        column = self.view.currentIndex().column()
        if not 0 <= column < len(self.model.table.columns):
            return
        columns = [c for i, c in enumerate(self.model.table.columns) if i != column]
        self.model.write_table(BatchTable(columns))

    def rename_column(self, column: int, new_name: str) -> bool:
        """Rename a column; refuses an empty or taken name with a message."""
        names = self.model.table.names
        new_name = new_name.strip()
        if not 0 <= column < len(names) or new_name == names[column]:
            return False
        if not new_name or new_name in names:
            self.message.emit(
                "A column needs a name" if not new_name else f"{new_name!r} is already a column"
            )
            return False
        self.binding.draft.seal()
        self.binding.draft.rename_key(PATH, names[column], new_name)
        self.binding.draft.seal()
        return True

    def start_rename(self, column: int) -> None:
        """Edit a column name in place, over its header."""
        if not 0 <= column < len(self.model.table.columns):
            return
        header = self.view.horizontalHeader()
        edit = QLineEdit(header)
        edit.setObjectName("batch__rename_edit")
        edit.setText(self.model.table.names[column])
        edit.setGeometry(
            header.sectionViewportPosition(column), 0, header.sectionSize(column), header.height()
        )
        edit.selectAll()
        edit.show()
        edit.setFocus()

        def finish() -> None:
            if self._rename_edit is edit:
                self._rename_edit = None
                self.rename_column(column, edit.text())
                edit.hide()
                edit.deleteLater()

        edit.editingFinished.connect(finish)
        self._rename_edit = edit

    def edit_append_cell(self) -> None:
        """Start typing a new value at the end of the current column."""
        column = max(0, self.view.currentIndex().column())
        if column >= len(self.model.table.columns):
            return
        index = self.model.index(len(self.model.table.columns[column][1]), column)
        self.view.setCurrentIndex(index)
        self.view.edit(index)

    def remove_selected_rows(self) -> None:
        """Remove the rows that have a selected cell."""
        rows = sorted({index.row() for index in self.view.selectionModel().selectedIndexes()})
        if rows:
            self.model.remove_rows(rows)

    def delete_selection(self) -> None:
        """Remove the values of the selected cells (columns close up)."""
        cells = [(i.row(), i.column()) for i in self.view.selectionModel().selectedIndexes()]
        cells = [(r, c) for r, c in cells if self.model.value_at(r, c) is not MISSING]
        if cells:
            self.model.remove_values(cells)

    # --- problems ---

    def show_problems(self, problems: Sequence[Problem]) -> None:
        """Cell marks in the table; the messages under it."""
        self.model.show_problems(problems)
        lines = []
        for problem in problems[:6]:
            where = path_text(problem.loc)
            lines.append(f"{where}: {problem.text}" if where else problem.text)
        if len(problems) > 6:
            lines.append(f"… and {len(problems) - 6} more (hover the marked cells)")
        level = "error" if any(p.level == "error" for p in problems) else "warning"
        set_role(self.notes, level)
        self.notes.setText("\n".join(lines))
        self.notes.setVisible(bool(lines))


def _free_name(names: Sequence[str]) -> str:
    number = len(names) + 1
    while f"column_{number}" in names:
        number += 1
    return f"column_{number}"
