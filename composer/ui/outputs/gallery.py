"""The outputs of one run: image thumbnails, texts, and other files as links; save one or all.

::

    gallery = OutputsGallery(api)      # api: an ApiClient (or any OutputSource)
    gallery.show_run(state)            # a RunState; call again as updates arrive
    gallery.save_all(folder)           # -> asyncio.Task, progress shown under the header

Thumbnails load asynchronously through the client and decode off the UI thread
(:mod:`composer.ui.outputs.images`). A click opens the large view (a separate, non-modal window).
Presigned links expire: a broken picture says why and offers *Retry*, which fetches the run again
for fresh links when the link was refused or gone (``GET /run/{id}``), else loads it again.
"""

from __future__ import annotations

import asyncio
import dataclasses
import html
from pathlib import Path
from typing import Final

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import Shiboken

from composer.client.errors import ApiError
from composer.client.files import SavedFile
from composer.core.output_files import OutputFile, files_of_run, media_file_name
from composer.core.runs import MediaItem, RunState, RunStatus
from composer.ui.outputs.flow import FlowLayout
from composer.ui.outputs.images import OutputSource
from composer.ui.outputs.panel import OutputPanel
from composer.ui.outputs.saving import SaveBar, choose_file, choose_folder
from composer.ui.outputs.tile import ImageTile, follow_theme
from composer.ui.outputs.viewer import ImageViewer, ViewItem
from composer.ui.theme import set_role

TILE_SIDE: Final = 180
_IMAGE_SUFFIXES: Final = (".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp")


def is_image(item: MediaItem) -> bool:
    """True for an output the views show as a picture (images and gifs; not video or meshes).

    A media item's ``type`` is ComfyUI's folder type (``output``, ``temp``), rarely a MIME type;
    only a MIME type is trusted."""
    if item.type and "/" in item.type:
        return item.type.lower().startswith("image/")
    if item.kind in ("images", "gifs"):
        return True
    name = (item.filename or item.url.split("?", 1)[0]).lower()
    return name.endswith(_IMAGE_SUFFIXES)


def describe_outputs(state: RunState) -> str:
    """``2 images · 1 text · 1 file`` (empty when there is nothing)."""
    pictures = sum(1 for item in state.media if is_image(item))
    files = len(state.media) - pictures
    texts = sum(len(output.texts) for output in state.outputs)
    parts = []
    for count, noun in ((pictures, "image"), (texts, "text"), (files, "file")):
        if count:
            parts.append(f"{count} {noun}{'s' if count != 1 else ''}")
    return " · ".join(parts)


def empty_text(state: RunState) -> str:
    """What the gallery says when a run has no outputs (yet)."""
    if state.lost or state.error:
        return f"composer lost track of this run: {state.error or 'status unknown'}"
    if not state.is_terminal:
        status = state.live_status or state.status
        return f"No outputs yet: the run is {status}."
    if state.status == RunStatus.SUCCESS:
        return "This run finished without saving any outputs."
    return f"The run ended {state.status}: it saved no outputs."


