"""Look and feel: the Fusion style with a light or dark palette that follows the system setting.

One :class:`Theme` holds the colours every widget uses beyond the palette (errors, warnings,
muted text, JSON highlighting), so the preview, the problem marks and the icons agree, and a
switch of the system colour scheme repaints everything at once.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Final, NamedTuple

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QFont, QGuiApplication, QPalette
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QFrame,
    QLabel,
    QToolButton,
    QWidget,
)

# The resources folder on disk (an installed package and a PyInstaller folder both have it);
# importlib.resources would work too but costs start-up time (it imports zipfile).
RESOURCES = Path(__file__).resolve().parent.parent / "resources"


# A NamedTuple: defined at start-up, where a dataclass would cost ten times as much.
class Theme(NamedTuple):
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


# Styling is done per widget (palette, font, a few small widget style sheets), not with one
# application style sheet: an application-wide sheet makes Qt style every widget through
# QStyleSheetStyle, which doubled the window's build time at start-up.

_LABEL_COLORS = {"muted": "muted", "hint": "muted", "error": "error", "warning": "warning"}
_SMALL_ROLES = frozenset({"hint", "error", "warning"})


def set_role(widget: QWidget, role: str | None) -> None:
    """Give a widget a look by role (``section``, ``muted``, ``hint``, ``error``, ``warning``,
    ``count``, ``flat``, ``reset``, ``code``, ``separator``, ``accent``, ``segment-on|off``,
    ``banner-info|warning|error``)."""
    widget.setProperty("role", role)
    _apply_role(widget, current_theme())


def _button_sheet(role: str, theme: Theme, name: str) -> str:
    if role == "accent":
        return (
            f"QPushButton {{ background: {theme.accent}; color: {theme.accent_text}; "
            f"border: 1px solid {theme.accent}; border-radius: 5px; padding: 5px 16px; "
            "font-weight: 600; }"
            f"QPushButton:hover {{ background: {theme.json_key}; }}"
            f"QPushButton:disabled {{ background: {theme.border}; color: {theme.muted}; "
            f"border-color: {theme.border}; }}"
        )
    on = role == "segment-on"
    left = name.endswith("model")
    corners = (
        "border-top-left-radius: 5px; border-bottom-left-radius: 5px;"
        if left
        else "border-top-right-radius: 5px; border-bottom-right-radius: 5px;"
    )
    background, color = (theme.accent, theme.accent_text) if on else (theme.base, theme.text)
    border = theme.accent if on else theme.border
    return (
        f"QPushButton {{ background: {background}; color: {color}; border: 1px solid {border}; "
        f"padding: 4px 14px; border-radius: 0; {corners} }}"
        + ("" if on else f"QPushButton:hover {{ background: {theme.alt_base}; }}")
    )


def _apply_role(widget: QWidget, theme: Theme) -> None:
    role = widget.property("role")
    if not isinstance(role, str):
        return
    if isinstance(widget, QToolButton) and role in ("flat", "reset"):
        widget.setAutoRaise(True)
        return
    if isinstance(widget, QAbstractButton) and role in ("accent", "segment-on", "segment-off"):
        # The primary action (Submit) and the kind switch: small sheets on these few buttons.
        widget.setStyleSheet(_button_sheet(role, theme, widget.objectName()))
        return
    if isinstance(widget, QFrame) and not isinstance(widget, QLabel):
        if role == "separator":
            widget.setFrameShape(QFrame.Shape.HLine)
            widget.setFrameShadow(QFrame.Shadow.Plain)
            _set_color(widget, QPalette.ColorRole.WindowText, theme.border)
        elif role.startswith("banner-"):
            level = role.removeprefix("banner-")
            background = {"info": theme.info_bg, "warning": theme.warning_bg}.get(
                level, theme.error_bg
            )
            border = {"info": theme.border, "warning": theme.warning}.get(level, theme.error)
            name = widget.objectName()
            widget.setStyleSheet(
                f"QFrame#{name} {{ background: {background}; border: 1px solid {border}; "
                "border-radius: 6px; }"
            )
        elif role == "code":
            widget.setFrameShape(QFrame.Shape.NoFrame)
        return
    font = QFont(widget.font())
    base = QApplication.font().pointSizeF()
    font.setBold(role in ("section", "count"))
    if role == "section":
        font.setPointSizeF(base + 1.5)
    elif role in _SMALL_ROLES:
        font.setPointSizeF(max(7.0, base - 0.8))
    else:
        font.setPointSizeF(base)
    widget.setFont(font)
    color = getattr(theme, _LABEL_COLORS[role]) if role in _LABEL_COLORS else theme.text
    _set_color(widget, QPalette.ColorRole.WindowText, color)


def _set_color(widget: QWidget, role: QPalette.ColorRole, color: str) -> None:
    palette = widget.palette()
    palette.setColor(role, QColor(color))
    widget.setPalette(palette)


def problem_style(widget: QWidget, level: str | None) -> None:
    """Mark a control red (error) or amber (warning) with a small widget style sheet."""
    if level is None:
        if widget.styleSheet():
            widget.setStyleSheet("")
        return
    theme = current_theme()
    color = theme.error if level == "error" else theme.warning
    background = theme.error_bg if level == "error" else theme.warning_bg
    kind = type(widget).__mro__[0].__name__
    for base in ("QLineEdit", "QPlainTextEdit", "QComboBox", "QCheckBox", "QTableView"):
        if any(cls.__name__ == base for cls in type(widget).__mro__):
            kind = base
            break
    rule = f"border: 1px solid {color}; background: {background}; border-radius: 3px;"
    if kind == "QCheckBox":
        rule = f"border: 1px solid {color}; background: {background}; padding: 1px 3px;"
    sheet = f"{kind} {{ {rule} }}"
    if kind == "QComboBox":
        arrow = RESOURCES / "icons" / f"arrow-down-{'dark' if theme.dark else 'light'}.svg"
        sheet += (
            f" {kind} {{ padding: 2px 22px 2px 6px; }}"
            f" {kind}::drop-down {{ border: none; width: 20px; }}"
            f' {kind}::down-arrow {{ image: url("{arrow.as_posix()}"); '
            "width: 12px; height: 12px; }"
        )
    elif kind in ("QLineEdit", "QPlainTextEdit"):
        sheet = f"{kind} {{ {rule} padding: 2px 4px; }}"
    widget.setStyleSheet(sheet)


class ThemeManager(QObject):
    """Applies the theme to the application and re-applies it when the system scheme changes."""

    changed = Signal(object)  # the new Theme

    def __init__(self, app: QApplication, dark: bool | None = None, set_style: bool = True) -> None:
        super().__init__(app)
        self._app = app
        self._forced = dark
        self.theme = LIGHT
        if set_style:
            # setStyle() hands the new QStyle back to Python, which builds PySide's QStyle type
            # and its enums (about 8 ms); composer.app avoids that by naming the style in the
            # QApplication's arguments instead.
            app.setStyle("Fusion")
        app.styleHints().colorSchemeChanged.connect(self._on_scheme_changed)
        self.apply()

    def apply(self) -> None:
        """Set palette and stylesheet for the current scheme and tell listeners."""
        dark = system_prefers_dark() if self._forced is None else self._forced
        self.theme = DARK if dark else LIGHT
        self._app.setPalette(palette_for(self.theme))
        _current[0] = self.theme
        for widget in self._app.allWidgets():
            _apply_role(widget, self.theme)
            if widget.property("problem"):
                problem_style(widget, str(widget.property("problem")))
        self.changed.emit(self.theme)

    def _on_scheme_changed(self, _scheme: Qt.ColorScheme) -> None:
        self.apply()


_current: list[Theme] = [LIGHT]
_installed: list[ThemeManager] = []


def current_theme() -> Theme:
    """The theme in use (light until a :class:`ThemeManager` applies another)."""
    return _current[0]


def install_theme(
    app: QApplication, dark: bool | None = None, *, set_style: bool = True
) -> ThemeManager:
    """Create the application's theme manager (once) and keep :func:`current_theme` in step.

    ``set_style=False`` when the application was created with the Fusion style already
    (``-style Fusion`` among its arguments)."""
    existing = theme_manager(app)
    if existing is not None:
        return existing
    manager = ThemeManager(app, dark, set_style)
    _installed[:] = [manager]
    return manager


def theme_manager(app: QApplication | None = None) -> ThemeManager | None:
    """The theme manager installed on ``app`` (default: the running application), if any."""
    app = app or QApplication.instance()  # type: ignore[assignment]
    for manager in _installed:
        # Remembered rather than found with app.findChild(), which hands every child of the
        # application to Python (the QStyle among them: PySide then builds its type and enums).
        with contextlib.suppress(RuntimeError):  # RuntimeError: its application was deleted
            if manager.parent() is app:
                return manager
    return None
