"""The request form: every field edits its key of the body, and the body edits every field back."""

from __future__ import annotations

import uuid

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit, QToolButton, QWidget
from pytestqt.qtbot import QtBot

from composer.core.wire import RequestKind
from composer.servers.sandbox.catalogue import SDXL_DEPLOYMENT_ID
from composer.ui.main_window import MainWindow

DEPLOYMENT = SDXL_DEPLOYMENT_ID


def find[W: QWidget](window: MainWindow, kind: type[W], name: str) -> W:
    widget = window.findChild(kind, name)
    assert widget is not None, f"no {kind.__name__} named {name!r}"
    return widget


def click(qtbot: QtBot, widget: QWidget) -> None:
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def choose(combo: QComboBox, value: str) -> None:
    index = combo.findData(value)
    assert index > 0, value
    combo.setCurrentIndex(index)


def test_every_control_is_named_after_its_wire_field(window: MainWindow) -> None:
    window.form.show_advanced(True)
    for name in (
        "model_id",
        "deployment_id",
        "execution_mode",
        "gpu",
        "batch_number",
        "origin",
        "webhook",
        "webhook_intermediate_status",
        "is_native_run",
        "gpu_event_id",
        "inputs",
        "batch_input_params",
        "target",
        "submit",
    ):
        widget = find(window, QWidget, name)
        assert widget.accessibleName() in (name, "Submit"), name


def test_a_new_request_leaves_everything_unset(window: MainWindow) -> None:
    assert window.binding.draft.body == {}
    assert find(window, QLineEdit, "webhook").text() == ""
    assert find(window, QLineEdit, "webhook").placeholderText().startswith("not set")
    assert find(window, QComboBox, "execution_mode").currentIndex() == 0
    assert find(window, QComboBox, "execution_mode").currentText() == "not set · async"
    check = find(window, QCheckBox, "webhook_intermediate_status")
    assert not check.isChecked()
    assert window.form.fields["webhook_intermediate_status"].state.text() == "not set · false"
    assert not window.form.fields["webhook"].reset_button.isVisibleTo(window)


def test_each_field_edits_its_key(window: MainWindow, qtbot: QtBot) -> None:
    draft = window.binding.draft
    qtbot.keyClicks(find(window, QLineEdit, "model_id"), "flux-dev")
    choose(find(window, QComboBox, "execution_mode"), "sync")
    choose(find(window, QComboBox, "gpu"), "A100")
    qtbot.keyClicks(find(window, QLineEdit, "batch_number"), "5")
    origin = find(window, QComboBox, "origin").lineEdit()
    assert origin is not None
    qtbot.keyClicks(origin, "manual")
    qtbot.keyClicks(find(window, QLineEdit, "webhook"), "https://example.com/webhook")
    qtbot.mouseClick(
        find(window, QCheckBox, "webhook_intermediate_status"), Qt.MouseButton.LeftButton
    )
    window.form.show_advanced(True)
    qtbot.mouseClick(find(window, QCheckBox, "is_native_run"), Qt.MouseButton.LeftButton)
    qtbot.mouseClick(find(window, QToolButton, "gpu_event_id__new"), Qt.MouseButton.LeftButton)
    body = dict(draft.body)
    uuid.UUID(body.pop("gpu_event_id"))
    assert body == {
        "model_id": "flux-dev",
        "execution_mode": "sync",
        "gpu": "A100",
        "batch_number": 5,
        "origin": "manual",
        "webhook": "https://example.com/webhook",
        "webhook_intermediate_status": True,
        "is_native_run": True,
    }
    assert type(draft.body["batch_number"]) is int
    qtbot.mouseClick(
        find(window, QCheckBox, "webhook_intermediate_status"), Qt.MouseButton.LeftButton
    )
    assert draft.body["webhook_intermediate_status"] is False  # explicitly false, still set


def test_the_body_edits_every_field_back(window: MainWindow) -> None:
    window.binding.draft.replace(
        {
            "execution_mode": "stream",
            "inputs": {"prompt": "a fox", "seed": 7},
            "webhook": "https://example.com/h",
            "webhook_intermediate_status": True,
            "origin": "workspace",
            "batch_number": 3,
            "batch_input_params": {"seed": [1, 2]},
            "is_native_run": False,
            "gpu_event_id": "abc",
            "gpu": "H100",
            "model_id": "flux-schnell",
        }
    )
    assert find(window, QLineEdit, "model_id").text() == "flux-schnell"
    assert find(window, QComboBox, "execution_mode").currentData() == "stream"
    assert "server-sent event" in window.form.mode_field.hint.text()
    assert find(window, QComboBox, "gpu").currentData() == "H100"
    assert find(window, QLineEdit, "batch_number").text() == "3"
    assert find(window, QComboBox, "origin").currentText() == "workspace"
    assert find(window, QLineEdit, "webhook").text() == "https://example.com/h"
    assert find(window, QCheckBox, "webhook_intermediate_status").isChecked()
    assert not find(window, QCheckBox, "is_native_run").isChecked()
    assert window.form.fields["is_native_run"].isVisibleTo(window)  # set: advanced shown
    assert find(window, QLineEdit, "gpu_event_id").text() == "abc"
    assert find(window, QWidget, "inputs.prompt").toPlainText() == "a fox"  # type: ignore[attr-defined]
    assert find(window, QLineEdit, "inputs.seed").text() == "7"
    assert window.form.batch.model.table.to_params() == {"seed": [1, 2]}


