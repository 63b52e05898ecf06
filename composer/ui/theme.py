"""Look and feel: the Fusion style with a light or dark palette that follows the system setting.

One :class:`Theme` holds the colours every widget uses beyond the palette (errors, warnings,
muted text, JSON highlighting), so the preview, the problem marks and the icons agree, and a
switch of the system colour scheme repaints everything at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from composer.resources import resource


@dataclass(frozen=True, slots=True)
class Theme:
    """The colours of one scheme (light or dark)."""

    dark: bool
    window: str
    base: str
    alt_base: str
    text: str
    muted: str
    border: str
    accent: str
    accent_text: str
    error: str
    error_bg: str
    warning: str
    warning_bg: str
    info_bg: str
    json_key: str
    json_string: str
    json_number: str
    json_literal: str
    json_punct: str


LIGHT: Final = Theme(
    dark=False,
    window="#f4f5f7",
    base="#ffffff",
    alt_base="#f7f8fa",
    text="#1d2330",
    muted="#6b7385",
    border="#d5d9e0",
    accent="#3b6fd8",
    accent_text="#ffffff",
    error="#c62f3a",
    error_bg="#fdecee",
    warning="#a86400",
    warning_bg="#fff5e0",
    info_bg="#e9f0fd",
    json_key="#1f5fb8",
    json_string="#227447",
    json_number="#a3469a",
    json_literal="#b3541e",
    json_punct="#6b7385",
)

DARK: Final = Theme(
    dark=True,
    window="#1f2229",
    base="#262a33",
    alt_base="#2b3039",
    text="#e3e6ec",
    muted="#959cab",
    border="#3b414d",
    accent="#6b9bf5",
    accent_text="#0f1420",
    error="#ff7b84",
    error_bg="#3d2327",
    warning="#f0b458",
    warning_bg="#3a301e",
    info_bg="#23314a",
    json_key="#82b1ff",
    json_string="#8fd19e",
    json_number="#e2a0de",
    json_literal="#f2a36b",
    json_punct="#959cab",
)


def system_prefers_dark() -> bool:
    """True when the desktop asks for a dark colour scheme."""
    hints = QGuiApplication.styleHints()
    return hints.colorScheme() == Qt.ColorScheme.Dark


def palette_for(theme: Theme) -> QPalette:
    """A full palette for the Fusion style in ``theme``'s colours."""
    palette = QPalette()
    colors = {
        QPalette.ColorRole.Window: theme.window,
        QPalette.ColorRole.WindowText: theme.text,
        QPalette.ColorRole.Base: theme.base,
        QPalette.ColorRole.AlternateBase: theme.alt_base,
        QPalette.ColorRole.Text: theme.text,
        QPalette.ColorRole.Button: theme.base if theme.dark else "#fbfbfc",
        QPalette.ColorRole.ButtonText: theme.text,
        QPalette.ColorRole.ToolTipBase: theme.base,
        QPalette.ColorRole.ToolTipText: theme.text,
        QPalette.ColorRole.PlaceholderText: theme.muted,
        QPalette.ColorRole.Highlight: theme.accent,
        QPalette.ColorRole.HighlightedText: theme.accent_text,
        QPalette.ColorRole.Link: theme.accent,
        QPalette.ColorRole.Mid: theme.border,
        QPalette.ColorRole.Midlight: theme.alt_base,
        QPalette.ColorRole.Dark: theme.border,
    }
    for role, color in colors.items():
        palette.setColor(role, QColor(color))
    for role in (
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
        QPalette.ColorRole.WindowText,
    ):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor(theme.muted))
    return palette


def stylesheet_for(theme: Theme) -> str:
    """The application stylesheet with ``theme``'s colours filled in."""
    text = resource("style.qss").read_text(encoding="utf-8")
    for name in Theme.__dataclass_fields__:
        value = getattr(theme, name)
        if isinstance(value, str):
            text = text.replace(f"@{name};", f"{value};")
    arrow = resource("icons", f"arrow-down-{'dark' if theme.dark else 'light'}.svg")
    return text.replace("@arrow_path", Path(str(arrow)).as_posix())


class ThemeManager(QObject):
    """Applies the theme to the application and re-applies it when the system scheme changes."""

    changed = Signal(object)  # the new Theme

    def __init__(self, app: QApplication, dark: bool | None = None) -> None:
        super().__init__(app)
        self._app = app
        self._forced = dark
        self.theme = LIGHT
        app.setStyle("Fusion")
        app.styleHints().colorSchemeChanged.connect(self._on_scheme_changed)
        self.apply()

    def apply(self) -> None:
        """Set palette and stylesheet for the current scheme and tell listeners."""
        dark = system_prefers_dark() if self._forced is None else self._forced
        self.theme = DARK if dark else LIGHT
        self._app.setPalette(palette_for(self.theme))
        self._app.setStyleSheet(stylesheet_for(self.theme))
        self.changed.emit(self.theme)

    def _on_scheme_changed(self, _scheme: Qt.ColorScheme) -> None:
        self.apply()


_current: list[Theme] = [LIGHT]


def current_theme() -> Theme:
    """The theme in use (light until a :class:`ThemeManager` applies another)."""
    return _current[0]


def install_theme(app: QApplication, dark: bool | None = None) -> ThemeManager:
    """Create the application's theme manager (once) and keep :func:`current_theme` in step."""
    existing = app.findChild(ThemeManager)
    if isinstance(existing, ThemeManager):
        return existing
    manager = ThemeManager(app, dark)
    _current[0] = manager.theme
    manager.changed.connect(lambda theme: _current.__setitem__(0, theme))
    return manager
