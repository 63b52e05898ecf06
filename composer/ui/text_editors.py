"""The text editor (multi-line, for prompts) and the image editor (a file or a URL) for inputs."""

from __future__ import annotations

import base64
import binascii
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSizePolicy,
    QToolButton,
    QWidget,
)

from composer.core.bodytext import describe_size
from composer.core.draft import MISSING
from composer.core.media import MediaFileError, data_uri_from_file, is_data_uri, is_image_reference
from composer.ui.editors import ValueEditor, register
from composer.ui.icons import set_icon
from composer.ui.theme import set_role

if TYPE_CHECKING:
    from PySide6.QtWidgets import QFileDialog

MAX_TEXT_LINES = 8


class GrowingTextEdit(QPlainTextEdit):
    """A plain-text box that grows with its content from one line up to a limit."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTabChangesFocus(True)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.document().documentLayout().documentSizeChanged.connect(lambda _size: self._fit())
        self._fit()

    def _fit(self) -> None:
        lines = max(1, min(MAX_TEXT_LINES, int(self.document().size().height())))
        margins = self.contentsMargins()
        frame = margins.top() + margins.bottom() + int(self.document().documentMargin() * 2)
        height = lines * self.fontMetrics().lineSpacing() + frame + 2
        if self.height() != height:
            self.setFixedHeight(height)

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self._fit()


@register
class TextEditor(ValueEditor):
    """Text, on as many lines as it needs (prompts); Tab moves on, Enter starts a new line."""

    type_name = "text"
    label = "Text"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.edit = GrowingTextEdit()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit)
        self.edit.textChanged.connect(lambda: self.emit_value(self.edit.toPlainText()))

    def main_widget(self) -> QWidget:
        return self.edit

    def show_value(self, value: Any) -> None:
        self.edit.setPlaceholderText(self.default_placeholder())
        text = "" if value is MISSING else value if isinstance(value, str) else json.dumps(value)
        if self.edit.toPlainText() != text:
            self.edit.setPlainText(text)

    @staticmethod
    def fits(value: Any) -> bool:
        return isinstance(value, str)

    @staticmethod
    def convert(value: Any) -> Any:
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        return json.dumps(value, ensure_ascii=False) if value is not None else ""


@register
class ImageEditor(ValueEditor):
    """An image: a URL typed in, or a file picked and sent inline as a data URI."""

    type_name = "image"
    label = "Image"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.thumbnail = QLabel()
        self.thumbnail.setFixedSize(28, 28)
        self.thumbnail.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.thumbnail.hide()
        self.edit = QLineEdit()
        self.edit.setPlaceholderText("https://… image URL, or choose a file")
        self.choose = QToolButton()
        set_icon(self.choose, "file")
        self.choose.setText("Choose file…")
        self.choose.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.choose.setToolTip("Send an image file inline (as a data: URI)")
        self.choose.clicked.connect(self.choose_file)
        self.drop = QToolButton()
        set_icon(self.drop, "clear")
        set_role(self.drop, "flat")
        self.drop.setToolTip("Remove the inline image (then type a URL or choose another file)")
        self.drop.setAccessibleName("Remove the inline image")
        self.drop.clicked.connect(self.drop_inline)
        self.drop.hide()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.thumbnail)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.drop)
        layout.addWidget(self.choose)
        self.edit.textEdited.connect(self._on_text)
        self._dialog: QFileDialog | None = None
        self._value: Any = MISSING
        self._thumbnail_uri = ""  # the data URI the thumbnail shows ("" when hidden)

    def main_widget(self) -> QWidget:
        return self.edit

    def _on_text(self, text: str) -> None:
        if self.edit.isReadOnly():
            return
        self.set_parse_error(None)
        self.emit_value(MISSING if text == "" and self.spec is not None else text)

    def drop_inline(self) -> None:
        """Remove an inline image, so a URL can be typed or another file chosen."""
        self.edit.setReadOnly(False)
        self.drop.hide()
        self.set_parse_error(None)
        value = MISSING if self.spec is not None else ""
        self.emit_value(value)
        self.set_value(value)

    def choose_file(self) -> None:
        """Open a (non-modal) file dialog; the chosen file is loaded by :meth:`load_file`."""
        from PySide6.QtWidgets import QFileDialog  # loaded when first needed (start-up)

        dialog = QFileDialog(self, "Choose an image to send inline")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setNameFilter("Images (*.png *.jpg *.jpeg *.webp *.gif *.bmp);;All files (*)")
        dialog.fileSelected.connect(lambda name: self.load_file(Path(name)))
        self._dialog = dialog
        dialog.open()

    def load_file(self, path: Path) -> bool:
        """Read an image file into a data URI; a bad or too big file gets a message here."""
        try:
            uri = data_uri_from_file(path)
        except MediaFileError as exc:
            self.set_parse_error(str(exc))
            return False
        self.set_parse_error(None)
        self.emit_value(uri)
        self.set_value(uri)  # the row skips refreshing its own edits: show the summary now
        return True

    def show_value(self, value: Any) -> None:
        self._value = value
        text = value if isinstance(value, str) else "" if value is MISSING else json.dumps(value)
        inline = isinstance(value, str) and is_data_uri(value)
        self.edit.setReadOnly(inline)
        self.drop.setVisible(inline)
        if inline:
            mime = text[5:].split(";", 1)[0].split(",", 1)[0] or "data"
            self.edit.setText(f"{mime} · {describe_size(len(text))}, sent inline")
        else:
            if self.edit.text() != text:
                self.edit.setText(text)
        if self.spec is not None:
            self.edit.setPlaceholderText(self.default_placeholder())
        self._show_thumbnail(text if inline else "")

    def _show_thumbnail(self, uri: str) -> None:
        # Every edit elsewhere in the inputs re-shows this row's value, and the draft shares
        # unchanged values (copy-on-write): the same URI is the same object, so this check is
        # instant, while decoding and scaling a large inline image on each keystroke is not.
        if uri == self._thumbnail_uri:  # identity first: no scan of the text
            return
        self._thumbnail_uri = uri
        pixmap = QPixmap()
        if uri and ";base64," in uri[:100]:
            try:
                data = base64.b64decode(uri.split(",", 1)[1], validate=False)
            except (binascii.Error, ValueError):
                data = b""
            pixmap.loadFromData(QByteArray(data))
        if pixmap.isNull():
            self.thumbnail.hide()
            return
        self.thumbnail.setPixmap(
            pixmap.scaled(
                28,
                28,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        )
        self.thumbnail.show()

    @staticmethod
    def fits(value: Any) -> bool:
        return isinstance(value, str) and is_image_reference(value)

    @staticmethod
    def convert(value: Any) -> Any:
        return value if isinstance(value, str) else ""
