"""Render composer's SVG icon to the PNG sizes, .ico and .icns the platforms need.

Run from the repository root after changing composer/resources/icons/composer.svg:
    .venv/bin/python packaging/make_icons.py
The outputs are committed, so neither the app nor the bundle build needs to run this.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ICONS = Path(__file__).resolve().parents[1] / "composer" / "resources" / "icons"
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def render(renderer: QSvgRenderer, size: int) -> QImage:
    """The icon as a transparent square image of ``size`` pixels."""
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    return image


def main() -> int:
    """Write composer-<size>.png for each size, composer.ico and composer.icns."""
    app = QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(ICONS / "composer.svg"))
    if not renderer.isValid():
        print("composer.svg is not a valid SVG", file=sys.stderr)
        return 1
    for size in PNG_SIZES:
        render(renderer, size).save(str(ICONS / f"composer-{size}.png"))
    # Qt's ico and icns plugins write the largest sizes those formats hold.
    ok_ico = render(renderer, 256).save(str(ICONS / "composer.ico"), "ico")
    ok_icns = render(renderer, 512).save(str(ICONS / "composer.icns"), "icns")
    del app
    return 0 if ok_ico and ok_icns else 1


if __name__ == "__main__":
    raise SystemExit(main())
