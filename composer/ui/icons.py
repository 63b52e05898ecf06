"""Icons: SVG line drawings in ``composer/resources/icons``, tinted to the theme's text colour.

The SVGs draw with ``currentColor``, which Qt's SVG renderer does not know, so the colour is put
into the text before rendering. Rendered icons are cached per name and colour.
"""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QByteArray, QObject
from PySide6.QtGui import QAction, QIcon, QPixmap
from PySide6.QtWidgets import QAbstractButton

from composer.ui.theme import RESOURCES, current_theme


@cache
def _svg_text(name: str) -> str:
    return (RESOURCES / "icons" / f"{name}.svg").read_text(encoding="utf-8")


@cache
def _icon(name: str, color: str) -> QIcon:
    pixmap = QPixmap()
    data = _svg_text(name).replace("currentColor", color).encode("utf-8")
    pixmap.loadFromData(QByteArray(data), "SVG")
    return QIcon(pixmap)


def icon(name: str, color: str | None = None) -> QIcon:
    """The icon ``name`` (file stem under ``resources/icons``) in ``color`` or the text colour."""
    theme = current_theme()
    return _icon(name, color or theme.text)


def app_icon() -> QIcon:
    """composer's own icon (window and taskbar), from the rendered PNG sizes."""
    icon = QIcon()
    for size in (16, 24, 32, 48, 64, 128, 256):
        icon.addFile(str(RESOURCES / "icons" / f"composer-{size}.png"))
    return icon


def set_icon(target: QAbstractButton | QAction, name: str, color: str = "text") -> None:
    """Give a button or action the icon ``name`` in the theme colour ``color`` (a Theme field),
    and remember both so :func:`refresh_icons` can repaint it when the theme changes."""
    target.setProperty("iconName", name)
    target.setProperty("iconColor", color)
    target.setIcon(icon(name, getattr(current_theme(), color)))


def refresh_icons(root: QObject) -> None:
    """Re-tint every icon set with :func:`set_icon` under ``root`` (after a theme change)."""
    targets: list[QAbstractButton | QAction] = [
        *root.findChildren(QAbstractButton),
        *root.findChildren(QAction),
    ]
    for target in targets:
        name = target.property("iconName")
        if isinstance(name, str):
            color = target.property("iconColor")
            target.setIcon(icon(name, getattr(current_theme(), str(color or "text"))))
