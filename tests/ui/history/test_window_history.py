"""History in the window: Ctrl+H opens it, an entry sent from the window reopens as the draft."""

from __future__ import annotations

import qasync
from PySide6.QtWidgets import QApplication, QPushButton
from pytestqt.qtbot import QtBot

from composer.ui.history.window_hook import HistoryHook, install_history
from composer.ui.outputs.page import OutputsPage
from tests.qt_async import run_async
from tests.ui.conftest import WindowFactory
from tests.ui.runs.conftest import Runs, make_runs, runs
from tests.ui.runs.test_app_main import run_main_until_closed

__all__ = ["make_runs", "runs"]  # fixtures


def _hook(runs: Runs) -> HistoryHook:
    hook = install_history(runs.window, path=runs.history.path)
    assert install_history(runs.window) is hook  # once per window
    return hook


def test_a_sent_request_reopens_as_the_draft_exactly(runs: Runs, qtbot: QtBot) -> None:
    hook = _hook(runs)
    window = runs.window
    runs.open_sample("batch-grid-3x3.json")
    submission = runs.submit()
    runs.wait_done(submission, timeout=15_000)
    assert submission.session.recorder is not None
    run_async(qtbot, submission.session.recorder.flush())
    assert not hook.dock.isVisible()
    window.actions_by_name["history"].trigger()  # View > History, Ctrl+H
    assert hook.dock.isVisible() and hook.view.store is not None
    assert hook.view.select(submission.history_id)
    assert len(hook.view.details.grid.cells) == 9
    window.document.new()  # a fresh, empty request: nothing unsaved to ask about
    window.form.refresh()
    assert window.binding.draft.body == {} and not window.document.dirty
    hook.view.details.reopen.click()
    assert window.binding.draft.wire() == submission.sent_body
    assert window.document.dirty and window.document.path is None  # a draft, not a preset
    assert window.windowTitle().startswith("From history: flux-schnell")
    assert window.targets.key == "sandbox"


def test_reopening_asks_before_replacing_unsaved_work(runs: Runs, qtbot: QtBot) -> None:
    hook = _hook(runs)
    window = runs.window
    runs.open_sample("flux-dev-portrait.json")
    submission = runs.submit()
    runs.wait_done(submission)
    run_async(qtbot, submission.session.recorder.flush())  # type: ignore[union-attr]
    hook.show()
    hook.view.select(submission.history_id)
    window.binding.draft.set(("inputs", "prompt"), "my unsaved edit")
    hook.view.details.reopen.click()
    prompt = window.prompt
    assert prompt is not None  # "save your changes?" first
    assert window.binding.draft.get(("inputs", "prompt")) == "my unsaved edit"
    discard = prompt.findChild(QPushButton, "unsaved_prompt__discard")
    assert discard is not None
    discard.click()
    assert window.binding.draft.wire() == submission.sent_body


def test_pictures_of_an_entry_load_through_its_targets_session(runs: Runs, qtbot: QtBot) -> None:
    hook = _hook(runs)
    runs.open_sample("flux-dev-portrait.json")
    submission = runs.submit()
    runs.wait_done(submission)
    run_async(qtbot, submission.session.recorder.flush())  # type: ignore[union-attr]
    hook.show()
    hook.view.select(submission.history_id)
    gallery = hook.view.details.gallery
    assert gallery.source is submission.session.api
    assert not hook.view.details.notes.isVisibleTo(hook.view)  # this session's sandbox: no note
    qtbot.waitUntil(lambda: bool(gallery.tiles) and gallery.tiles[0].state == "image", timeout=5000)
    run_async(qtbot, hook.aclose())


def test_the_open_history_follows_a_batch_as_it_runs(runs: Runs, qtbot: QtBot) -> None:
    hook = _hook(runs)
    hook.show()
    assert hook.view.model.rowCount() == 0
    runs.open_sample("batch-grid-3x3.json")
    submission = runs.submit()
    # The new entry appears by itself, and its grid fills in place as the runs finish.
    qtbot.waitUntil(lambda: hook.view.model.rowCount() == 1, timeout=5000)
    hook.view.select(hook.view.model.rows[0].id)
    grid = hook.view.details.grid
    first_cells = dict(grid.cells)
    runs.wait_done(submission, timeout=15_000)
    qtbot.waitUntil(lambda: grid.summary.text() == "9 runs · 9 done", timeout=5000)
    qtbot.waitUntil(lambda: all(c.state == "image" for c in grid.cells.values()), timeout=5000)
    assert grid.cells == first_cells  # updated in place, never rebuilt
    assert hook.view.model.rows[0].status == "success"
    run_async(qtbot, hook.aclose())


def test_the_app_installs_outputs_and_history(
    qapp: QApplication, make_window: WindowFactory, qtbot: QtBot, qasync_loop: qasync.QEventLoop
) -> None:
    window = make_window()
    window.complete_startup()
    opened: list[bool] = []

    def show_history() -> None:
        # Shown before quitting, so its store is open and closing it on quit is seen.
        window.actions_by_name["history"].trigger()
        hook = window.findChild(HistoryHook)
        opened.append(hook is not None and hook.view.store is not None)

    run_main_until_closed(qapp, window, qtbot, before_close=show_history)
    assert opened == [True]
    view = window.runs_view
    assert view is not None and any(isinstance(page, OutputsPage) for page in view.pages)
    action = window.actions_by_name["history"]
    assert action.shortcut().toString() == "Ctrl+H"
    hook = window.findChild(HistoryHook)
    assert hook is not None and hook.view.store is None  # closed on quit
