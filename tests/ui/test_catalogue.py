"""The catalogue over an async source (the client's, or a fixed one): completion, pickers, rows."""

from __future__ import annotations

import qasync
from PySide6.QtWidgets import QLineEdit
from pytestqt.qtbot import QtBot

from composer.core.catalogue import DeploymentInfo, InputSpec, ModelInfo
from composer.core.wire import RequestKind
from composer.servers.sandbox.catalogue import SDXL_DEPLOYMENT_ID
from composer.ui.catalogue import CatalogueSource, StaticCatalogue
from composer.ui.main_window import MainWindow
from tests.qt_async import run_async

DEPLOYMENT_ID = SDXL_DEPLOYMENT_ID
PROMPT = InputSpec(input_id="prompt", class_type="ComfyUIDeployExternalText")
CFG = InputSpec(input_id="cfg", class_type="ComfyUIDeployExternalNumberSlider", default_value=6.5)
SOURCE = StaticCatalogue(
    [ModelInfo(id="flux-dev", name="FLUX.1 dev", inputs=[PROMPT])],
    [
        DeploymentInfo(
            id=DEPLOYMENT_ID, name="SDXL text to image", environment="production", input_types=[CFG]
        )
    ],
)


class Unreachable:
    """A source whose target does not answer."""

    async def models(self) -> list[ModelInfo]:
        raise ConnectionError("cannot connect to 127.0.0.1:9 (connection refused)")

    async def deployments(self) -> list[DeploymentInfo]:
        raise AssertionError("not reached")


def test_sources_satisfy_the_protocol() -> None:
    assert isinstance(SOURCE, CatalogueSource) and isinstance(Unreachable(), CatalogueSource)


def test_loading_fills_completion_pickers_and_declared_rows(
    window: MainWindow, qtbot: QtBot, qasync_loop: qasync.QEventLoop
) -> None:
    assert run_async(qtbot, window.load_catalogue(SOURCE))
    form = window.form
    assert [a.text() for a in form.model_picker.popup_menu.actions()] == ["FLUX.1 dev (flux-dev)"]
    qtbot.keyClicks(window.findChild(QLineEdit, "model_id"), "flux-dev")
    assert list(form.inputs.rows) == ["prompt"]
    assert "FLUX.1 dev" in form.model_field.hint.text()
    form.set_kind(RequestKind.DEPLOYMENT)
    form.deployment_picker.popup_menu.actions()[0].trigger()
    assert window.binding.draft.body["deployment_id"] == DEPLOYMENT_ID
    assert form.deployment_field.hint.text() == "SDXL text to image · production"
    assert list(form.inputs.rows) == ["cfg"]
    assert window.findChild(QLineEdit, "inputs.cfg").placeholderText() == "not set · default 6.5"


def test_an_unreachable_target_says_so_and_keeps_known_models(
    window: MainWindow, qtbot: QtBot, qasync_loop: qasync.QEventLoop
) -> None:
    assert not run_async(qtbot, window.load_catalogue(Unreachable()))
    assert "cannot connect to 127.0.0.1:9" in window.statusBar().currentMessage()
    assert "flux-schnell" in window.catalogue.model_ids()


def test_start_catalogue_load_needs_a_running_loop(window: MainWindow) -> None:
    assert window.start_catalogue_load(SOURCE) is None  # no loop: nothing scheduled, no error


def test_each_target_gets_its_own_catalogue(
    window: MainWindow, qtbot: QtBot, qasync_loop: qasync.QEventLoop
) -> None:
    asked: list[str] = []

    def provider(target: object) -> CatalogueSource | None:
        key = getattr(target, "key", "")
        asked.append(key)
        return SOURCE if key == "staging" else None

    assert window.set_catalogue_provider(provider) is None  # sandbox: no source, nothing loads
    window.targets.select("staging")
    qtbot.waitUntil(lambda: window.catalogue.model("flux-dev") is not None, timeout=2000)
    assert asked == ["sandbox", "staging"]
