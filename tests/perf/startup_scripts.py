"""The two programs the start-up benchmark times: a bare PySide6 window and composer's window.

Each builds its window, shows it, lets Qt paint it once, prints how many widgets it has, and
exits at once (``os._exit``), so both are timed from process start to a shown window.
"""

from __future__ import annotations

import os
import sys

BARE = """
import os, sys
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QApplication, QComboBox, QFormLayout, QHBoxLayout, QLabel,
    QLineEdit, QMainWindow, QPlainTextEdit, QPushButton, QSplitter, QTableWidget, QWidget,
    QListWidget, QTabWidget, QCheckBox, QToolButton, QScrollArea)
app = QApplication(sys.argv[:1])
window = QMainWindow()
splitter = QSplitter()
window.setCentralWidget(splitter)
library = QListWidget()
library.addItems([f"preset {i}" for i in range(4)])
form = QWidget()
layout = QFormLayout(form)
layout.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
scroll = QScrollArea()
scroll.setWidgetResizable(True)
tabs = QTabWidget()
for name in ("JSON", "curl", "Python", "TypeScript"):
    tabs.addTab(QPlainTextEdit('{"model_id": "flux-dev"}'), name)
table = QTableWidget(4, 2)
layout.addRow(table)
window.addToolBar("Main").addWidget(QPushButton("Submit"))
window.statusBar().showMessage("ready")
scroll.setWidget(form)
splitter.addWidget(library)
splitter.addWidget(scroll)
splitter.addWidget(tabs)
for _ in range(int(sys.argv[1])):  # rows: the benchmark picks the count matching composer's
    row = QWidget()
    line = QHBoxLayout(row)
    line.addWidget(QLineEdit(), 1)
    line.addWidget(QComboBox())
    line.addWidget(QToolButton())
    line.addWidget(QCheckBox())
    layout.addRow(QLabel("field"), row)
window.resize(1360, 860)
window.show()
app.processEvents()
print(len(window.findChildren(QWidget)), flush=True)
os._exit(0)
"""

# What ``composer gui PRESET`` does up to the first frame: the command line read as
# composer.cli.main reads it (only the gui subcommand's module loaded), then composer.app.run_gui.
COMPOSER = """
import os, sys
from composer.cli import build_parser
args = build_parser("gui").parse_args(["gui", sys.argv[1]])
from composer.app import _application, build_window
app = _application()
window = build_window(args.preset)
window.show()
app.processEvents()
from PySide6.QtWidgets import QWidget
print(len(window.findChildren(QWidget)), flush=True)
if len(sys.argv) > 2:  # "complete": also the second phase (validation, library, preview)
    window.complete_startup()
    app.processEvents()
os._exit(0)
"""


def command(program: str, *args: str) -> list[str]:
    """The command line that runs one of the programs above."""
    return [sys.executable, "-c", program, *args]


__all__ = ["BARE", "COMPOSER", "command", "os"]
