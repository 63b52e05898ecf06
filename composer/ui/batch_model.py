"""``batch_input_params`` as a Qt table model over the Qt-free :class:`BatchTable`.

One column per input name; a column is a list of values, so columns may differ in length. Cells
below a column's end are empty; the row after the longest column is an "append" row where a new
value can be typed. Cells are typed: text is read with :func:`composer.core.batch.parse_cell`
(``42`` is a number, ``"42"`` text, ``true`` a boolean, ``[1, 2]`` a list) and shown with
:func:`format_cell`, which reads back to the same value and type.

The model never holds state of its own beyond a cached table: every edit goes to the draft, and
the model follows the draft.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QFont

from composer.core.batch import BatchTable, format_cell, parse_cell
from composer.core.draft import MISSING, DraftChange, Loc
from composer.ui.binding import DraftBinding
from composer.ui.problems import Problem
from composer.ui.theme import current_theme

PATH: Loc = ("batch_input_params",)
ORIGIN = "batch_input_params"

Index = QModelIndex | QPersistentModelIndex


def type_label(value: Any) -> str:
    """The JSON type of a value, as the tooltip names it."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "list"
    if value is None:
        return "null"
    return "object"


class BatchTableModel(QAbstractTableModel):
    """The batch table; edits write ``batch_input_params`` through the binding."""

    message = Signal(str)  # a refused edit, said in words

    def __init__(self, binding: DraftBinding, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.binding = binding
        self.table = BatchTable()
        self._rows = 0
        self._problems: dict[tuple[int, int], list[Problem]] = {}
        self._column_problems: dict[int, list[Problem]] = {}
        self.reload()
        binding.changed.connect(self.on_change)

    # --- following the draft ---

    def reload(self) -> None:
        """Read the table from the draft (a model reset)."""
        self.beginResetModel()
        params = self.binding.get(PATH, MISSING)
        self.table = BatchTable.from_params(params if isinstance(params, dict) else None)
        self._rows = self.table.row_count
        self.endResetModel()

    def on_change(self, change: DraftChange) -> None:
        """Follow edits other views made to ``batch_input_params``."""
        if change.origin != ORIGIN and change.touches(PATH):
            self.reload()

    @property
    def is_set(self) -> bool:
        """True when the body has ``batch_input_params``."""
        return self.binding.is_set(PATH)

    # --- Qt's model interface ---

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        if parent.isValid() or not self.table.columns:
            return 0
        return self._rows + 1  # the append row

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.table.columns)

    def value_at(self, row: int, column: int) -> Any:
        """The value in a cell, or MISSING for an empty cell."""
        values = self.table.columns[column][1]
        return values[row] if row < len(values) else MISSING

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, column = index.row(), index.column()
        value = self.value_at(row, column)
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return "" if value is MISSING else format_cell(value)
        if role == Qt.ItemDataRole.ToolTipRole:
            problems = self._problems.get((row, column), [])
            if value is MISSING:
                hint = (
                    "Type a value to add it to this column" if self._appendable(row, column) else ""
                )
                return "\n".join([p.text for p in problems] + ([hint] if hint else [])) or None
            return "\n".join([*(p.text for p in problems), type_label(value)])
        if role == Qt.ItemDataRole.TextAlignmentRole:
            numeric = isinstance(value, int | float) and not isinstance(value, bool)
            horizontal = Qt.AlignmentFlag.AlignRight if numeric else Qt.AlignmentFlag.AlignLeft
            return int(horizontal | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.BackgroundRole:
            marks = self._problems.get((row, column))
            if marks:
                theme = current_theme()
                error = any(p.level == "error" for p in marks)
                return QBrush(QColor(theme.error_bg if error else theme.warning_bg))
            return None
        if role == Qt.ItemDataRole.ForegroundRole:
            theme = current_theme()
            if isinstance(value, bool) or value is None:
                return QBrush(QColor(theme.json_literal))
            if isinstance(value, list | dict):
                return QBrush(QColor(theme.json_number))
            return None
        if role == Qt.ItemDataRole.FontRole and isinstance(value, list | dict):
            font = QFont()
            font.setFamily("monospace")
            return font
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal:
            if not 0 <= section < len(self.table.columns):
                return None
            name, values = self.table.columns[section]
            if role == Qt.ItemDataRole.DisplayRole:
                return name
            if role == Qt.ItemDataRole.ToolTipRole:
                lines = [f"{name}: {len(values)} value" + ("" if len(values) == 1 else "s")]
                lines += [p.text for p in self._column_problems.get(section, [])]
                lines.append("Double-click to rename")
                return "\n".join(lines)
            if role == Qt.ItemDataRole.ForegroundRole and self._column_problems.get(section):
                return QBrush(QColor(current_theme().error))
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return "+" if section == self._rows else str(section + 1)
        if role == Qt.ItemDataRole.ToolTipRole and section == self._rows:
            return "Type in this row to add values"
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if self._appendable(index.row(), index.column()) or (
            self.value_at(index.row(), index.column()) is not MISSING
        ):
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags

    def _appendable(self, row: int, column: int) -> bool:
        return row == len(self.table.columns[column][1])

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or not index.isValid():
            return False
        text = value if isinstance(value, str) else format_cell(value)
        return self.set_cell(index.row(), index.column(), text)

    # --- edits ---

    def set_cell(self, row: int, column: int, text: str) -> bool:
        """Write a cell from text; an empty text removes the value (the column closes up)."""
        name, values = self.table.columns[column]
        new = list(values)
        if text.strip() == "" and row < len(new):
            del new[row]
        elif text.strip() == "":
            return False
        elif row < len(new):
            new[row] = parse_cell(text)
        elif row == len(new):
            new.append(parse_cell(text))
        else:
            self.message.emit(
                f"Column {name!r} has {len(values)} values: fill row {len(values) + 1} first"
            )
            return False
        self._write_column(column, new)
        return True

    def _write_column(self, column: int, values: list[Any]) -> None:
        name = self.table.columns[column][0]
        old_rows = self.rowCount()
        self.table.columns[column] = (name, values)
        self._rows = self.table.row_count
        if self.rowCount() != old_rows:
            # Rows appear or vanish only at the end; a reset keeps this simple and exact.
            self.beginResetModel()
            self.endResetModel()
        else:
            first = self.index(0, column)
            last = self.index(max(0, self.rowCount() - 1), column)
            self.dataChanged.emit(first, last, [Qt.ItemDataRole.DisplayRole])
        self.binding.set((*PATH, name), values, origin=ORIGIN)

    def write_table(self, table: BatchTable) -> None:
        """Replace the whole table (paste, CSV import) as one undo step."""
        self.binding.draft.seal()
        self.beginResetModel()
        self.table = BatchTable([(name, list(values)) for name, values in table.columns])
        self._rows = self.table.row_count
        self.endResetModel()
        self.binding.set(PATH, table.to_params(), origin=ORIGIN)
        self.binding.draft.seal()

    def remove_values(self, cells: Sequence[tuple[int, int]]) -> None:
        """Remove the values of these cells; each column closes up."""
        by_column: dict[int, set[int]] = {}
        for row, column in cells:
            by_column.setdefault(column, set()).add(row)
        table = BatchTable([(name, list(values)) for name, values in self.table.columns])
        for column, rows in by_column.items():
            name, values = table.columns[column]
            table.columns[column] = (name, [v for i, v in enumerate(values) if i not in rows])
        self.write_table(table)

    def remove_rows(self, rows: Sequence[int]) -> None:
        """Remove whole rows: the values at these positions in every column."""
        cells = [(row, column) for row in rows for column in range(len(self.table.columns))]
        self.remove_values(cells)

    # --- problems ---

    def show_problems(self, problems: Sequence[Problem]) -> None:
        """Mark cells (``(name, index)``) and columns (``(name,)``)."""
        names = {name: column for column, (name, _values) in enumerate(self.table.columns)}
        cells: dict[tuple[int, int], list[Problem]] = {}
        columns: dict[int, list[Problem]] = {}
        for problem in problems:
            if not problem.loc or problem.loc[0] not in names:
                continue
            column = names[str(problem.loc[0])]
            if len(problem.loc) > 1 and isinstance(problem.loc[1], int):
                cells.setdefault((problem.loc[1], column), []).append(problem)
            else:
                columns.setdefault(column, []).append(problem)
        changed = cells != self._problems or columns != self._column_problems
        self._problems, self._column_problems = cells, columns
        if changed and self.rowCount() and self.columnCount():
            self.dataChanged.emit(
                self.index(0, 0),
                self.index(self.rowCount() - 1, self.columnCount() - 1),
                [Qt.ItemDataRole.BackgroundRole, Qt.ItemDataRole.ToolTipRole],
            )
            self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, self.columnCount() - 1)

    @property
    def cell_problems(self) -> dict[tuple[int, int], list[Problem]]:
        """Problems by (row, column), for tests and tools."""
        return dict(self._problems)
