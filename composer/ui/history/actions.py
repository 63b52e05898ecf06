"""What the History view does with its entries: reopen, save as preset, delete, and the size
bound. Mixed into :class:`~composer.ui.history.view.HistoryView`; the questions it asks are
non-modal (``open()`` and a callback), so no nested event loop runs."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import SignalInstance
from PySide6.QtWidgets import QMessageBox, QSpinBox, QWidget

from composer.core.history import HistoryError, HistoryStore, SentRequest
from composer.core.wire import guess_kind
from composer.ui.banner import Banner
from composer.ui.history.details import HistoryDetails
from composer.ui.history.model import HistoryListModel
from composer.ui.prompts import ask_name, suggested_name

if TYPE_CHECKING:
    from composer.core.library import PresetLibrary


class HistoryActions:
    """The view's actions; the attributes below are the view's."""

    store: HistoryStore | None
    model: HistoryListModel
    details: HistoryDetails
    banner: Banner
    library: PresetLibrary | None
    max_entries: QSpinBox
    prompt: QWidget | None
    message: SignalInstance
    reopen_requested: SignalInstance
    preset_saved: SignalInstance

    def selected_ids(self) -> list[int]:
        raise NotImplementedError

    def _update_count(self) -> None:
        raise NotImplementedError

    def _parent(self) -> QWidget:
        assert isinstance(self, QWidget)
        return self

    def reopen_selected(self) -> SentRequest | None:
        """Emit ``reopen_requested`` with the selected entry's body exactly as it was sent."""
        ids = self.selected_ids()
        if len(ids) != 1 or self.store is None:
            return None
        try:
            sent = self.store.reopen(ids[0])
        except HistoryError as exc:
            self.banner.show_message(str(exc), level="error")
            return None
        self.reopen_requested.emit(sent)
        return sent

    def ask_save_preset(self) -> None:
        """Ask for a name, then save the selected entry's body as a preset."""
        ids = self.selected_ids()
        if len(ids) != 1 or self.store is None:
            return
        detail = self.details.detail
        suggestion = (
            suggested_name(detail.summary.subject_id, detail.summary.inputs_preview, "From history")
            if detail
            else ""
        )

        def named(name: str | None) -> None:
            self.prompt = None
            if name:
                self.save_preset(ids[0], name)

        self.prompt = ask_name(self._parent(), "Save as preset", suggestion, named)

    def save_preset(self, submission_id: int, name: str) -> Path | None:
        """Save an entry's body as a preset called ``name`` in the library."""
        from composer.core.library import PresetLibrary
        from composer.core.presets import Preset, PresetError
        from composer.core.validation import validate_body

        if self.store is None or not name.strip():
            return None
        try:
            sent = self.store.reopen(submission_id)
        except HistoryError as exc:
            self.message.emit(str(exc))
            return None
        kind = guess_kind(sent.kind, sent.body)
        validation = validate_body(sent.body, kind)
        if validation.request is None:
            first = validation.errors[0]
            self.message.emit(f"Not saved as a preset: {first}")
            return None
        library = self.library or PresetLibrary()
        preset = Preset(name.strip(), kind, validation.request.to_wire(), target=sent.target_name)
        try:
            path = library.save(preset)
        except (PresetError, OSError) as exc:
            self.message.emit(f"Not saved as a preset: {exc}")
            return None
        self.message.emit(f"Saved “{preset.name}” to the presets ({path.name})")
        self.preset_saved.emit(path)
        return path

    def confirm_delete(self) -> None:
        """Ask before deleting the selected entries (the history cannot bring them back)."""
        ids = self.selected_ids()
        if not ids or self.store is None:
            return
        count = len(ids)
        box = QMessageBox(self._parent())
        box.setObjectName("history_delete_prompt")
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("Delete from history")
        box.setText(
            f"Delete {'this entry' if count == 1 else f'{count} entries'} from the history?"
        )
        box.setInformativeText(
            "Their runs, status changes and output links are removed from this computer. "
            "The runs on the server are not touched."
        )
        delete = box.addButton("Delete", QMessageBox.ButtonRole.DestructiveRole)
        delete.setObjectName("history_delete_prompt__delete")
        cancel = box.addButton("Cancel", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(cancel)
        box.setEscapeButton(cancel)

        def finished(_result: int) -> None:
            self.prompt = None
            chosen = box.clickedButton() is delete
            box.deleteLater()
            if chosen:
                self.delete_ids(ids)

        box.finished.connect(finished)
        self.prompt = box
        box.open()

    def delete_ids(self, ids: list[int]) -> int:
        """Delete entries now; returns how many existed."""
        if self.store is None:
            return 0
        try:
            removed = self.store.delete(ids)
        except HistoryError as exc:
            self.banner.show_message(str(exc), level="error")
            return 0
        self.model.remove_ids(ids)
        self.details.show_detail(None)
        self._update_count()
        self.message.emit(f"Deleted {removed} history entr{'y' if removed == 1 else 'ies'}")
        return removed

    def ask_max_entries(self, value: int) -> None:
        """Change the size bound; asks first when entries would be deleted now."""
        if self.store is None or value == self.store.settings.max_entries:
            return
        excess = self.store.count() - value
        if excess <= 0:
            self.set_max_entries(value)
            return
        box = QMessageBox(self._parent())
        box.setObjectName("history_prune_prompt")
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("Keep fewer entries")
        box.setText(f"Keep only the newest {value:,} entries?")
        box.setInformativeText(
            f"The {excess:,} oldest entr{'y is' if excess == 1 else 'ies are'} deleted now."
        )
        apply = box.addButton("Delete older entries", QMessageBox.ButtonRole.DestructiveRole)
        apply.setObjectName("history_prune_prompt__apply")
        cancel = box.addButton("Cancel", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(cancel)

        def finished(_result: int) -> None:
            self.prompt = None
            chosen = box.clickedButton() is apply
            box.deleteLater()
            if chosen:
                self.set_max_entries(value)
            elif self.store is not None:
                self.max_entries.setValue(self.store.settings.max_entries)

        box.finished.connect(finished)
        self.prompt = box
        box.open()

    def set_max_entries(self, value: int) -> int:
        """Keep at most ``value`` entries from now on; returns how many were deleted now."""
        if self.store is None:
            return 0
        try:
            pruned = self.store.set_max_entries(value)
        except (HistoryError, ValueError) as exc:
            self.banner.show_message(str(exc), level="error")
            return 0
        self.max_entries.setValue(value)
        if pruned:
            self.model.reload()
        self._update_count()
        self.message.emit(
            f"The history keeps the newest {value:,} entries"
            + (f"; {pruned:,} older ones deleted" if pruned else "")
        )
        return pruned
