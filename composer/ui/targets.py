"""The target selector: which API the request goes to (the built-in sandbox by default).

It starts with the four built-in targets (no file is read before the first frame); once the
window is up, :meth:`TargetSelector.set_profiles` adds the custom profiles of ``profiles.json``
(:class:`composer.core.profiles.ProfileStore`). A choice's ``key`` is what presets and
``composer submit --target`` call it: the short name of a built-in target (``sandbox``,
``comfydeploy``, ``staging``, ``self-hosted``) or a custom profile's name.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple, Protocol

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QWidget

from composer.core.targets import PRODUCTION_URL, SANDBOX_DEFAULT_URL, SELF_HOSTED_URL, STAGING_URL


# A NamedTuple: defined at start-up, where a dataclass would cost ten times as much.
class TargetChoice(NamedTuple):
    """One entry of the selector; ``profile_id`` is the profile's stable id."""

    key: str
    label: str
    base_url: str
    profile_id: str = ""

    @property
    def is_sandbox(self) -> bool:
        """True for the built-in sandbox (started by the app; its URL is known once running)."""
        return self.key == "sandbox"


class ProfileLike(Protocol):
    """What the selector needs of a :class:`composer.core.profiles.Profile`."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def base_url(self) -> str: ...
    @property
    def builtin(self) -> bool: ...


DEFAULT_TARGETS: tuple[TargetChoice, ...] = (
    TargetChoice("sandbox", "Sandbox (built-in)", SANDBOX_DEFAULT_URL, "sandbox"),
    TargetChoice("comfydeploy", "ComfyDeploy", PRODUCTION_URL, "comfydeploy"),
    TargetChoice("staging", "Staging", STAGING_URL, "staging"),
    TargetChoice("self-hosted", "Self-hosted (localhost:3011)", SELF_HOSTED_URL, "self-hosted"),
)
_ALIASES = {"production": "comfydeploy", "selfhosted": "self-hosted"}


class TargetSelector(QComboBox):
    """A combo box of targets; ``target_changed(key)`` after the user picks one."""

    target_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("target")
        self.setAccessibleName("target")
        self.setToolTip("Where Submit sends the request (snippets use its URL too)")
        self.choices: list[TargetChoice] = list(DEFAULT_TARGETS)
        self._fill()
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.currentIndexChanged.connect(lambda _index: self.target_changed.emit(self.key))

    def _fill(self) -> None:
        for choice in self.choices:
            self.addItem(choice.label, choice.key)
            self.setItemData(self.count() - 1, choice.base_url, Qt.ItemDataRole.ToolTipRole)

    @property
    def key(self) -> str:
        """The chosen target's key (``sandbox``, ``comfydeploy``, ..., or a profile name)."""
        return self.choice.key

    @property
    def choice(self) -> TargetChoice:
        """The chosen target."""
        return self.choices[max(0, self.currentIndex())]

    @property
    def base_url(self) -> str:
        """The chosen target's base URL."""
        return self.choice.base_url

    def find_target(self, text: str | None) -> int:
        """The position of the target a preset or a setting names: a key, a profile name or
        id (any case), a short alias, or a base URL; -1 when none matches."""
        if not text or not text.strip():
            return -1
        wanted = text.strip().casefold()
        wanted = _ALIASES.get(wanted, wanted)
        for position, choice in enumerate(self.choices):
            names = {choice.key.casefold(), choice.label.casefold(), choice.profile_id.casefold()}
            if wanted in names:
                return position
        for position, choice in enumerate(self.choices):
            if not choice.is_sandbox and choice.base_url.rstrip("/").casefold() == wanted.rstrip(
                "/"
            ):
                return position
        return -1

    def select(self, key: str | None) -> bool:
        """Choose the target a preset's ``target`` names (:meth:`find_target`); False if unknown."""
        position = self.find_target(key)
        if position < 0:
            return False
        self.setCurrentIndex(position)
        return True

    def set_profiles(self, profiles: Iterable[ProfileLike]) -> None:
        """Offer these profiles (built-ins keep their short keys); the choice stays when the
        profile still exists, else the sandbox is chosen."""
        current = self.choice.profile_id
        sandbox_url = next((c.base_url for c in self.choices if c.is_sandbox), SANDBOX_DEFAULT_URL)
        builtin = {choice.profile_id: choice for choice in DEFAULT_TARGETS}
        choices: list[TargetChoice] = []
        for profile in profiles:
            if profile.builtin and profile.id in builtin:
                known = builtin[profile.id]
                url = sandbox_url if known.is_sandbox else profile.base_url
                choices.append(TargetChoice(known.key, profile.name, url, profile.id))
            else:
                choices.append(
                    TargetChoice(profile.name, profile.name, profile.base_url, profile.id)
                )
        before = self.choice
        self.blockSignals(True)
        try:
            self.clear()
            self.choices = choices or list(DEFAULT_TARGETS)
            self._fill()
            position = next(
                (i for i, choice in enumerate(self.choices) if choice.profile_id == current), 0
            )
            self.setCurrentIndex(position)
        finally:
            self.blockSignals(False)
        if self.choice != before:
            self.target_changed.emit(self.key)

    def set_base_url(self, key: str, base_url: str) -> None:
        """Point a target at another URL (the sandbox, once started on its real port)."""
        changed = False
        for position, choice in enumerate(self.choices):
            if choice.key == key and choice.base_url != base_url:
                self.choices[position] = TargetChoice(
                    key, choice.label, base_url, choice.profile_id
                )
                self.setItemData(position, base_url, Qt.ItemDataRole.ToolTipRole)
                changed = True
        if changed:
            self.target_changed.emit(self.key)
