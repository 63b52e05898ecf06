"""One cell of the batch grid: a run's first picture, or its status and progress, or its error."""

from __future__ import annotations

from typing import Final

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QProgressBar, QWidget

from composer.core.runs import MediaItem, RunState, RunStatus
from composer.ui.outputs.gallery import is_image
from composer.ui.outputs.images import ImageLoader
from composer.ui.outputs.tile import ImageTile, keep_space_when_hidden, set_role_once
from composer.ui.theme import set_role

_ENDED: Final = {
    RunStatus.FAILED.value: "Failed",
    RunStatus.TIMEOUT.value: "Timed out",
    RunStatus.CANCELLED.value: "Cancelled",
}


def first_picture(state: RunState) -> MediaItem | None:
    """The picture a cell shows: the run's first image output."""
    return next((item for item in state.media if is_image(item)), None)


def header_label(label: str, full: str, kind: str, width: int) -> QLabel:
    """A bold value header of the grid: ``kind`` is ``column`` or ``row``, ``full`` its tooltip."""
    header = QLabel(label)
    header.setObjectName(f"batch_grid__{kind}_header")
    header.setToolTip(full)
    header.setWordWrap(True)
    header.setMaximumWidth(width)
    set_role(header, "count")  # bold
    if kind == "column":
        header.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom)
    else:
        header.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return header


def status_line(state: RunState) -> str:
    """The caption under a cell: ``✓ success · 4.2 s``, ``running · 42%``, ``queued``
    (the picture area says the queue position)."""
    if state.lost:
        return "? status unknown"
    if state.status == RunStatus.SUCCESS:
        seconds = state.timings.run_duration or state.timings.elapsed()
        return "✓ success" + (f" · {seconds:.1f} s" if seconds is not None else "")
    if state.status in _ENDED:
        return f"✕ {state.status}"
    parts = [state.status]
    if state.percent is not None and state.status == RunStatus.RUNNING:
        parts.append(f"{state.percent}%")
    return " · ".join(parts)


def pending_text(state: RunState) -> str:
    """What the picture area says while a run goes on."""
    if state.status in (RunStatus.NOT_STARTED, RunStatus.QUEUED):
        where = (
            f" (position {state.queue_position + 1})" if state.queue_position is not None else ""
        )
        return f"Queued{where}"
    if state.live_status:
        return state.live_status
    return state.status.capitalize()


class GridCell(ImageTile):
    """A grid cell: an :class:`ImageTile` with the run's status line and a progress bar."""

    def __init__(self, side: int, index: int, parent: QWidget | None = None) -> None:
        super().__init__(side, "", parent)
        self.setObjectName("grid_cell")
        self.index = index
        self.run: RunState | None = None
        self.progress = QProgressBar()
        self.progress.setObjectName("grid_cell__progress")
        self.progress.setRange(0, 100)
        self.progress.setTextVisible(False)
        self.progress.setFixedHeight(4)
        self.progress.setFixedWidth(side)
        keep_space_when_hidden(self.progress)
        self.layout().addWidget(self.progress)  # type: ignore[union-attr]
        self.fix_size()
        self._shown_picture: str | None = None
        self._caption = ""  # the status line shown
        self.show_text("Waiting for its run to be known…")
        self.caption.setText("waiting")
        self.caption.show()
        self.progress.hide()

    def show_state(self, state: RunState, loader: ImageLoader | None, label: str) -> None:
        """Show a run's current state; the picture loads once, when the run has one."""
        self.run = state
        caption = status_line(state)
        if caption != self._caption:  # a run changes often, its caption less (each costs)
            self._caption = caption
            self.caption.setText(caption)
            self.setToolTip(f"{label}\n{caption}\nrun {state.run_id}")
            self.setAccessibleName(f"{label}: {caption}")
        self.caption.show()
        set_role_once(self.caption, _caption_role(state))
        # A bar only once the run executes: a queued run has no progress to show.
        running = state.status in (RunStatus.STARTED, RunStatus.RUNNING, RunStatus.UPLOADING)
        self.progress.setVisible(running and not state.lost)
        if running:
            self.progress.setValue(state.percent or 0)
        picture = first_picture(state) if state.is_terminal else None
        if picture is not None:
            if picture.url != self._shown_picture:  # a new or refreshed link; errors wait for Retry
                self._shown_picture = picture.url
                if loader is not None:
                    self.load(picture.url, loader)
                else:
                    self.show_text("Not connected: pictures cannot load")
            return
        self._shown_picture = None
        if state.lost:
            self.show_error(state.error or "composer lost track of this run", retry=False)
        elif state.status in _ENDED:
            detail = state.live_status or state.error
            text = _ENDED[state.status] + (f": {detail}" if detail else "")
            self.show_error(text, retry=False)
        elif state.is_terminal:
            texts = [text for output in state.outputs for text in output.texts]
            self.show_text(texts[0][:200] if texts else "No picture in this run's outputs")
        else:
            self.show_loading(pending_text(state))


def _caption_role(state: RunState) -> str:
    if state.status in (RunStatus.FAILED, RunStatus.TIMEOUT):
        return "error"
    if state.lost or state.status == RunStatus.CANCELLED:
        return "warning"
    return "hint"
