"""The target selector: which API the request goes to (the built-in sandbox by default)."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QWidget

from composer.core.targets import PRODUCTION_URL, SANDBOX_DEFAULT_URL, SELF_HOSTED_URL, STAGING_URL


@dataclass(frozen=True, slots=True)
class TargetChoice:
    """One entry of the selector."""

    key: str
    label: str
    base_url: str


DEFAULT_TARGETS: tuple[TargetChoice, ...] = (
    TargetChoice("sandbox", "Sandbox (built-in)", SANDBOX_DEFAULT_URL),
    TargetChoice("comfydeploy", "ComfyDeploy", PRODUCTION_URL),
    TargetChoice("staging", "Staging", STAGING_URL),
    TargetChoice("self-hosted", "Self-hosted (localhost:3011)", SELF_HOSTED_URL),
)


class TargetSelector(QComboBox):
    """A combo box of targets; ``target_changed(key)`` after the user picks one."""

    target_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("target")
        self.setAccessibleName("target")
        self.setToolTip("Where Submit sends the request (snippets use its URL too)")
        self.choices: list[TargetChoice] = list(DEFAULT_TARGETS)
        for choice in self.choices:
            self.addItem(choice.label, choice.key)
            self.setItemData(self.count() - 1, choice.base_url, 3)  # ToolTipRole
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.currentIndexChanged.connect(lambda _index: self.target_changed.emit(self.key))

    @property
    def key(self) -> str:
        """The chosen target's key (``sandbox``, ``comfydeploy``, ...)."""
        return str(self.currentData())

    @property
    def choice(self) -> TargetChoice:
        """The chosen target."""
        return self.choices[max(0, self.currentIndex())]

    @property
    def base_url(self) -> str:
        """The chosen target's base URL."""
        return self.choice.base_url

    def select(self, key: str | None) -> bool:
        """Choose the target with this key (a preset's ``target``); False when unknown."""
        if not key:
            return False
        index = self.findData(key.strip().lower())
        if index < 0:
            return False
        self.setCurrentIndex(index)
        return True

    def set_base_url(self, key: str, base_url: str) -> None:
        """Point a target at another URL (the sandbox, once started on its real port)."""
        for position, choice in enumerate(self.choices):
            if choice.key == key:
                self.choices[position] = TargetChoice(key, choice.label, base_url)
                self.setItemData(position, base_url, 3)
        self.target_changed.emit(self.key)
