"""Start-up: the quick look at a preset, bad presets on the command line, a lean first frame."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from composer.app import run_gui
from composer.core.wire import RequestKind
from composer.ui.main_window import MainWindow
from composer.ui.startup import QuickLookError, quick_look
from tests.ui.conftest import WindowFactory

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "composer" / "resources" / "presets" / "seed-example.json"


def test_quick_look_reads_presets_and_bare_bodies(tmp_path: Path) -> None:
    look = quick_look(SEED)
    assert look.kind is RequestKind.MODEL and look.request["model_id"] == "<id>"
    assert look.name.startswith("Seed example")
    bare = tmp_path / "body.json"
    bare.write_text('{"deploymentId": "x"}', encoding="utf-8")
    assert quick_look(bare).kind is RequestKind.DEPLOYMENT and quick_look(bare).name == "body"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{oops", "not valid JSON: Expecting property name enclosed in double quotes at line 1"),
        ("[]", "not a composer preset: the file holds no JSON object"),
        ('{"a": 1}', 'not a composer preset: "format" is missing'),
        ('{"format": "composer.preset", "version": 7, "request": {}}', "written by a newer"),
        ('{"format": "composer.preset", "version": 1, "request": 3}', '"request" must be'),
    ],
)
def test_quick_look_refuses_what_cannot_open(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "p.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(QuickLookError, match=message.replace("(", r"\(")):
        quick_look(path)


def test_a_bad_preset_on_the_command_line_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "new.json"
    path.write_text(json.dumps({"format": "composer.preset", "version": 2, "request": {}}))
    assert run_gui(path) == 2
    assert "written by a newer composer" in capsys.readouterr().err
    assert run_gui(tmp_path / "missing.json") == 2


def test_a_preset_with_invalid_fields_opens_with_its_problems_marked(
    make_window: WindowFactory, tmp_path: Path
) -> None:
    path = tmp_path / "bad-fields.json"
    preset = {"format": "composer.preset", "version": 1, "name": "Bad", "kind": "model",
              "request": {"model_id": "m", "execution_mode": "fast"}}  # fmt: skip
    path.write_text(json.dumps(preset), encoding="utf-8")
    window: MainWindow = make_window(open_path=path, deferred=True)
    assert not window.started and window.binding.draft.body["execution_mode"] == "fast"
    window.complete_startup()
    assert "invalid field at request.execution_mode" in window.statusBar().currentMessage()
    assert window.binding.draft.body == preset["request"]  # kept, to be fixed and saved
    assert window.document.dirty
    assert window.form.fields["execution_mode"].control.property("problem") == "error"


FIRST_FRAME = f"""
import gc, importlib.util, sys
from pathlib import Path
loaded = []
sys.addaudithook(lambda event, args: loaded.append(args[0]) if event == "import" else None)
from composer.app import _application, build_window
app = _application()
window = build_window(Path({str(SEED)!r}))
window.show()
app.processEvents()
print(sorted(m for m in ('pydantic', 'asyncio', 'qasync', 'httpx') if m in sys.modules))
print(window.findChild(__import__('PySide6.QtWidgets').QtWidgets.QLineEdit, 'model_id').text())
after_qt = loaded[next(i for i, name in enumerate(loaded) if name.startswith("PySide6")):]
def uses_qt(name):
    origin = importlib.util.find_spec(name).origin
    return "PySide6" in Path(origin).read_text(encoding="utf-8")
print(sorted({{m for m in after_qt if m.startswith("composer") and not uses_qt(m)}}))
paused = not gc.isenabled()
app.processEvents()
print(paused, gc.isenabled())
"""


def test_the_first_frame_is_lean(tmp_path: Path) -> None:
    """No pydantic, asyncio or HTTP client before the window shows; every Qt-free module of
    composer imported before PySide6 (whose import hook reads each later module's source); no
    garbage collection in the first frame, and collection back on right after it."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", COMPOSER_HOME=str(tmp_path / "home"))
    result = subprocess.run([sys.executable, "-c", FIRST_FRAME], capture_output=True, text=True,
                            env=env, timeout=60, check=True)  # fmt: skip
    assert result.stdout.splitlines() == ["[]", "<id>", "[]", "True True"]


def test_the_app_has_its_icon(qapp: object) -> None:
    from composer.app import _application

    app = _application()
    sizes = {size.width() for size in app.windowIcon().availableSizes()}
    assert {16, 32, 48, 256} <= sizes


def test_the_second_phase_colours_the_json(make_window: WindowFactory, qtbot: QtBot) -> None:
    window: MainWindow = make_window(open_path=SEED, deferred=True)

    def coloured_blocks() -> int:
        block, count = window.preview.editor.document().firstBlock(), 0
        while block.isValid():
            count += bool(block.layout().formats())
            block = block.next()
        return count

    assert window.preview.editor.toPlainText().startswith("{")
    assert coloured_blocks() == 0  # the first frame shows the text plain
    window.complete_startup()
    qtbot.waitUntil(lambda: coloured_blocks() > 5, timeout=2000)