class OutputsGallery(OutputPanel):
    """Everything one run produced, for the runs panel's detail area and the History view."""

    message = Signal(str)  # for the status bar

    def __init__(self, source: OutputSource | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("outputs_gallery")
        self.state: RunState | None = None
        self.tiles: list[ImageTile] = []
        self._shown_key: tuple[object, ...] | None = None
        self._refresh: asyncio.Task[None] | None = None

        self.title = QLabel("Outputs")
        set_role(self.title, "section")
        self.summary = QLabel()
        self.summary.setObjectName("outputs_gallery__summary")
        set_role(self.summary, "muted")
        self.refresh_button = QPushButton("Refresh links")
        self.refresh_button.setObjectName("outputs_gallery__refresh")
        self.refresh_button.setToolTip(
            "Fetch the run again: output links are presigned and expire after a while"
        )
        self.refresh_button.clicked.connect(self.refresh)
        self.save_button = QPushButton("Save all…")
        self.save_button.setObjectName("outputs_gallery__save_all")
        self.save_button.setToolTip("Save every output of this run to a folder")
        self.save_button.clicked.connect(self.ask_save_all)
        self.save_bar = SaveBar()
        self.empty = QLabel()
        self.empty.setObjectName("outputs_gallery__empty")
        self.empty.setWordWrap(True)
        set_role(self.empty, "muted")

        self._pictures = QWidget()
        self._pictures.setObjectName("outputs_gallery__pictures")
        follow_theme(self._pictures)
        self._flow = FlowLayout(self._pictures, spacing=10)
        self._texts = QVBoxLayout()
        self._texts.setSpacing(8)
        self._files = QVBoxLayout()
        self._files.setSpacing(4)
        content = QWidget()
        content.setObjectName("outputs_gallery__content")
        column = QVBoxLayout(content)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(12)
        column.addWidget(self.empty)
        column.addWidget(self._pictures)
        column.addLayout(self._texts)
        column.addLayout(self._files)
        column.addStretch(1)
        scroll = QScrollArea()
        scroll.setObjectName("outputs_gallery__scroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(content)

        header = QHBoxLayout()
        header.setSpacing(8)
        header.addWidget(self.title)
        header.addWidget(self.summary, 1)
        header.addWidget(self.refresh_button)
        header.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 10)
        layout.setSpacing(8)
        layout.addLayout(header)
        layout.addWidget(self.save_bar)
        layout.addWidget(scroll, 1)
        self.set_source(source)
        self.show_run(None)

    # --- wiring ---

    def source_changed(self) -> None:
        self._shown_key = None
        if self.state is not None:
            self.show_run(self.state)

    # --- showing ---

    def show_run(self, state: RunState | None) -> None:
        """Show the outputs of ``state`` (None: nothing selected). Cheap to call on every
        update: the pictures are rebuilt only when the outputs changed."""
        self.state = state
        self.refresh_button.setEnabled(state is not None and self._can_refresh())
        self.save_button.setEnabled(state is not None and bool(files_of_run(state)))
        if state is None:
            self.summary.setText("")
            self._show_empty("Select a run to see what it produced.")
            self._clear()
            self._shown_key = None
            return
        self.summary.setText(describe_outputs(state))
        key = (state.run_id, tuple((o.id, o.media, o.texts) for o in state.outputs))
        if key == self._shown_key:
            if not state.outputs:
                self._show_empty(empty_text(state))
            return
        self._shown_key = key
        self._clear()
        if not state.outputs:
            self._show_empty(empty_text(state))
            return
        self.empty.hide()
        self._build(state)

    def _show_empty(self, text: str) -> None:
        self.empty.setText(text)
        self.empty.show()

    def _clear(self) -> None:
        for tile in self.tiles:
            tile.cancel()
        self.tiles = []
        while self._flow.count():
            item = self._flow.takeAt(0)
            if item is not None and (widget := item.widget()) is not None:
                widget.deleteLater()
        for layout in (self._texts, self._files):
            while layout.count():
                item = layout.takeAt(0)
                if item is not None and (widget := item.widget()) is not None:
                    widget.deleteLater()

    def _build(self, state: RunState) -> None:
        position = 0
        number = 0
        for output in state.outputs:
            for item in output.media:
                position += 1
                if is_image(item):
                    self._add_tile(item, position)
                else:
                    self._files.addWidget(self._file_row(item, position))
            for text in output.texts:
                number += 1
                self._texts.addWidget(self._text_box(text, output.node_id, number))
        self._pictures.setVisible(bool(self.tiles))
        self._pictures.updateGeometry()

    def _add_tile(self, item: MediaItem, position: int) -> None:
        name = media_file_name(item, position)
        tile = ImageTile(TILE_SIDE, name)
        tile.setObjectName("output_tile")
        tile.setProperty("media_url", item.url)
        index = len(self.tiles)
        tile.clicked.connect(lambda i=index: self.open_large(i))
        tile.retry_requested.connect(lambda t=tile: self._retry(t))
        self.tiles.append(tile)
        self._flow.addWidget(tile)
        if self.loader is not None:
            tile.load(item.url, self.loader)
        else:
            tile.show_text("Not connected to a target: pictures cannot load")

    def _text_box(self, text: str, node_id: str | None, number: int) -> QWidget:
        box = QFrame()
        box.setObjectName("output_text")
        head = QLabel(f"Text {number}" + (f" · node {node_id}" if node_id else ""))
        set_role(head, "muted")
        copy = QPushButton("Copy")
        copy.setObjectName("output_text__copy")
        copy.clicked.connect(lambda: self._copy(text))
        view = QPlainTextEdit(text)
        view.setObjectName("output_text__view")
        view.setReadOnly(True)
        lines = max(2, min(10, text.count("\n") + 2))
        view.setFixedHeight(view.fontMetrics().lineSpacing() * lines + 12)
        top = QHBoxLayout()
        top.addWidget(head, 1)
        top.addWidget(copy)
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(top)
        layout.addWidget(view)
        return box

    def _file_row(self, item: MediaItem, position: int) -> QWidget:
        name = media_file_name(item, position)
        row = QWidget()
        row.setObjectName("output_file")
        # Both escaped: a URL with a quote or an ampersand would break (or bend) the markup.
        href = html.escape(item.url, quote=True)
        link = QLabel(f'<a href="{href}">{html.escape(name, quote=True)}</a>')
        link.setObjectName("output_file__link")
        link.setToolTip(f"Open with the system's handler\n{item.url}")
        link.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        link.linkActivated.connect(lambda url: QDesktopServices.openUrl(QUrl(url)))
        kind = QLabel(" · ".join(part for part in (item.kind, item.type) if part))
        set_role(kind, "muted")
        save = QPushButton("Save…")
        save.setObjectName("output_file__save")
        save.clicked.connect(lambda: self.ask_save_one(item, name))
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(link)
        layout.addWidget(kind)
        layout.addStretch(1)
        layout.addWidget(save)
        return row

    def _copy(self, text: str) -> None:
        QGuiApplication.clipboard().setText(text)
        self.message.emit("Copied the text output")

    # --- large view ---

    def view_items(self) -> list[ViewItem]:
        """The pictures of the run, for the large view."""
        if self.state is None:
            return []
        items = []
        for position, item in enumerate(self.state.media, start=1):
            if is_image(item):
                name = media_file_name(item, position)
                items.append(ViewItem(item.url, name, name))
        return items

    def open_large(self, index: int) -> ImageViewer | None:
        """Open the large view at picture ``index`` (a non-modal window)."""
        return self.show_large(self.view_items(), index)

    # --- refreshing links ---

    def _can_refresh(self) -> bool:
        return self.source is not None

    def refresh(self) -> asyncio.Task[None] | None:
        """Fetch the run again for fresh output links, then reload the pictures."""
        if self.state is None or self.source is None:
            return None
        if self._refresh is not None and not self._refresh.done():
            return self._refresh
        self._refresh = asyncio.ensure_future(self._refetch(self.state))
        return self._refresh

    async def _refetch(self, state: RunState) -> None:
        assert self.source is not None
        self.refresh_button.setEnabled(False)
        try:
            update = await self.source.get_run(state.run_id, queue_position=False)
        except ApiError as exc:
            if Shiboken.isValid(self):
                self.refresh_button.setEnabled(True)
                self.message.emit(f"Could not refresh the run's links: {exc}")
                for tile in self.tiles:
                    if tile.state == "error":
                        tile.show_error(f"{tile.reason} (refresh failed: {exc})", retry=True)
            return
        if not Shiboken.isValid(self) or self.state is None or self.state.run_id != state.run_id:
            return
        self.refresh_button.setEnabled(True)
        if update.outputs:
            fresh = dataclasses.replace(self.state, outputs=update.outputs)
            self._shown_key = None  # reload every picture with the fresh links
            self.show_run(fresh)

    def _retry(self, tile: ImageTile) -> None:
        if tile.refreshable and self._can_refresh():
            self.refresh()
        elif self.loader is not None and tile.url:
            tile.load(tile.url, self.loader)

    # --- saving ---

    def ask_save_all(self) -> None:
        """Ask for a folder, then save every output of the run into it."""
        choose_folder(self, "Save all outputs", lambda folder: self.save_all(folder))

    def save_all(self, folder: Path) -> asyncio.Task[list[SavedFile]] | None:
        """Save every output of the run into ``folder`` (names that are taken get ``-2``)."""
        if self.state is None or self.source is None:
            return None
        return self.save_bar.save(self.source, files_of_run(self.state), folder)

    def ask_save_one(self, item: MediaItem, name: str) -> None:
        """Ask where to save one file, then save it."""
        choose_file(self, "Save output", name, lambda path: self.save_one(item, path))

    def save_one(self, item: MediaItem, path: Path) -> asyncio.Task[list[SavedFile]] | None:
        """Save one output file to ``path``."""
        if self.source is None:
            return None
        file = OutputFile(path.name, url=item.url)
        return self.save_bar.save_to(self.source, [file], [path])
