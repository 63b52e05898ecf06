"""How the status and progress cells are painted: a coloured chip and a slim progress bar.

Colours come from the current :class:`~composer.ui.theme.Theme`, so both read well in light and
dark: the chip is the status colour at low opacity behind text in the full colour.
"""

from __future__ import annotations

from typing import Final

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from composer.core.runs import RunStatus
from composer.ui.runs import texts
from composer.ui.runs.model import Role
from composer.ui.theme import Theme, current_theme

_CHIP_ALPHA: Final = 46  # of 255: the chip's fill behind text in the full colour
_GOING: Final = frozenset(
    {RunStatus.STARTED, RunStatus.RUNNING, RunStatus.UPLOADING, texts.SENDING}
)
_NO_BAR: Final = frozenset({texts.SENDING, texts.REFUSED, texts.NOT_RUN})
_QUIET: Final = frozenset(
    {RunStatus.NOT_STARTED, RunStatus.QUEUED, texts.WAITING, texts.NOT_RUN, RunStatus.CANCELLED}
)


def status_color(status: str, theme: Theme | None = None) -> QColor:
    """The colour of a status: green success, red failure, amber timeout or unknown, the accent
    while running, muted while waiting or cancelled."""
    theme = theme or current_theme()
    if status == RunStatus.SUCCESS:
        return QColor(theme.json_string)
    if status in (RunStatus.FAILED, texts.REFUSED):
        return QColor(theme.error)
    if status in (RunStatus.TIMEOUT, texts.LOST):
        return QColor(theme.warning)
    if status in _GOING:
        return QColor(theme.accent)
    if status in _QUIET:
        return QColor(theme.muted)
    return QColor(theme.json_number)  # a status this composer does not know


def _selected(option: QStyleOptionViewItem) -> bool:
    return bool(option.state & QStyle.StateFlag.State_Selected)


class StatusChipDelegate(QStyledItemDelegate):
    """Paints :attr:`Role.STATUS` as a rounded chip with the status word."""

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        self._background(painter, option, index)
        status = index.data(Role.STATUS)
        if not isinstance(status, str):
            return
        text = texts.status_label(status)
        color = status_color(status)
        fill = QColor(color)
        fill.setAlpha(_CHIP_ALPHA)
        if _selected(option):  # on the highlight, in its text colour
            color = option.palette.color(QPalette.ColorRole.HighlightedText)
            fill = QColor(color)
            fill.setAlpha(_CHIP_ALPHA + 20)
        metrics = QFontMetrics(option.font)
        rect = option.rect
        width = min(rect.width() - 8, metrics.horizontalAdvance(text) + 16)
        height = min(rect.height() - 6, metrics.height() + 4)
        chip = QRectF(rect.left() + 4, rect.center().y() - height / 2 + 1, width, height)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(fill)
        painter.drawRoundedRect(chip, height / 2, height / 2)
        painter.setPen(color)
        painter.drawText(chip, Qt.AlignmentFlag.AlignCenter, text)
        painter.restore()

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        size = super().sizeHint(option, index)
        status = index.data(Role.STATUS)
        metrics = QFontMetrics(option.font)
        text = texts.status_label(status) if isinstance(status, str) else ""
        return QSize(max(size.width(), metrics.horizontalAdvance(text) + 28), size.height() + 4)

    @staticmethod
    def _background(
        painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        """The selection and hover background of the row, without the text."""
        view_option = QStyleOptionViewItem(option)
        view_option.text = ""
        widget: QWidget | None = option.widget
        style = widget.style() if widget is not None else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, view_option, painter, widget)


class ProgressDelegate(QStyledItemDelegate):
    """Paints :attr:`Role.PROGRESS` (0..1) as a slim bar with the cell's text beside it."""

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        StatusChipDelegate._background(painter, option, index)
        progress = index.data(Role.PROGRESS)
        text = index.data(Qt.ItemDataRole.DisplayRole) or ""
        status = index.data(Role.STATUS)
        if progress is None and status in _NO_BAR:
            return  # nothing runs: a bar would suggest otherwise
        rect = option.rect
        theme = current_theme()
        metrics = QFontMetrics(option.font)
        text_width = metrics.horizontalAdvance(text) + 8 if text else 0
        bar_width = max(24, rect.width() - text_width - 10)
        bar = QRectF(rect.left() + 4, rect.center().y() - 2.5, bar_width, 5)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        selected = _selected(option)
        on_highlight = option.palette.color(QPalette.ColorRole.HighlightedText)
        track = QColor(on_highlight) if selected else QColor(theme.border)
        if selected:
            track.setAlpha(_CHIP_ALPHA + 20)
        painter.setBrush(track)
        painter.drawRoundedRect(bar, 2.5, 2.5)
        if isinstance(progress, float) and progress > 0:
            filled = QRectF(bar.left(), bar.top(), max(5.0, bar.width() * min(1.0, progress)), 5)
            color = status_color(status) if isinstance(status, str) else QColor(theme.accent)
            if status in _QUIET or status == texts.SENDING:
                color = QColor(theme.accent)
            painter.setBrush(on_highlight if selected else color)
            painter.drawRoundedRect(filled, 2.5, 2.5)
        if text:
            painter.setPen(on_highlight if selected else QColor(theme.muted))
            text_rect = QRectF(bar.right() + 6, rect.top(), text_width, rect.height())
            painter.drawText(
                text_rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, text
            )
        painter.restore()

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        size = super().sizeHint(option, index)
        return QSize(max(size.width() + 60, 140), size.height())


class MiddleElideDelegate(QStyledItemDelegate):
    """Elides text in the middle: a batch run's values differ at both ends
    (``prompt=A red…seed=2``)."""

    def initStyleOption(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        super().initStyleOption(option, index)
        option.textElideMode = Qt.TextElideMode.ElideMiddle
