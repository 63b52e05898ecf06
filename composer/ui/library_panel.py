"""The presets library panel: search, open, new, duplicate, rename, delete (with undo),
import and export. Every operation is a file operation of
:class:`~composer.core.library.PresetLibrary`; the panel only shows the folder and asks it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, QSize, QSortFilterProxyModel, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QIcon, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from composer.ui.banner import Banner
from composer.ui.icons import icon, set_icon
from composer.ui.theme import current_theme, set_role

if TYPE_CHECKING:  # presets load with pydantic: the list fills in after the window shows
    from PySide6.QtWidgets import QFileDialog

    from composer.core.library import DeletedPreset, LibraryEntry, PresetLibrary

PATH_ROLE = Qt.ItemDataRole.UserRole + 1
ERROR_ROLE = Qt.ItemDataRole.UserRole + 2
NAME_ROLE = Qt.ItemDataRole.UserRole + 3


class LibraryPanel(QWidget):
    """Lists the library's presets; emits what the window should do with them."""

    open_requested = Signal(Path)
    new_requested = Signal()
    message = Signal(str)
    renamed = Signal(Path, Path)  # old path, new path
    deleted = Signal(Path)
    restored = Signal(Path)

    def __init__(self, library: PresetLibrary | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("library")
        self.library = library
        self.current: Path | None = None
        self.current_dirty = False
        self.last_deleted: DeletedPreset | None = None
        self._dialog: QFileDialog | None = None
        self._loading = False

        title = QLabel("Presets")
        set_role(title, "section")
        self.search = QLineEdit()
        self.search.setObjectName("preset_search")
        self.search.setAccessibleName("Search presets")
        self.search.setPlaceholderText("Search presets")
        self.search.addAction(icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        self.search.setClearButtonEnabled(True)

        self.model = QStandardItemModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.proxy.setFilterRole(NAME_ROLE)
        self.search.textChanged.connect(self.proxy.setFilterFixedString)
        self.view = QListView()
        self.view.setObjectName("presets")
        self.view.setAccessibleName("Presets")
        self.view.setModel(self.proxy)
        self.view.setEditTriggers(
            QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.SelectedClicked
        )
        self.view.setUniformItemSizes(True)
        self.view.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.view.setWordWrap(False)
        self.view.setFrameShape(QListView.Shape.NoFrame)
        self.view.setSpacing(1)
        self.view.activated.connect(self._on_activated)
        self.view.clicked.connect(self._on_activated)
        self.model.itemChanged.connect(self._on_item_changed)

        self.undo_banner = Banner("library_undo")
        self.empty = QLabel("No presets yet. Compose a request and save it (Ctrl+S).")
        self.empty.setWordWrap(True)
        set_role(self.empty, "muted")

        buttons = QHBoxLayout()
        buttons.setSpacing(2)
        self.buttons: dict[str, QToolButton] = {}
        for name, icon_name, tip, slot in (
            ("new", "new", "New request (Ctrl+N)", self.new_requested.emit),
            ("duplicate", "duplicate", "Duplicate the selected preset", self.duplicate_selected),
            ("rename", "rename", "Rename the selected preset (F2)", self.rename_selected),
            ("delete", "delete", "Delete the selected preset", self.delete_selected),
            ("import", "import", "Import preset files…", self.choose_import),
            ("export", "export", "Export the selected preset…", self.choose_export),
        ):
            button = QToolButton()
            set_icon(button, icon_name)
            button.setToolTip(tip)
            button.setAccessibleName(tip)
            button.setObjectName(f"preset_{name}")
            set_role(button, "flat")
            button.clicked.connect(slot)
            buttons.addWidget(button)
            self.buttons[name] = button
        buttons.addStretch(1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.setSpacing(6)
        layout.addWidget(title)
        layout.addWidget(self.search)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.empty)
        layout.addWidget(self.undo_banner)
        layout.addLayout(buttons)
        self.refresh()

    @property
    def _library(self) -> PresetLibrary:
        if self.library is None:
            raise RuntimeError("the presets library is not open yet")
        return self.library

    # --- the list ---

    def refresh(self, select: Path | None = None) -> None:
        """Re-read the folder; keep (or move) the selection."""
        self._loading = True
        try:
            self.model.clear()
            entries = self.library.entries() if self.library is not None else []
            for entry in entries:
                self.model.appendRow(self._item(entry))
        finally:
            self._loading = False
        # Before the library is read (the first frame) an empty list is not "no presets".
        self.empty.setVisible(self.library is not None and self.model.rowCount() == 0)
        self._mark_current()
        if select is not None or self.current is not None:
            self.select(select or self.current)

    def _item(self, entry: LibraryEntry) -> QStandardItem:
        item = QStandardItem(entry.name)
        item.setSizeHint(QSize(-1, 30))
        item.setData(str(entry.path), PATH_ROLE)
        item.setData(entry.name, NAME_ROLE)
        if entry.preset is not None:
            kind = entry.preset.kind.label
            details = [kind, entry.preset.description or "", entry.path.name]
            item.setToolTip("\n".join(part for part in details if part))
            item.setIcon(_row_icon(broken=False))
        else:
            item.setData(str(entry.error), ERROR_ROLE)
            item.setToolTip(f"Cannot be opened: {entry.error.reason if entry.error else ''}")
            item.setIcon(_row_icon(broken=True))
            item.setEditable(False)
        return item

    def recolor(self) -> None:
        """Re-tint the rows' icons for the current theme (no re-reading of the folder, which
        loads and validates every preset)."""
        self._loading = True  # icon changes are item changes: not renames
        try:
            for row in range(self.model.rowCount()):
                item = self.model.item(row)
                item.setIcon(_row_icon(broken=item.data(ERROR_ROLE) is not None))
        finally:
            self._loading = False

    def set_current(self, path: Path | None, dirty: bool) -> None:
        """Show which preset the window holds, and whether it has unsaved edits."""
        self.current = path
        self.current_dirty = dirty
        self._mark_current()
        if path is not None:
            self.select(path)

    def _mark_current(self) -> None:
        self._loading = True
        try:
            for row in range(self.model.rowCount()):
                item = self.model.item(row)
                is_current = self.current is not None and item.data(PATH_ROLE) == str(self.current)
                name = item.data(NAME_ROLE)
                text = f"{name}  •" if is_current and self.current_dirty else name
                if item.text() != text:
                    item.setText(text)
                font = QFont(item.font())
                font.setBold(is_current)
                item.setFont(font)
        finally:
            self._loading = False

    def select(self, path: Path | None) -> None:
        """Select the row of ``path``."""
        index = self._index_of(path)
        if index.isValid():
            self.view.setCurrentIndex(index)

    def _index_of(self, path: Path | None) -> QModelIndex:
        for row in range(self.proxy.rowCount()):
            index = self.proxy.index(row, 0)
            if path is not None and index.data(PATH_ROLE) == str(path):
                return index
        return QModelIndex()

    def selected_path(self) -> Path | None:
        """The selected preset's file."""
        index = self.view.currentIndex()
        data = index.data(PATH_ROLE) if index.isValid() else None
        return Path(data) if data else None

    def paths(self) -> list[Path]:
        """Files listed (after the search filter), top to bottom."""
        return [
            Path(self.proxy.index(row, 0).data(PATH_ROLE)) for row in range(self.proxy.rowCount())
        ]

    def names(self) -> list[str]:
        """Preset names listed (after the search filter)."""
        return [self.proxy.index(row, 0).data(NAME_ROLE) for row in range(self.proxy.rowCount())]

    def _on_activated(self, index: QModelIndex) -> None:
        error = index.data(ERROR_ROLE)
        if error:
            self.message.emit(str(error))
            return
        path = Path(index.data(PATH_ROLE))
        if path != self.current:
            self.open_requested.emit(path)

    # --- operations ---

    def duplicate_selected(self) -> Path | None:
        """Copy the selected preset as "<name> copy"."""
        path = self.selected_path()
        if path is None:
            return None
        try:
            copy = self._library.duplicate(path)
        except (_preset_error(), OSError) as exc:
            self.message.emit(f"Cannot duplicate: {exc}")
            return None
        self.refresh(select=copy)
        self.message.emit(f"Duplicated as {copy.name}")
        return copy

    def rename_selected(self) -> None:
        """Start editing the selected preset's name in place."""
        index = self.view.currentIndex()
        if index.isValid() and not index.data(ERROR_ROLE):
            self._loading = True
            self.model.itemFromIndex(self.proxy.mapToSource(index)).setText(index.data(NAME_ROLE))
            self._loading = False
            self.view.edit(index)

    def _on_item_changed(self, item: QStandardItem) -> None:
        if self._loading:
            return
        # Renaming rebuilds the list, which must not happen inside the model's own setData.
        path, name = Path(item.data(PATH_ROLE)), item.text()
        QTimer.singleShot(0, self, lambda: self.rename(path, name))

    def rename(self, path: Path, name: str) -> Path | None:
        """Rename a preset (its file follows its name); a bad name gets a message."""
        name = name.strip()
        if not name:
            self.message.emit("A preset needs a name")
            self.refresh()
            return None
        try:
            target = self._library.rename(path, name)
        except (_preset_error(), OSError) as exc:
            self.message.emit(f"Cannot rename: {exc}")
            self.refresh()
            return None
        if self.current == path:
            self.current = target
        self.refresh(select=target)
        self.renamed.emit(path, target)
        return target

    def delete_selected(self) -> None:
        """Delete the selected preset (undo from the banner)."""
        path = self.selected_path()
        if path is not None:
            self.delete(path)

    def delete(self, path: Path) -> bool:
        """Delete a preset file and offer to undo it."""
        index = self._index_of(path)
        name = index.data(NAME_ROLE) if index.isValid() else path.stem
        try:
            self.last_deleted = self._library.delete(path)
        except OSError as exc:
            self.message.emit(f"Cannot delete {path.name}: {exc.strerror or exc}")
            return False
        self.refresh()
        self.undo_banner.show_message(f"Deleted “{name}”.", [("Undo", self._undo_delete_action)])
        self.deleted.emit(path)
        return True

    def _undo_delete_action(self) -> None:
        self.undo_delete()

    def undo_delete(self) -> Path | None:
        """Put the last deleted preset back."""
        deleted, self.last_deleted = self.last_deleted, None
        self.undo_banner.hide()
        if deleted is None:
            return None
        try:
            path = self._library.restore(deleted)
        except OSError as exc:
            self.message.emit(f"Cannot restore {deleted.path.name}: {exc.strerror or exc}")
            return None
        self.refresh(select=path)
        self.restored.emit(path)
        self.message.emit(f"Restored {path.name}")
        return path

    def choose_import(self) -> None:
        """Pick preset files to import (non-modal dialog)."""
        from PySide6.QtWidgets import QFileDialog  # loaded when first needed (start-up)

        dialog = QFileDialog(self, "Import presets")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
        dialog.setNameFilter("Presets or request bodies (*.json);;All files (*)")
        dialog.filesSelected.connect(lambda names: self.import_files([Path(n) for n in names]))
        self._dialog = dialog
        dialog.open()

    def import_files(self, paths: list[Path]) -> list[Path]:
        """Copy presets (or bare request bodies) into the library; reports each failure."""
        imported: list[Path] = []
        problems: list[str] = []
        for source in paths:
            try:
                imported.append(self._library.import_file(source))
            except (_preset_error(), OSError) as exc:
                problems.append(str(exc))
        self.refresh(select=imported[-1] if imported else None)
        done = f"Imported {len(imported)} preset" + ("" if len(imported) == 1 else "s")
        self.message.emit("; ".join([done, *problems]) if problems else done)
        return imported

    def choose_export(self) -> None:
        """Pick where to export the selected preset (non-modal dialog)."""
        path = self.selected_path()
        if path is None:
            return
        from PySide6.QtWidgets import QFileDialog

        dialog = QFileDialog(self, "Export preset", str(Path.home() / path.name))
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("json")
        dialog.fileSelected.connect(lambda name: self.export(path, Path(name)))
        self._dialog = dialog
        dialog.open()

    def export(self, path: Path, destination: Path) -> bool:
        """Write a preset to another file."""
        try:
            self._library.export_file(path, destination)
        except (_preset_error(), OSError) as exc:
            self.message.emit(f"Cannot export: {exc}")
            return False
        self.message.emit(f"Exported to {destination}")
        return True


def _preset_error() -> type[Exception]:
    from composer.core.presets import PresetError

    return PresetError


def _row_icon(*, broken: bool) -> QIcon:
    """A row's icon: a preset, or a warning for a file that does not load."""
    theme = current_theme()
    return icon("warning", theme.warning) if broken else icon("preset", theme.muted)
