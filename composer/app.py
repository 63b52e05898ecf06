"""The GUI entry point: a QApplication driven by a qasync loop (asyncio inside Qt's loop)."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from composer import __version__
from composer.core.presets import PresetError, load_preset, parse_preset
from composer.resources import sample_preset_text


def run_gui(preset: Path | None = None, screenshot: Path | None = None) -> int:
    """Open the composer window; with ``screenshot``, render it to a PNG and exit."""
    import qasync
    from PySide6.QtWidgets import QApplication, QMainWindow, QPlainTextEdit

    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("composer")
    app.setApplicationVersion(__version__)
    try:
        loaded = (
            load_preset(preset, allow_bare=True)
            if preset
            else parse_preset(sample_preset_text("seed-example.json"))
        )
    except PresetError as exc:
        print(f"composer: {exc}", file=sys.stderr)
        return 2
    window = QMainWindow()
    window.setWindowTitle(f"composer: {loaded.name}")
    editor = QPlainTextEdit(json.dumps(loaded.request, indent=2))
    editor.setReadOnly(True)
    window.setCentralWidget(editor)
    window.resize(900, 640)
    window.show()
    if screenshot:
        app.processEvents()
        return 0 if window.grab().save(str(screenshot)) else 1

    async def main() -> None:
        closed = asyncio.Event()
        app.setQuitOnLastWindowClosed(False)
        app.lastWindowClosed.connect(closed.set)
        await closed.wait()

    asyncio.run(main(), loop_factory=qasync.QEventLoop)
    return 0
