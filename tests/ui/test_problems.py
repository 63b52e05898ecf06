"""Problems where they happen: local errors and a server's 422 mark the widgets owning the paths."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QComboBox, QLineEdit, QWidget
from pytestqt.qtbot import QtBot

from composer.core.validation import errors_from_422
from composer.ui.main_window import MainWindow, SubmitRequest

# A FastAPI 422 as the server sends it (API-CONTRACT section 3).
DETAIL = [
    {"type": "literal_error", "loc": ["body", "ModelRunRequest", "execution_mode"],
     "msg": "Input should be 'async', 'sync', 'sync_first_result' or 'stream'", "input": "x"},
    {"type": "string_type", "loc": ["body", "inputs", "seed", "str"],
     "msg": "Input should be a valid string", "input": None},
    {"type": "list_type", "loc": ["body", "batch_input_params", "prompt", 1],
     "msg": "Input should be a valid list", "input": 1},
    {"type": "missing", "loc": ["body", "webhook"], "msg": "Field required", "input": {}},
]  # fmt: skip


def problem(widget: QWidget | None) -> object:
    assert widget is not None
    return widget.property("problem")


def test_local_errors_disable_submit_with_the_reason(window: MainWindow, qtbot: QtBot) -> None:
    submit = window.actions_by_name["submit"]
    window.binding.settle_now()
    assert not submit.isEnabled()
    assert "model_id: Field required" in submit.toolTip()
    assert window.validity.text().startswith("✕ 1 problem: model_id")
    assert problem(window.findChild(QLineEdit, "model_id")) == "error"
    qtbot.keyClicks(window.findChild(QLineEdit, "model_id"), "flux-dev")
    window.binding.settle_now()
    assert submit.isEnabled() and problem(window.findChild(QLineEdit, "model_id")) is None
    assert window.validity.text() == "✓ Ready to send"


def test_a_wrong_input_value_marks_its_row(window: MainWindow) -> None:
    window.binding.draft.replace({"model_id": "m", "inputs": {"seed": None, "ok": 1}})
    window.binding.settle_now()
    row = window.form.inputs.rows["seed"].editor.main_widget()
    assert problem(row) == "error"
    assert "string, a number, a boolean or a list" in row.toolTip()
    assert problem(window.form.inputs.rows["ok"].editor.main_widget()) is None
    assert not window.actions_by_name["submit"].isEnabled()


def test_server_422_marks_fields_rows_and_cells(window: MainWindow, qtbot: QtBot) -> None:
    window.binding.draft.replace(
        {"model_id": "m", "execution_mode": "async", "inputs": {"seed": 1},
         "batch_input_params": {"prompt": ["a", "b"]}}
    )  # fmt: skip
    window.show_server_errors(errors_from_422(DETAIL))
    mode = window.findChild(QComboBox, "execution_mode")
    assert problem(mode) == "error" and "Server: Input should be 'async'" in mode.toolTip()
    assert problem(window.form.inputs.rows["seed"].editor.main_widget()) == "error"
    assert problem(window.findChild(QLineEdit, "webhook")) == "error"
    model = window.form.batch.model
    assert list(model.cell_problems) == [(1, 0)]
    assert "Server: Input should be a valid list" in model.data(
        model.index(1, 0), Qt.ItemDataRole.ToolTipRole
    )
    assert window.actions_by_name["submit"].isEnabled()  # resending is the user's call
    assert "server errors shown" in window.validity.text()
    # Editing a field clears its server error, and only its own.
    qtbot.keyClicks(window.findChild(QLineEdit, "webhook"), "https://x.org")
    window.binding.settle_now()
    assert problem(window.findChild(QLineEdit, "webhook")) is None
    assert problem(mode) == "error"


def test_server_errors_without_an_owner_are_listed(window: MainWindow) -> None:
    window.binding.draft.replace({"model_id": "m"})
    window.show_server_errors(errors_from_422("Batch number is not supported"))
    assert [p.message for p in window.marker.unplaced] == ["Batch number is not supported"]
    assert "Batch number is not supported" in window.validity.toolTip()


def test_submit_emits_the_validated_body(window: MainWindow, qtbot: QtBot) -> None:
    window.binding.draft.replace({"model_id": "flux-dev", "inputs": {"seed": 1}})
    window.targets.select("staging")
    window.binding.settle_now()
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=1000)
    with qtbot.waitSignal(window.submit_requested, timeout=1000) as caught:
        qtbot.keyClick(window, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    request = caught.args[0]
    assert isinstance(request, SubmitRequest)
    assert request.body == {"inputs": {"seed": 1}, "model_id": "flux-dev"}
    assert request.base_url == "https://staging.api.comfydeploy.com/api"
    assert request.endpoint.path == "/run"
    window.binding.draft.replace({"inputs": {}})
    assert window.submit() is None  # invalid: nothing is emitted
