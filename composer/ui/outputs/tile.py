"""One picture in the outputs views: loading, the image, or a placeholder that says why not.

A tile is a fixed-size frame with a picture area and a caption. Its picture loads through an
:class:`~composer.ui.outputs.images.ImageLoader` on the running asyncio (qasync) loop; a broken or
expired link shows the reason and a *Retry* button (``retry_requested``), and a click or
Enter/Space opens the large view (``clicked``).
"""

from __future__ import annotations

import asyncio
import math

from PySide6.QtCore import QObject, QSize, Qt, Signal
from PySide6.QtGui import QImage, QKeyEvent, QMouseEvent, QPixmap
from PySide6.QtWidgets import QApplication, QFrame, QLabel, QPushButton, QVBoxLayout, QWidget
from shiboken6 import Shiboken

from composer.ui.outputs.images import ImageLoader, ImageLoadError
from composer.ui.theme import ThemeManager, current_theme, set_role


def decode_side(side: int, ratio: float) -> int:
    """The pixel size to decode a tile of ``side`` logical pixels at device ``ratio``: exactly
    what is shown, so the UI thread never scales a picture (tiles of one size share the cache)."""
    return max(1, math.ceil(side * max(1.0, ratio)))


def tiles_style() -> str:
    """The tiles' frames in the current theme, as a style sheet for the widget holding them.

    Set once on the container, not on every tile: a style sheet per widget costs a parse and a
    style object each, which made a page of 200 tiles noticeably slower to build.
    """
    theme = current_theme()
    names = ("output_tile", "grid_cell")
    frames = ", ".join(f"QFrame#{name}" for name in names)
    lit = ", ".join(f"QFrame#{name}:hover, QFrame#{name}:focus" for name in names)
    return (
        f"{frames} {{ background: {theme.alt_base}; border: 1px solid {theme.border}; "
        f"border-radius: 6px; }} {lit} {{ border-color: {theme.accent}; }}"
    )


class _ThemeFollower(QObject):
    """Re-applies the tiles' style sheet to its parent when the theme changes (a child object,
    so the connection ends with the container)."""

    def apply(self, _theme: object = None) -> None:
        parent = self.parent()
        if isinstance(parent, QWidget):
            parent.setStyleSheet(tiles_style())


def follow_theme(container: QWidget) -> None:
    """Give ``container`` the tiles' style sheet now and again whenever the theme changes."""
    follower = _ThemeFollower(container)
    follower.apply()
    app = QApplication.instance()
    manager = app.findChild(ThemeManager) if app is not None else None
    if isinstance(manager, ThemeManager):
        manager.changed.connect(follower.apply)


def keep_space_when_hidden(widget: QWidget) -> None:
    """Keep a widget's room in its layout while it is hidden (the tile's size never changes)."""
    policy = widget.sizePolicy()
    policy.setRetainSizeWhenHidden(True)
    widget.setSizePolicy(policy)


def set_role_once(widget: QWidget, role: str) -> None:
    """:func:`set_role` when the role changes (it rebuilds a font and a palette each time)."""
    if widget.property("role") != role:
        set_role(widget, role)


