"""Typing: a keystroke in a form field until the preview shows it.

Measured from the key press to the end of the preview's refresh (through the coalescing timer),
for a typical request and for one with a 10,000-cell batch table. The baseline, measured in the
same run, is what plain Qt needs for the same visible work: a key press in a QLineEdit plus
setting the same JSON text into a QPlainTextEdit.
"""

from __future__ import annotations

import json
import statistics
import time

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLineEdit, QPlainTextEdit

from composer.core.bodytext import render_body
from composer.resources import sample_preset_text
from composer.ui.main_window import MainWindow

SEED = json.loads(sample_preset_text("seed-example.json"))["request"]
KEYS = 60


def big_body() -> dict[str, object]:
    columns = {f"column_{c}": [(r * 7 + c) if c % 2 else f"value {r}" for r in range(1000)]
               for c in range(10)}  # fmt: skip
    return {**SEED, "batch_input_params": columns}


def keystrokes_to_preview(window: MainWindow, edit: QLineEdit) -> list[float]:
    settled = [0]
    window.binding.settled.connect(lambda: settled.__setitem__(0, settled[0] + 1))
    app = QApplication.instance()
    assert app is not None
    times = []
    for index in range(KEYS):
        before = settled[0]
        started = time.perf_counter()
        QTest.keyClick(edit, Qt.Key.Key_A if index % 2 else Qt.Key.Key_B)
        while settled[0] == before:
            app.processEvents()
        times.append((time.perf_counter() - started) * 1000)
    assert edit.text() in window.preview.editor.toPlainText()
    return times


def baseline(body: dict[str, object]) -> list[float]:
    edit, view = QLineEdit(), QPlainTextEdit()
    text = render_body(body).text
    times = []
    for _ in range(KEYS):
        started = time.perf_counter()
        QTest.keyClick(edit, Qt.Key.Key_A)
        view.setPlainText(text + edit.text())
        times.append((time.perf_counter() - started) * 1000)
    return times


def report(title: str, times: list[float], base: list[float]) -> float:
    median = statistics.median(times)
    p90 = statistics.quantiles(times, n=10)[-1]
    print(
        f"\n{title}: median {median:.1f} ms, p90 {p90:.1f} ms, max {max(times):.1f} ms"
        f"  (baseline plain Qt: median {statistics.median(base):.1f} ms)"
    )
    return median


def test_keystroke_to_preview_typical(window: MainWindow) -> None:
    window.binding.draft.replace(SEED)
    window.binding.settle_now()
    edit = window.findChild(QLineEdit, "webhook")
    median = report("keystroke -> preview, typical request", keystrokes_to_preview(window, edit),
                    baseline(SEED))  # fmt: skip
    assert median <= 16


def test_keystroke_to_preview_with_10000_cells(window: MainWindow) -> None:
    body = big_body()
    window.binding.draft.replace(body)
    window.binding.settle_now()
    edit = window.findChild(QLineEdit, "webhook")
    median = report("keystroke -> preview, 10,000-cell batch", keystrokes_to_preview(window, edit),
                    baseline(body))  # fmt: skip
    assert median <= 100
