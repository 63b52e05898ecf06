"""Submitting from the window against the sandbox: the runs panel follows every run to its end."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel
from pytestqt.qtbot import QtBot

from composer.client import errors
from composer.core.endpoints import choose_endpoint
from composer.core.runs import RunState
from composer.core.wire import RequestKind
from composer.ui.main_window import SubmitRequest
from composer.ui.runs.model import Column, Role
from composer.ui.runs.selection import RunSelection
from tests.qt_async import run_async
from tests.ui.runs.conftest import Runs


def state_of(runs: Runs) -> RunState:
    state = runs.model.index(0, 0).data(Role.STATE)
    assert isinstance(state, RunState)
    return state


def test_submit_runs_to_success_and_is_recorded(runs: Runs) -> None:
    runs.open_sample("flux-dev-portrait.json")
    submission = runs.submit()
    runs.wait_done(submission)
    model = runs.model
    assert model.rowCount() == 1 and model.rowCount(model.index(0, 0)) == 0
    assert runs.cell(0, Column.STATUS) == "success"
    assert runs.cell(0, Column.PROGRESS) == "100 %"
    assert runs.cell(0, Column.RUN) == runs.window.document.title
    assert runs.cell(0, Column.RUN_ID) == submission.run_ids[0]
    assert runs.cell(0, Column.RUN_TIME).endswith(" s")
    assert runs.cell(0, Column.DETAIL) == "1 output" and len(state_of(runs).media) == 1
    state = model.index(0, 0).data(Role.STATE)
    assert isinstance(state, RunState) and state.media
    # recorded, with the body exactly as sent
    run_async(runs.qtbot, submission.session.recorder.flush())
    detail = runs.history.get(submission.history_id)
    assert detail.summary.status == "success" and detail.body == submission.sent_body
    assert runs.window.runs_dock.isVisible()


def test_a_3x3_batch_shows_nine_labelled_rows_that_all_finish(runs: Runs) -> None:
    runs.open_sample("batch-grid-3x3.json")
    submission = runs.submit()
    runs.wait_done(submission, timeout=15_000)
    model = runs.model
    group = model.index(0, 0)
    assert model.rowCount(group) == 9
    assert runs.cell(0, Column.PROGRESS) == "9 of 9 done"
    assert runs.cell(0, Column.STATUS) == "success"
    assert "3 x 3 = 9 runs" in runs.cell(0, Column.RUN)
    labels = [runs.cell(row, Column.RUN, parent_row=0) for row in range(9)]
    assert labels[0] == "prompt=A red fox in fresh snow · seed=1"
    assert labels[8] == "prompt=A koi carp under lily pads · seed=3"
    assert {runs.cell(row, Column.STATUS, parent_row=0) for row in range(9)} == {"success"}
    states = [model.index(row, 0, group).data(Role.STATE) for row in range(9)]
    assert [s.inputs["seed"] for s in states] == [1, 2, 3] * 3
    assert "Added webhook" in submission.notes[0]  # how a model batch's runs were found
    # The tree follows the model's rules with real content.
    from pytestqt.modeltest import ModelTester

    ModelTester(None).check(model, force_py=True)


def test_cancel_a_running_run_from_the_panel(runs: Runs, qtbot: QtBot) -> None:
    runs.sandbox.config.speed = 3  # a run of a few seconds
    runs.open_sample("deployment-run.json")
    submission = runs.submit()
    view = runs.window.runs_view
    assert view is not None
    qtbot.waitUntil(lambda: runs.cell(0, Column.STATUS) in ("starting", "running"), timeout=8000)
    view.tree.setCurrentIndex(runs.model.index(0, 0))
    assert view.cancel_button.isEnabled()
    view.cancel_button.click()
    runs.wait_done(submission)
    assert runs.cell(0, Column.STATUS) == "cancelled"
    assert runs.sandbox.wait_for(submission.run_ids[0])["status"] == "cancelled"
    assert not view.cancel_button.isEnabled()


def test_a_failed_run_says_what_to_do(runs: Runs) -> None:
    runs.sandbox.config.fail_rate = 1.0
    runs.open_sample("deployment-run.json")
    submission = runs.submit()
    runs.wait_done(submission)
    assert runs.cell(0, Column.STATUS) == "failed"
    detail = runs.cell(0, Column.DETAIL)
    assert detail.startswith("The run failed during “Executing") and "re-run" in detail
    assert runs.model.index(0, Column.DETAIL).data(Qt.ItemDataRole.ForegroundRole) is not None


def test_rerun_sends_the_same_body_again(runs: Runs) -> None:
    runs.open_sample("flux-dev-portrait.json")
    first = runs.submit()
    runs.wait_done(first)
    view = runs.window.runs_view
    assert view is not None
    view.tree.setCurrentIndex(runs.model.index(0, 0))
    view.rerun_button.click()
    runs.qtbot.waitUntil(lambda: len(runs.model.submissions()) == 2, timeout=3000)
    again = runs.model.submissions()[0]
    runs.wait_done(again)
    assert again.body == first.body and again.run_ids[0] != first.run_ids[0]
    assert runs.cell(0, Column.STATUS) == "success" == runs.cell(1, Column.STATUS)
    assert view.headline.text() == "2 done"
    view.clear_button.click()  # the history keeps them; the list is tidied
    assert runs.model.rowCount() == 0 and view.stack.currentWidget() is view.empty
    run_async(runs.qtbot, first.session.recorder.flush())
    assert runs.history.count() == 2


def test_copy_the_run_id(runs: Runs) -> None:
    runs.open_sample("flux-dev-portrait.json")
    submission = runs.submit()
    view = runs.window.runs_view
    assert view is not None
    view.tree.setCurrentIndex(runs.model.index(0, 0))
    runs.qtbot.keyClick(view.tree, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QApplication.clipboard().text() == submission.run_ids[0]


def test_a_422_marks_the_field(runs: Runs) -> None:
    """A body the form would refuse, sent anyway (as the JSON editor could): the server's
    answer lands on the field it names."""
    window = runs.window
    window.binding.draft.replace({"model_id": "flux-dev", "inputs": {"seed": 1}})
    window.form.refresh()
    window.binding.settle_now()
    body = {"model_id": "flux-dev", "inputs": {"seed": {"not": "allowed"}}}
    request = SubmitRequest(body, RequestKind.MODEL, "sandbox", "", choose_endpoint(body))
    submission = run_async(runs.qtbot, runs.controller.submit(request))
    assert isinstance(submission.error, errors.ValidationFailedError)
    server = [p for p in window.marker.problems if p.source == "server"]
    assert server and server[0].loc[:2] == ("inputs", "seed")
    assert window.form.inputs.rows["seed"].editor.main_widget().property("problem") == "error"
    assert window.submit_banner.isVisible()
    assert "The fields concerned are marked" in window.submit_banner.text.text()
    assert runs.cell(0, Column.STATUS) == "not sent"


def test_detail_pages_follow_the_selection(runs: Runs) -> None:
    seen: list[object] = []

    class Page(QLabel):
        def show_selection(self, selection: RunSelection) -> None:
            batch = selection.batch
            seen.append(("batch", batch.done if batch else None))
            state = selection.state if batch is None else None
            seen.append(("run", state.status if state else None))

    view = runs.window.runs_view
    assert view is not None
    page = Page()
    view.add_detail_page("Test page", page)
    assert view.details.tabText(view.details.indexOf(page)) == "Test page"
    runs.open_sample("batch-grid-3x3.json")
    submission = runs.submit()
    runs.wait_done(submission, timeout=15_000)
    runs.model.flush()
    # Out of sight (the Summary tab is in front), the page missed the batch's live changes...
    assert not page.isVisible() and ("batch", 9) not in seen
    told = len(seen)
    # ...and is told the latest when it comes into sight.
    view.show_detail_page(page)
    assert seen[told:] == [("batch", 9), ("run", None)]
    selections: list[object] = []
    view.selection_changed.connect(selections.append)
    group = runs.model.index(0, 0)
    view.tree.setCurrentIndex(runs.model.index(4, 0, group))
    assert seen[-2:] == [("batch", None), ("run", "success")]
    assert selections[-1].index == 4 and selections[-1].state.inputs["seed"] == 2
    # The Summary page, out of sight meanwhile, shows the selected run once in sight.
    assert "run 5 of 9" not in view.summary_page.toPlainText()
    view.show_detail_page(view.summary_page)
    assert "run 5 of 9" in view.summary_page.toPlainText()


def test_finish_notice_names_the_preset_and_its_status(
    make_runs: Callable[..., Runs], qtbot: QtBot
) -> None:
    runs = make_runs()
    runs.controller.notifier.min_seconds = 0.0
    runs.open_sample("flux-dev-portrait.json")
    other = QLabel("another window")
    qtbot.addWidget(other)
    other.show()
    other.activateWindow()
    qtbot.waitUntil(lambda: not runs.window.isActiveWindow(), timeout=2000)
    submission = runs.submit()
    runs.wait_done(submission)
    qtbot.waitUntil(lambda: bool(runs.notices), timeout=2000)
    title, text = runs.notices[0]
    assert title == f"{runs.window.document.title}: success"
    assert "output" in text
