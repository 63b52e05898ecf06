"""Icons: SVG line drawings in ``composer/resources/icons``, tinted to the theme's text colour.

The SVGs draw with ``currentColor``, which Qt's SVG renderer does not know, so the colour is put
into the text before rendering. Rendered icons are cached per name and colour.
"""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QByteArray
from PySide6.QtGui import QIcon, QPixmap

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
