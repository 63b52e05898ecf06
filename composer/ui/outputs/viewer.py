"""The large view of an output image: its own non-modal window, fitted or at actual size.

One viewer serves a gallery or a grid: :meth:`ImageViewer.show_items` shows a list of pictures
at one of them, and the arrow keys (or *Previous*/*Next*) walk through the others. *Save…* saves
the file shown, *Open* hands its link to the system (the browser).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QSize, Qt, QUrl
from PySide6.QtGui import QDesktopServices, QImage, QKeySequence, QPixmap, QResizeEvent, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import Shiboken

from composer.client.files import SavedFile
from composer.core.output_files import OutputFile
from composer.ui.outputs.images import FULL_SIDE, ImageLoader, ImageLoadError
from composer.ui.outputs.saving import SaveBar, choose_file
from composer.ui.theme import set_role


@dataclass(frozen=True, slots=True)
class ViewItem:
    """One picture the viewer can show: its link, a title and the file name to save it as."""

    url: str
    title: str
    file_name: str


class ImageViewer(QWidget):
    """A window showing one output image at a time; non-modal, reused for every picture."""

    def __init__(self, loader: ImageLoader, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("image_viewer")
        self.setWindowTitle("Output")
        self.loader = loader
        self.items: list[ViewItem] = []
        self.index = 0
        self.fit = True
        self.state = "empty"  # empty | loading | image | error
        self._image: QImage | None = None
        self._task: asyncio.Task[None] | None = None

        self.title = QLabel()
        self.title.setObjectName("image_viewer__title")
        set_role(self.title, "section")
        self.position = QLabel()
        set_role(self.position, "muted")
        self.previous = QPushButton("‹ Previous")
        self.previous.setObjectName("image_viewer__previous")
        self.previous.clicked.connect(lambda: self.step(-1))
        self.next = QPushButton("Next ›")
        self.next.setObjectName("image_viewer__next")
        self.next.clicked.connect(lambda: self.step(1))
        self.zoom = QPushButton("Actual size")
        self.zoom.setObjectName("image_viewer__zoom")
        self.zoom.setToolTip("Switch between fitting the window and actual pixels (Z)")
        self.zoom.clicked.connect(self.toggle_fit)
        self.open_button = QPushButton("Open in browser")
        self.open_button.setObjectName("image_viewer__open")
        self.open_button.clicked.connect(self.open_externally)
        self.save_button = QPushButton("Save…")
        self.save_button.setObjectName("image_viewer__save")
        self.save_button.clicked.connect(self.ask_save)
        self.picture = QLabel()
        self.picture.setObjectName("image_viewer__picture")
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.picture.setWordWrap(True)
        self.scroller = QScrollArea()
        self.scroller.setObjectName("image_viewer__scroll")
        self.scroller.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.scroller.setWidget(self.picture)
        self.scroller.setWidgetResizable(True)
        self.save_bar = SaveBar()

        bar = QHBoxLayout()
        bar.addWidget(self.title, 1)
        bar.addWidget(self.position)
        bar.addSpacing(8)
        for button in (self.previous, self.next, self.zoom, self.open_button, self.save_button):
            bar.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 10, 10, 10)
        layout.addLayout(bar)
        layout.addWidget(self.scroller, 1)
        layout.addWidget(self.save_bar)
        for keys, slot in (
            ([Qt.Key.Key_Left, Qt.Key.Key_PageUp], lambda: self.step(-1)),
            ([Qt.Key.Key_Right, Qt.Key.Key_PageDown], lambda: self.step(1)),
            ([Qt.Key.Key_Z], self.toggle_fit),
            ([Qt.Key.Key_Escape], self.close),
        ):
            for key in keys:
                QShortcut(QKeySequence(key), self, slot)
        self.resize(900, 760)

    # --- showing ---

    def show_items(self, items: Sequence[ViewItem], index: int = 0) -> None:
        """Show ``items[index]`` and bring the window up (it stays open beside the main one)."""
        self.items = list(items)
        self.index = max(0, min(index, len(self.items) - 1))
        self._show_current()
        self.show()
        self.raise_()
        self.activateWindow()

    def step(self, delta: int) -> None:
        """Show the previous (-1) or next (+1) picture."""
        if not self.items:
            return
        self.index = (self.index + delta) % len(self.items)
        self._show_current()

    @property
    def current(self) -> ViewItem | None:
        """The picture shown."""
        return self.items[self.index] if self.items else None

    def _show_current(self) -> None:
        item = self.current
        many = len(self.items) > 1
        self.previous.setEnabled(many)
        self.next.setEnabled(many)
        self.position.setText(f"{self.index + 1} of {len(self.items)}" if many else "")
        if item is None:
            return
        self.title.setText(item.title)
        self.setWindowTitle(f"{item.title} — composer")
        if self._task is not None and not self._task.done():
            self._task.cancel()
        cached = self.loader.cached(item.url, FULL_SIDE)
        if cached is not None:
            self._set_image(cached)
            return
        self.state = "loading"
        self._image = None
        self.picture.setPixmap(QPixmap())
        self.picture.setText("Loading…")
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return
        self._task = asyncio.ensure_future(self._load(item))

    async def _load(self, item: ViewItem) -> None:
        try:
            image = await self.loader.load(item.url, FULL_SIDE)
        except ImageLoadError as exc:
            if Shiboken.isValid(self) and self.current == item:
                self.state = "error"
                self.picture.setText(f"✕ {exc.reason}")
            return
        if Shiboken.isValid(self) and self.current == item:
            self._set_image(image)

    def _set_image(self, image: QImage) -> None:
        self.state = "image"
        self._image = image
        self.picture.setText("")
        self._render()

    def toggle_fit(self) -> None:
        """Fit the window, or show actual pixels (scrolling)."""
        self.fit = not self.fit
        self.zoom.setText("Actual size" if self.fit else "Fit to window")
        self._render()

    def _render(self) -> None:
        if self._image is None:
            return
        pixmap = QPixmap.fromImage(self._image)
        if self.fit:
            self.scroller.setWidgetResizable(True)
            ratio = self.devicePixelRatioF()
            room = self.scroller.viewport().size() * ratio
            if pixmap.width() > room.width() or pixmap.height() > room.height():
                pixmap = pixmap.scaled(
                    QSize(max(1, room.width()), max(1, room.height())),
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
            pixmap.setDevicePixelRatio(ratio)
        else:
            self.scroller.setWidgetResizable(False)
            self.picture.resize(pixmap.size())
        self.picture.setPixmap(pixmap)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.fit:
            self._render()

    # --- actions ---

    def open_externally(self) -> None:
        """Hand the picture's link to the system (opens the browser)."""
        if self.current is not None:
            QDesktopServices.openUrl(QUrl(self.current.url))

    def ask_save(self) -> None:
        """Ask where to save the picture shown, then save it."""
        item = self.current
        if item is not None:
            choose_file(self, "Save output", item.file_name, lambda path: self.save_to(path))

    def save_to(self, path: Path) -> asyncio.Task[list[SavedFile]] | None:
        """Save the picture shown to ``path`` (through the client)."""
        item = self.current
        if item is None:
            return None
        file = OutputFile(path.name, url=item.url)
        return self.save_bar.save_to(self.loader.source, [file], [path])
