"""The preview: exactly the wire body, two-way JSON editing, folded data URIs, snippets."""

from __future__ import annotations

import json
import re

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QComboBox, QLineEdit
from pytestqt.qtbot import QtBot

from composer.core.request import DeploymentRunRequest, ModelRunRequest
from composer.core.snippets import curl_snippet
from composer.resources import sample_preset_text
from composer.ui.main_window import MainWindow
from composer.ui.preview import PreviewPane

SEED = json.loads(sample_preset_text("seed-example.json"))["request"]


def shown(preview: PreviewPane) -> object:
    return json.loads(preview.editor.toPlainText())


def test_preview_is_the_request_models_wire_body(window: MainWindow) -> None:
    window.binding.draft.replace(SEED)
    window.binding.settle_now()
    assert shown(window.preview) == ModelRunRequest.model_validate(SEED).to_wire() == SEED
    assert window.preview.endpoint.text() == "POST http://127.0.0.1:3011/api/run"
    size = len(json.dumps(SEED, separators=(",", ":")).encode())
    assert window.preview.size_label.text() == f"{size} bytes on the wire"
    # A deployment id is sent in canonical form: the preview shows what is sent.
    upper = {"deployment_id": "0F6C2D1E-4B7A-4C1E-9A53-2F8D6B1C7E40", "execution_mode": "sync"}
    window.binding.draft.replace(upper)
    window.binding.settle_now()
    assert shown(window.preview) == DeploymentRunRequest.model_validate(upper).to_wire()
    assert window.preview.endpoint.text().endswith("/run/deployment/sync")


def test_a_keystroke_in_the_form_updates_the_preview(window: MainWindow, qtbot: QtBot) -> None:
    qtbot.keyClicks(window.findChild(QLineEdit, "model_id"), "flux-dev")
    qtbot.waitUntil(lambda: shown(window.preview) == {"model_id": "flux-dev"}, timeout=1000)


def test_valid_json_typed_in_the_preview_updates_the_form(window: MainWindow) -> None:
    preview = window.preview
    preview.editor.setPlainText(
        '{"modelId": "flux-dev", "executionMode": "sync", "inputs": {"seed": 5}}'
    )
    assert preview.apply_text()
    assert window.binding.draft.body == {
        "model_id": "flux-dev", "execution_mode": "sync", "inputs": {"seed": 5},
    }  # fmt: skip
    assert window.findChild(QLineEdit, "model_id").text() == "flux-dev"
    assert window.findChild(QComboBox, "execution_mode").currentData() == "sync"
    assert window.findChild(QLineEdit, "inputs.seed").text() == "5"
    window.binding.settle_now()
    assert "Converted modelId to model_id" in preview.status.text()


def test_typing_in_the_preview_applies_after_a_pause(window: MainWindow, qtbot: QtBot) -> None:
    window.binding.draft.replace({"model_id": "flux-dev"})
    window.binding.settle_now()
    editor = window.preview.editor
    editor.setFocus()
    cursor = editor.textCursor()
    cursor.movePosition(cursor.MoveOperation.End)
    cursor.movePosition(cursor.MoveOperation.Left)  # before the closing brace
    cursor.movePosition(cursor.MoveOperation.Left)  # before the newline
    editor.setTextCursor(cursor)
    qtbot.keyClicks(editor, ', "webhook": "https://x.org"')
    qtbot.waitUntil(
        lambda: window.binding.draft.body.get("webhook") == "https://x.org", timeout=2000
    )
    assert window.findChild(QLineEdit, "webhook").text() == "https://x.org"


def test_invalid_json_says_where_and_the_form_keeps_its_state(window: MainWindow) -> None:
    window.binding.draft.replace({"model_id": "flux-dev", "inputs": {"seed": 1}})
    window.binding.settle_now()
    preview = window.preview
    preview.editor.setPlainText('{\n  "model_id": "flux-dev",\n  "inputs": {"seed": 1,}\n}')
    assert not preview.apply_text()
    assert re.match(r"Not valid JSON: Line 3, column 2\d: ", preview.error_text)
    assert preview.revert.isVisibleTo(window)
    assert preview.editor.extraSelections()  # the spot is marked
    assert window.binding.draft.body == {"model_id": "flux-dev", "inputs": {"seed": 1}}
    window.binding.settle_now()
    assert 'seed": 1,}' in preview.editor.toPlainText()  # the user's text is not thrown away
    preview.editor.setPlainText("[1, 2]")
    assert not preview.apply_text()
    assert preview.error_text == "The body must be a JSON object ({...})."
    preview.discard_edits()
    assert shown(preview) == {"model_id": "flux-dev", "inputs": {"seed": 1}}
    assert not preview.error_text


def test_data_uris_are_folded_and_survive_edits(window: MainWindow) -> None:
    uri = "data:image/png;base64," + "A" * 10_000
    window.binding.draft.replace({"model_id": "m", "inputs": {"image": uri}})
    window.binding.settle_now()
    text = window.preview.editor.toPlainText()
    assert "AAAAAAAA" not in text and "10.0 kB folded #1" in text
    window.preview.editor.setPlainText(text.replace('"m"', '"flux-dev"'))
    assert window.preview.apply_text()
    assert window.binding.draft.body == {"model_id": "flux-dev", "inputs": {"image": uri}}


def test_huge_bodies_are_abbreviated_and_read_only(window: MainWindow) -> None:
    window.binding.draft.replace(
        {"model_id": "m", "batch_input_params": {"seed": list(range(100_000))}}
    )
    window.binding.settle_now()
    preview = window.preview
    assert preview.editor.isReadOnly()
    assert "99,800 more values not shown" in preview.editor.toPlainText()
    preview.copy("json")
    copied = json.loads(QGuiApplication.clipboard().text())
    assert len(copied["batch_input_params"]["seed"]) == 100_000


def test_snippet_tabs_and_copy(window: MainWindow, qtbot: QtBot) -> None:
    window.binding.draft.replace(SEED)
    preview = window.preview
    preview.tabs.setCurrentIndex(1)
    expected = curl_snippet("http://127.0.0.1:3011/api", SEED)
    assert preview.snippets["curl"].toPlainText() == expected
    window.targets.select("staging")
    assert "https://staging.api.comfydeploy.com/api/run" in preview.snippets["curl"].toPlainText()
    preview.tabs.setCurrentIndex(3)
    assert "const body = {" in preview.snippets["typescript"].toPlainText()
    preview.copy_button.click()
    assert QGuiApplication.clipboard().text().startswith("// Send a ComfyDeploy run.")
    window.actions_by_name["copy_curl"].trigger()
    assert QGuiApplication.clipboard().text().startswith("curl -sS -X POST 'https://staging")
