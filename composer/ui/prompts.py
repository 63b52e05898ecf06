"""Non-modal questions: "save your changes?" and "name this preset".

Both open with ``open()`` and answer through a callback, so no nested event loop runs (a modal
``exec()`` inside a coroutine breaks the qasync loop). The window keeps the open prompt in an
attribute, so tests and tools can answer it.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QInputDialog, QLineEdit, QMessageBox, QWidget

Choice = str  # "save", "discard" or "cancel"


def ask_unsaved(
    parent: QWidget, title: str, action: str, answer: Callable[[Choice], None]
) -> QMessageBox:
    """Ask whether to save ``title`` before ``action``; ``answer`` gets the choice."""
    box = QMessageBox(parent)
    box.setObjectName("unsaved_prompt")
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("Unsaved changes")
    box.setText(f"Save the changes to “{title}” before {action}?")
    box.setInformativeText("Your edits are lost if you don't save them.")
    save = box.addButton("Save", QMessageBox.ButtonRole.AcceptRole)
    discard = box.addButton("Don't save", QMessageBox.ButtonRole.DestructiveRole)
    cancel = box.addButton("Cancel", QMessageBox.ButtonRole.RejectRole)
    save.setObjectName("unsaved_prompt__save")
    discard.setObjectName("unsaved_prompt__discard")
    cancel.setObjectName("unsaved_prompt__cancel")
    box.setDefaultButton(save)
    box.setEscapeButton(cancel)

    def finished(_result: int) -> None:
        clicked = box.clickedButton()
        choice = "save" if clicked is save else "discard" if clicked is discard else "cancel"
        box.deleteLater()
        answer(choice)

    box.finished.connect(finished)
    box.open()
    return box


def ask_name(
    parent: QWidget, title: str, suggestion: str, answer: Callable[[str | None], None]
) -> QInputDialog:
    """Ask for a preset name; ``answer`` gets it, or None when cancelled."""
    dialog = QInputDialog(parent)
    dialog.setObjectName("name_prompt")
    dialog.setWindowTitle(title)
    dialog.setLabelText("Preset name:")
    dialog.setTextValue(suggestion)
    dialog.setTextEchoMode(QLineEdit.EchoMode.Normal)
    dialog.setOkButtonText("Save")

    def finished(result: int) -> None:
        text = dialog.textValue()
        dialog.deleteLater()
        answer(text if result == QInputDialog.DialogCode.Accepted else None)

    dialog.finished.connect(finished)
    dialog.open()
    return dialog


def suggested_name(subject: object, detail: str | None, fallback: str) -> str:
    """A preset name to offer: ``subject: detail`` (the detail cut to 40 characters), either one
    alone, or ``fallback`` when there is neither."""
    parts = [str(subject)] if subject else []
    if detail:
        parts.append(detail[:40])
    return ": ".join(parts) or fallback