def test_unset_button_removes_the_key(window: MainWindow, qtbot: QtBot) -> None:
    window.binding.draft.replace({"model_id": "flux-dev", "webhook": "https://x.org/h"})
    reset = window.form.fields["webhook"].reset_button
    assert reset.isVisibleTo(window)
    qtbot.mouseClick(reset, Qt.MouseButton.LeftButton)
    assert "webhook" not in window.binding.draft.body
    assert find(window, QLineEdit, "webhook").text() == ""
    qtbot.keyClicks(find(window, QLineEdit, "webhook"), "h")
    qtbot.keyClick(find(window, QLineEdit, "webhook"), Qt.Key.Key_Backspace)
    assert "webhook" not in window.binding.draft.body  # emptied: unset, not ""


def test_a_value_the_form_does_not_offer_is_shown_not_hidden(window: MainWindow) -> None:
    window.binding.draft.replace({"model_id": "m", "execution_mode": "fast"})
    combo = find(window, QComboBox, "execution_mode")
    assert combo.currentText() == "fast (not a known value)"
    window.binding.settle_now()
    assert combo.property("problem") == "error"


def test_switching_kind_keeps_shared_fields(window: MainWindow, qtbot: QtBot) -> None:
    draft = window.binding.draft
    draft.replace({"model_id": "flux-dev", "inputs": {"seed": 1}, "webhook": "https://x.org"})
    qtbot.mouseClick(window.form.kind_buttons[RequestKind.DEPLOYMENT], Qt.MouseButton.LeftButton)
    assert draft.kind is RequestKind.DEPLOYMENT
    assert draft.body == {"inputs": {"seed": 1}, "webhook": "https://x.org"}
    assert find(window, QLineEdit, "deployment_id").isVisibleTo(window)
    assert not find(window, QLineEdit, "model_id").isVisibleTo(window)
    qtbot.keyClicks(find(window, QLineEdit, "deployment_id"), DEPLOYMENT)
    window.binding.settle_now()
    assert window.preview.endpoint.text().endswith("/run/deployment/queue")
    qtbot.mouseClick(window.form.kind_buttons[RequestKind.MODEL], Qt.MouseButton.LeftButton)
    assert draft.body["model_id"] == "flux-dev" and "deployment_id" not in draft.body
    assert find(window, QLineEdit, "model_id").text() == "flux-dev"


def test_model_id_completion_offers_known_ids(window: MainWindow, qtbot: QtBot) -> None:
    edit = find(window, QLineEdit, "model_id")
    completer = edit.completer()
    assert completer is not None
    completer.setCompletionPrefix("schnell")
    assert completer.currentCompletion() == "flux-schnell"
    actions = window.form.model_picker.popup_menu.actions()
    assert "flux-dev" in [a.text() for a in actions]
    next(a for a in actions if a.text() == "sd-v35-large").trigger()
    assert window.binding.draft.body["model_id"] == "sd-v35-large"


def test_tab_order_follows_the_form(window: MainWindow, qtbot: QtBot) -> None:
    window.binding.draft.replace({"model_id": "m", "inputs": {"prompt": "a", "seed": 1}})
    window.binding.settle_now()
    qtbot.waitUntil(lambda: find(window, QLineEdit, "inputs.seed").isVisible(), timeout=1000)
    order = []
    widget: QWidget | None = find(window, QLineEdit, "model_id")
    for _ in range(30):
        assert widget is not None
        if widget.objectName():
            order.append(widget.objectName())
        widget = widget.nextInFocusChain()
        while widget is not None and not (
            widget.isVisible() and widget.focusPolicy() & Qt.FocusPolicy.TabFocus
        ):
            widget = widget.nextInFocusChain()
    expected = ["model_id", "model_id__pick", "execution_mode", "gpu", "batch_number", "origin",
                "webhook", "webhook__use_receiver", "webhook__run_output",
                "webhook_intermediate_status", "inputs.prompt__name",
                "inputs.prompt__type", "inputs.prompt", "inputs.seed__name"]  # fmt: skip
    assert order[: len(expected)] == expected