class ImageTile(QFrame):
    """A square picture area of ``side`` pixels and a one-line caption."""

    clicked = Signal()
    retry_requested = Signal()

    def __init__(self, side: int = 200, caption: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("output_tile")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.side = side
        self.state = "empty"  # empty | loading | image | error | text
        self.reason: str | None = None
        self.refreshable = False
        self.url: str | None = None
        self._task: asyncio.Task[None] | None = None
        self._image: QImage | None = None

        self.picture = QLabel()
        self.picture.setObjectName("output_tile__picture")
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture.setFixedSize(side, side)
        self.picture.setWordWrap(True)
        self.message = QLabel()
        self.message.setObjectName("output_tile__message")
        self.message.setWordWrap(True)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        set_role(self.message, "muted")
        self._retry: QPushButton | None = None  # made when first needed: most tiles never fail
        self.caption = QLabel()
        self.caption.setObjectName("output_tile__caption")
        self.caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        set_role(self.caption, "hint")
        self.caption.setFixedSize(side, self.caption.fontMetrics().height() + 2)
        keep_space_when_hidden(self.caption)

        # The placeholder (message, and a retry button when needed) sits on the picture area.
        self._holder = QVBoxLayout(self.picture)
        self._holder.setContentsMargins(12, 12, 12, 12)
        self._holder.addStretch(1)
        self._holder.addWidget(self.message)
        self._holder.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(4)
        layout.addWidget(self.picture)
        layout.addWidget(self.caption)
        self.set_caption(caption)
        self.show_loading()  # the usual first state: no layout change when a load starts
        self.fix_size()

    def hasHeightForWidth(self) -> bool:
        """False: a tile's size is fixed (:meth:`fix_size`), its height never depends on its
        width. Qt would otherwise lay out the wrapped text of every tile each time a grid or
        gallery is laid out again (a page of 200 cells then took 60 ms per added row of cells)."""
        return False

    def fix_size(self) -> None:
        """Freeze the tile at the size its parts need. A fixed-size widget stops layout changes
        inside it (a new status text, a picture) from relaying out the whole gallery or grid,
        which made every live update of a large grid cost tens of milliseconds."""
        layout = self.layout()
        if layout is not None:
            self.setFixedSize(layout.sizeHint())

    @property
    def retry(self) -> QPushButton:
        """The *Retry* button under an error (created on first use)."""
        if self._retry is None:
            button = QPushButton("Retry")
            button.setObjectName("output_tile__retry")
            button.setCursor(Qt.CursorShape.ArrowCursor)
            button.clicked.connect(self.retry_requested)
            button.hide()
            self._holder.insertWidget(2, button, 0, Qt.AlignmentFlag.AlignHCenter)
            self._retry = button
        return self._retry

    # --- content ---

    def set_caption(self, text: str, tooltip: str | None = None) -> None:
        """The line under the picture (elided to fit; the full text as tooltip)."""
        metrics = self.caption.fontMetrics()
        self.caption.setText(metrics.elidedText(text, Qt.TextElideMode.ElideMiddle, self.side))
        self.caption.setVisible(bool(text))
        self.setToolTip(tooltip if tooltip is not None else text)
        self.setAccessibleName(text or "output")

    def load(self, url: str, loader: ImageLoader) -> asyncio.Task[None] | None:
        """Show the image at ``url``; None when no asyncio loop runs (it stays "Loading…")."""
        self.cancel()
        self.url = url
        ratio = self.devicePixelRatioF()
        cached = loader.cached(url, decode_side(self.side, ratio))
        if cached is not None:
            self.show_image(cached)
            return None
        self.show_loading()
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return None
        self._task = asyncio.ensure_future(self._load(url, loader, decode_side(self.side, ratio)))
        return self._task

    async def _load(self, url: str, loader: ImageLoader, side: int) -> None:
        try:
            image = await loader.load(url, side)
        except ImageLoadError as exc:
            if Shiboken.isValid(self) and self.url == url:
                self.show_error(exc.reason, refreshable=exc.refreshable)
            return
        if Shiboken.isValid(self) and self.url == url:
            self.show_image(image)

    def cancel(self) -> None:
        """Stop waiting for the image being loaded (the shared load itself goes on)."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self._task = None

    def show_loading(self, text: str = "Loading…") -> None:
        """A muted placeholder while the picture comes."""
        self.state = "loading"
        self._placeholder(text)

    def show_text(self, text: str) -> None:
        """A muted text instead of a picture (a file that is not an image, a pending run)."""
        self.state = "text"
        self._placeholder(text)

    def show_image(self, image: QImage) -> None:
        """Show a decoded image, fitted into the picture area."""
        self.state = "image"
        self.reason = None
        self._image = image
        self.message.hide()
        if self._retry is not None:
            self._retry.hide()
        ratio = self.devicePixelRatioF()
        pixmap = QPixmap.fromImage(image)
        target = QSize(round(self.side * ratio), round(self.side * ratio))
        if pixmap.width() > target.width() or pixmap.height() > target.height():
            pixmap = pixmap.scaled(
                target,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        pixmap.setDevicePixelRatio(ratio)
        self.picture.setPixmap(pixmap)

    def show_error(self, reason: str, *, refreshable: bool = False, retry: bool = True) -> None:
        """The placeholder for a picture that cannot be shown, with the reason and *Retry*."""
        self.state = "error"
        self.reason = reason
        self.refreshable = refreshable
        self._image = None
        self.picture.clear()
        self.picture.setText("")
        # Selectable (to copy the reason) only here: a selectable label keeps a text document
        # of its own, which a grid of hundreds of cells would lay out at every status change.
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.setText(f"✕ {reason}")
        set_role_once(self.message, "error")
        self.message.show()
        if retry:
            self.retry.setToolTip(
                "Fetch the run again for fresh links, then reload"
                if refreshable
                else "Load it again"
            )
            self.retry.show()
        elif self._retry is not None:
            self._retry.hide()

    def _placeholder(self, text: str) -> None:
        # Called for every status change of a run while it goes on: only what differs is
        # changed (each change costs the label a new layout and the tile a repaint).
        self.reason = None
        if self._image is not None or not self.picture.pixmap().isNull():
            self._image = None
            self.picture.clear()
        if self.message.textInteractionFlags() != Qt.TextInteractionFlag.NoTextInteraction:
            self.message.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        if self.message.text() != text:
            self.message.setText(text)
        set_role_once(self.message, "muted")
        self.message.setVisible(bool(text))
        if self._retry is not None:
            self._retry.hide()

    @property
    def image(self) -> QImage | None:
        """The image shown, if any."""
        return self._image

    # --- input ---

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.rect().contains(
            event.position().toPoint()
        ):
            self.clicked.emit()
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            self.clicked.emit()
            return
        super().keyPressEvent(event)
