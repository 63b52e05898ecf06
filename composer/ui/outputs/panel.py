"""What the run gallery and the batch grid share: the client they fetch through and the large view.

Both panels fetch pictures through an :class:`~composer.ui.outputs.images.OutputSource` (a client
bound to the run's target), decode them with one :class:`ImageLoader`, and open one non-modal
:class:`ImageViewer`. A new source (a target switch) brings a new loader and closes the large view,
whose pictures came through the old one.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QWidget

from composer.ui.outputs.images import ImageLoader, OutputSource
from composer.ui.outputs.viewer import ImageViewer, ViewItem


class OutputPanel(QWidget):
    """A widget that shows outputs fetched through a source, with a large view on demand."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.source: OutputSource | None = None
        self.loader: ImageLoader | None = None
        self.viewer: ImageViewer | None = None

    def set_source(self, source: OutputSource | None) -> None:
        """The client to fetch pictures through; what is shown is fetched again through it."""
        if source is self.source:
            return
        self.source = source
        self.loader = ImageLoader(source) if source is not None else None
        if self.viewer is not None:
            self.viewer.close()
            self.viewer.deleteLater()
            self.viewer = None
        self.source_changed()

    def source_changed(self) -> None:
        """Called after a new source was set: show the current outputs through it."""

    def show_large(self, items: Sequence[ViewItem], position: int) -> ImageViewer | None:
        """Open (or reuse) the large view on ``items`` at ``position``; None without a source."""
        if self.loader is None:
            return None
        if self.viewer is None:
            self.viewer = ImageViewer(self.loader, self)
        self.viewer.show_items(items, position)
        return self.viewer
