"""The inputs editor: typed rows, add/rename/remove, type changes, seeds, declared inputs."""

from __future__ import annotations

import base64
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit, QPlainTextEdit
from pytestqt.qtbot import QtBot

from composer.core.catalogue import InputSpec, ModelInfo
from composer.ui.main_window import MainWindow
from composer.ui.text_editors import ImageEditor

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def inputs(window: MainWindow) -> dict[str, object]:
    return dict(window.binding.draft.body.get("inputs", {}))


def test_rows_follow_the_json_types(window: MainWindow) -> None:
    window.binding.draft.replace(
        {
            "model_id": "m",
            "inputs": {
                "p": "fox",
                "n": 4,
                "g": 3.5,
                "b": True,
                "l": [1, "a"],
                "i": "https://x.org/cat.png",
            },
        }
    )
    rows = window.form.inputs.rows
    assert {name: row.type_name for name, row in rows.items()} == {
        "p": "text", "n": "integer", "g": "number", "b": "boolean", "l": "list", "i": "image",
    }  # fmt: skip
    assert isinstance(rows["p"].editor.main_widget(), QPlainTextEdit)
    assert rows["g"].editor.main_widget().text() == "3.5"  # type: ignore[attr-defined]
    assert rows["l"].editor.main_widget().text() == '[1, "a"]'  # type: ignore[attr-defined]


def test_typing_keeps_the_type(window: MainWindow, qtbot: QtBot) -> None:
    window.binding.draft.replace({"model_id": "m", "inputs": {"steps": 4, "cfg": 1.5, "p": ""}})
    steps = window.findChild(QLineEdit, "inputs.steps")
    steps.clear()
    qtbot.keyClicks(steps, "28")
    cfg = window.findChild(QLineEdit, "inputs.cfg")
    cfg.selectAll()
    qtbot.keyClicks(cfg, "7")
    qtbot.keyClicks(window.findChild(QPlainTextEdit, "inputs.p"), "a fox")
    values = inputs(window)
    assert values == {"steps": 28, "cfg": 7.0, "p": "a fox"}
    assert type(values["steps"]) is int and type(values["cfg"]) is float
    qtbot.keyClicks(steps, "x")  # the validator refuses letters
    assert inputs(window)["steps"] == 28


def test_add_rename_retype_and_remove(window: MainWindow, qtbot: QtBot) -> None:
    editor = window.form.inputs
    window.binding.draft.replace({"model_id": "m"})
    name = editor.add_input()
    assert inputs(window) == {name: ""}
    name_edit = editor.rows[name].name_widget
    assert isinstance(name_edit, QLineEdit) and window.focusWidget() is name_edit
    name_edit.setText("steps")
    name_edit.editingFinished.emit()
    assert inputs(window) == {"steps": ""}
    combo = window.findChild(QComboBox, "inputs.steps__type")
    combo.setCurrentIndex(combo.findData("integer"))
    combo.activated.emit(combo.currentIndex())
    assert inputs(window) == {"steps": 0}
    assert editor.rows["steps"].type_name == "integer"
    editor.add_input("other")
    rename = editor.rows["other"].name_widget
    assert isinstance(rename, QLineEdit)
    rename.setText("steps")  # taken: refused with a message, the name stays
    rename.editingFinished.emit()
    assert list(inputs(window)) == ["steps", "other"]
    assert "already an input" in rename.toolTip()
    qtbot.mouseClick(editor.rows["steps"].remove, Qt.MouseButton.LeftButton)
    assert inputs(window) == {"other": ""}


def test_seed_rows_get_a_random_button(window: MainWindow, qtbot: QtBot) -> None:
    window.binding.draft.replace({"model_id": "m", "inputs": {"seed": 42, "steps": 4}})
    rows = window.form.inputs.rows
    assert rows["steps"].dice is None
    dice = rows["seed"].dice
    assert dice is not None and dice.objectName() == "inputs.seed__random"
    seen = set()
    for _ in range(3):
        qtbot.mouseClick(dice, Qt.MouseButton.LeftButton)
        seen.add(inputs(window)["seed"])
    assert len(seen) > 1 and all(isinstance(s, int) and 0 <= s < 2**32 for s in seen)


def test_declared_inputs_show_defaults_without_setting_them(window: MainWindow) -> None:
    specs = [
        InputSpec(input_id="prompt", class_type="ComfyUIDeployExternalText",
                  default_value="a cat", description="What to draw"),
        InputSpec(input_id="steps", class_type="ComfyUIDeployExternalNumberInt",
                  default_value=20, min_value=1, max_value=50),
        InputSpec(input_id="sampler", enum_values=["euler", "dpmpp_2m"], default_value="euler"),
        InputSpec(input_id="upscale", class_type="ComfyUIDeployExternalBoolean"),
    ]  # fmt: skip
    window.catalogue.models = [ModelInfo(id="flux-dev", inputs=specs)]
    window.catalogue.changed.emit()
    window.binding.draft.replace({"model_id": "flux-dev"})
    rows = window.form.inputs.rows
    assert list(rows) == ["prompt", "steps", "sampler", "upscale"]
    assert "inputs" not in window.binding.draft.body  # shown, not set
    steps = window.findChild(QLineEdit, "inputs.steps")
    assert steps.text() == "" and steps.placeholderText() == "not set · default 20"
    assert "Range: 1 to 50" in steps.toolTip()
    assert "What to draw" in window.findChild(QPlainTextEdit, "inputs.prompt").toolTip()
    sampler = window.findChild(QComboBox, "inputs.sampler")
    sampler.activated.emit(sampler.findData("dpmpp_2m"))
    check = window.findChild(QCheckBox, "inputs.upscale")
    check.click()
    assert inputs(window) == {"sampler": "dpmpp_2m", "upscale": True}
    steps.setText("")
    for key in "99":
        steps.textEdited.emit(steps.text() + key)
        steps.setText(steps.text() + key)
    window.binding.settle_now()
    assert inputs(window)["steps"] == 99
    assert steps.property("problem") == "warning"
    assert "maximum of 50" in steps.toolTip()
    rows["steps"].remove.click()
    assert "steps" not in inputs(window) and "steps" in window.form.inputs.rows


def test_image_file_becomes_a_data_uri_and_big_files_are_refused(
    window: MainWindow, tmp_path: Path
) -> None:
    window.binding.draft.replace({"model_id": "m"})
    window.form.inputs.add_input("image", "image")
    editor = window.form.inputs.rows["image"].editor
    assert isinstance(editor, ImageEditor)
    picture = tmp_path / "dot.png"
    picture.write_bytes(PNG)
    assert editor.load_file(picture)
    value = inputs(window)["image"]
    assert isinstance(value, str) and value.startswith("data:image/png;base64,iVBOR")
    editor = window.form.inputs.rows["image"].editor
    assert isinstance(editor, ImageEditor)
    assert editor.edit.isReadOnly() and "image/png" in editor.edit.text()
    assert not editor.thumbnail.isHidden()
    huge = tmp_path / "huge.png"
    with huge.open("wb") as handle:  # a sparse 50 MB file: its size is what matters
        handle.seek(50_000_000)
        handle.write(b"\0")
    assert not editor.load_file(huge)
    assert "huge.png is 50.0 MB" in editor.edit.toolTip()
    assert editor.edit.property("problem") == "error"
    assert inputs(window)["image"] == value  # the previous image is kept
    editor.drop_inline()
    assert inputs(window)["image"] == ""
