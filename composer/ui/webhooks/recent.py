"""Recently used target URLs (replay, simulator), kept in the settings file, newest first."""

from __future__ import annotations

from typing import Final

from PySide6.QtWidgets import QComboBox, QWidget

from composer.core.settings import Settings

MAX_RECENT: Final = 10


class RecentUrls:
    """A short list of URLs under one settings key; a URL used again moves to the front."""

    def __init__(self, settings: Settings | None, key: str, limit: int = MAX_RECENT) -> None:
        self.settings = settings
        self.key = key
        self.limit = limit
        stored = settings.get(key, []) if settings is not None else []
        self._urls = (
            [url for url in stored if isinstance(url, str)] if isinstance(stored, list) else []
        )

    def items(self) -> list[str]:
        """The URLs, newest first."""
        return list(self._urls)

    def add(self, url: str) -> None:
        """Remember ``url`` (the window writes the settings file when it closes)."""
        self._urls = [url, *(item for item in self._urls if item != url)][: self.limit]
        if self.settings is not None:
            self.settings.set(self.key, self._urls)


def url_combo(
    name: str, placeholder: str, recent: RecentUrls, parent: QWidget | None = None
) -> QComboBox:
    """An editable combo box offering the recent URLs."""
    combo = QComboBox(parent)
    combo.setObjectName(name)
    combo.setEditable(True)
    combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
    combo.addItems(recent.items())
    line = combo.lineEdit()
    assert line is not None  # an editable combo box has one
    line.setPlaceholderText(placeholder)
    line.setAccessibleName(placeholder)
    line.setClearButtonEnabled(True)
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(34)
    return combo


def remember(combo: QComboBox, recent: RecentUrls, url: str) -> None:
    """Add ``url`` to the recent list and show the list again in ``combo`` (text kept)."""
    recent.add(url)
    combo.blockSignals(True)
    combo.clear()
    combo.addItems(recent.items())
    combo.setEditText(url)
    combo.blockSignals(False)
