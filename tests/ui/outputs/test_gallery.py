"""The outputs gallery of a run, on real sandbox outputs over loopback HTTP."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QPlainTextEdit
from pytestqt.qtbot import QtBot

from composer.client.api import ApiClient
from composer.client.results import SyncOutputs
from composer.core.runs import MediaItem, RunOutput, RunState
from composer.servers.sandbox import Sandbox
from composer.ui.outputs.gallery import OutputsGallery, describe_outputs, is_image
from composer.ui.theme import DARK, LIGHT, install_theme
from tests.client.helpers import DEPLOYMENT_BODY
from tests.qt_async import run_async
from tests.ui.outputs.conftest import finished_run

PNG = b"\x89PNG\r\n\x1a\n"


def _gallery(qtbot: QtBot, api: ApiClient) -> OutputsGallery:
    gallery = OutputsGallery(api)
    qtbot.addWidget(gallery)
    gallery.resize(700, 500)
    gallery.show()
    return gallery


def _wait_tiles(qtbot: QtBot, gallery: OutputsGallery) -> None:
    qtbot.waitUntil(lambda: all(t.state in ("image", "error") for t in gallery.tiles), timeout=5000)


def test_a_finished_runs_thumbnails_load(qtbot: QtBot, api: ApiClient) -> None:
    state = finished_run(qtbot, api, "A red fox", 11)
    gallery = _gallery(qtbot, api)
    gallery.show_run(state)
    assert len(gallery.tiles) == len([m for m in state.media if is_image(m)]) >= 1
    _wait_tiles(qtbot, gallery)
    tile = gallery.tiles[0]
    assert tile.state == "image"
    assert not tile.picture.pixmap().isNull()
    assert gallery.summary.text() == describe_outputs(state)
    assert tile.caption.text().endswith(".png")
    # Showing the same state again (a duplicate update) keeps the loaded tiles.
    gallery.show_run(dataclasses.replace(state, updates=state.updates + 1))
    assert gallery.tiles[0] is tile


def test_text_outputs_and_other_files(qtbot: QtBot, api: ApiClient) -> None:
    result = run_async(qtbot, api.submit({**DEPLOYMENT_BODY, "execution_mode": "sync"}))
    assert isinstance(result, SyncOutputs) and result.run_id
    mesh = RunOutput(
        "mesh-1", media=(MediaItem("mesh", "http://127.0.0.1:1/m/chair.glb", "chair.glb"),)
    )
    state = RunState(result.run_id, status="success", outputs=(*result.outputs, mesh))
    gallery = _gallery(qtbot, api)
    gallery.show_run(state)
    texts = [
        view.toPlainText() for view in gallery.findChildren(QPlainTextEdit, "output_text__view")
    ]
    expected = [text for output in result.outputs for text in output.texts]
    assert expected and texts == expected
    [link] = gallery.findChildren(QLabel, "output_file__link")
    assert "chair.glb" in link.text() and 'href="http://127.0.0.1:1/m/chair.glb"' in link.text()
    assert "1 file" in gallery.summary.text() and "1 text" in gallery.summary.text()
    _wait_tiles(qtbot, gallery)


def test_a_broken_link_shows_the_placeholder_and_retry_refetches_the_run(
    qtbot: QtBot, api: ApiClient, sandbox: Sandbox
) -> None:
    state = finished_run(qtbot, api, "A lighthouse", 5)
    good = state.outputs[0]
    broken_media = tuple(
        dataclasses.replace(item, url=item.url.replace("/files/", "/files/expired-"))
        for item in good.media
    )
    stale = dataclasses.replace(
        state, outputs=(dataclasses.replace(good, media=broken_media), *state.outputs[1:])
    )
    gallery = _gallery(qtbot, api)
    gallery.show_run(stale)
    _wait_tiles(qtbot, gallery)
    tile = gallery.tiles[0]
    assert tile.state == "error"
    assert tile.reason is not None and "404" in tile.reason
    assert tile.retry.isVisible()
    # Retry fetches the run again (GET /run/{id}): its fresh links load.
    tile.retry.click()
    qtbot.waitUntil(lambda: bool(gallery.tiles) and gallery.tiles[0].state == "image", timeout=5000)
    assert gallery.state is not None and gallery.state.outputs[0].media[0].url == good.media[0].url


def test_save_all_writes_the_real_files(qtbot: QtBot, api: ApiClient, tmp_path: Path) -> None:
    state = finished_run(qtbot, api, "A castle", 2)
    gallery = _gallery(qtbot, api)
    gallery.show_run(state)
    (tmp_path / "out").mkdir()
    taken = state.media[0].filename
    (tmp_path / "out" / taken).write_bytes(b"mine")
    task = gallery.save_all(tmp_path / "out")
    assert task is not None
    qtbot.waitUntil(task.done, timeout=5000)
    results = task.result()
    assert results and all(r.ok for r in results)
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert len(written) == len(state.media) + 1
    assert (tmp_path / "out" / taken).read_bytes() == b"mine"  # never overwritten
    for result in results:
        assert result.path.read_bytes().startswith(PNG)
    assert gallery.save_bar.status.text().startswith("✓ Saved")


def test_save_all_reports_files_that_fail(
    qtbot: QtBot, api: ApiClient, sandbox: Sandbox, tmp_path: Path
) -> None:
    gone = RunOutput(
        "o", media=(MediaItem("images", sandbox.base_url + "/files/nope/x.png", "x.png"),)
    )
    gallery = _gallery(qtbot, api)
    gallery.show_run(RunState("r", status="success", outputs=(gone,)))
    task = gallery.save_all(tmp_path)
    assert task is not None
    qtbot.waitUntil(task.done, timeout=5000)
    assert gallery.save_bar.status.text().startswith("✕ Nothing saved")
    assert "x.png: the file is gone (404)" in gallery.save_bar.problems.text()
    assert list(tmp_path.iterdir()) == []


def test_click_opens_the_large_view_non_modal(qtbot: QtBot, api: ApiClient) -> None:
    state = finished_run(qtbot, api, "A cat", 9)
    gallery = _gallery(qtbot, api)
    gallery.show_run(state)
    _wait_tiles(qtbot, gallery)
    qtbot.mouseClick(gallery.tiles[0], Qt.MouseButton.LeftButton)
    viewer = gallery.viewer
    assert viewer is not None and viewer.isVisible() and not viewer.isModal()
    qtbot.waitUntil(lambda: viewer.state == "image", timeout=5000)
    assert viewer.picture.pixmap().width() > 0
    assert viewer.title.text() == gallery.tiles[0].caption.text()


def test_empty_states_say_what_is_going_on(qtbot: QtBot, api: ApiClient) -> None:
    gallery = _gallery(qtbot, api)
    gallery.show_run(RunState("r", status="running", live_status="Executing KSampler"))
    assert gallery.empty.text() == "No outputs yet: the run is Executing KSampler."
    assert not gallery.save_button.isEnabled()
    gallery.show_run(RunState("r", status="failed"))
    assert gallery.empty.text() == "The run ended failed: it saved no outputs."


def test_tiles_follow_a_theme_switch(qtbot: QtBot, api: ApiClient, qapp: QApplication) -> None:
    gallery = _gallery(qtbot, api)
    manager = install_theme(qapp)
    assert LIGHT.alt_base in gallery._pictures.styleSheet()
    manager._forced = True  # the system switched to dark
    try:
        manager.apply()
        assert DARK.alt_base in gallery._pictures.styleSheet()
    finally:
        manager._forced = False
        manager.apply()
    assert LIGHT.alt_base in gallery._pictures.styleSheet()
