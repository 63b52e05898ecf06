"""The "done when" flow: "Use local receiver", submit the sample batch to the sandbox, and every
callback shows under its run (the runs panel's Webhooks page), kept in the history with its run.
"""

from __future__ import annotations

from PySide6.QtWidgets import QPushButton
from pytestqt.qtbot import QtBot

from composer.core.webhooks import group_by_run
from composer.ui.webhooks.timeline_page import RunTimelinePage
from tests.qt_async import run_async
from tests.ui.runs.conftest import Runs, make_runs, runs
from tests.ui.webhooks.conftest import wait_rows

__all__ = ["make_runs", "runs"]  # fixtures of the runs panel's tests


def press_use_local_receiver(runs: Runs, qtbot: QtBot) -> str:
    button = runs.window.findChild(QPushButton, "webhook__use_receiver")
    assert button is not None and button.text() == "Use local receiver"
    button.click()
    qtbot.waitUntil(lambda: bool(runs.window.binding.get(("webhook",))), timeout=10_000)
    url = runs.window.binding.get(("webhook",))
    assert isinstance(url, str)
    return url


def test_every_callback_of_the_sample_batch_shows_under_its_run(runs: Runs, qtbot: QtBot) -> None:
    runs.open_sample("batch-grid-3x3.json")
    url = press_use_local_receiver(runs, qtbot)
    host = runs.window.webhooks
    lab = host.lab
    assert lab is not None and url == lab.bridge.url
    submission = runs.submit()
    assert submission.sent_body["webhook"] == url  # ours, not the runs' own endpoint
    runs.wait_done(submission, timeout=15_000)
    runs.sandbox.wait_webhooks_idle()
    receiver = lab.bridge.receiver
    assert receiver is not None
    records = wait_rows(qtbot, lab, receiver.count)
    assert len(records) == receiver.count >= 9 * 4  # queued, started, running, success each

    # The batch's run ids were learnt from the callbacks, and each run got its own.
    per_run = group_by_run(records)
    assert set(per_run) == set(submission.run_ids) and len(per_run) == 9
    for run_id, events in per_run.items():
        assert [r.status for r in events if r.is_terminal] == ["success"], run_id

    # Under its run: the runs panel's Webhooks page shows that run's callbacks.
    view = runs.window.runs_view
    assert view is not None
    page = host.runs_page
    assert isinstance(page, RunTimelinePage)
    view.show_detail_page(page)
    for run_id in submission.run_ids[:3]:
        assert view.select_run(run_id)
        qtbot.waitUntil(lambda run_id=run_id: page.run_id == run_id, timeout=2000)
        shown = [page.tree.topLevelItem(i).text(1) for i in range(page.tree.topLevelItemCount())]
        webhooks = [text for text in shown if text.startswith("webhook #")]
        assert webhooks == [f"webhook #{r.seq}" for r in per_run[run_id]]
        assert f"Run {run_id}: {len(per_run[run_id])} webhook events" in page.summary.text()
        assert "ended success (webhook)" in page.summary.text()
    view.select_submission(submission)
    qtbot.waitUntil(lambda: page.run_id is None, timeout=2000)
    assert page.tree.topLevelItemCount() == 9
    assert page.summary.text().startswith("Batch of 9 runs (9 known by id)")

    # Kept in the history with their runs.
    assert lab.keeper is not None
    lab.keeper.flush()
    run_async(qtbot, submission.session.recorder.flush())
    assert submission.history_id is not None
    detail = runs.history.get(submission.history_id)
    assert len(detail.webhook_events) == len(records)
    assert {event.run_id for event in detail.webhook_events} == set(submission.run_ids)


def test_the_runs_own_endpoint_events_show_in_the_lab(runs: Runs, qtbot: QtBot) -> None:
    runs.open_sample("batch-grid-3x3.json")
    assert runs.window.webhooks.lab is None
    submission = runs.submit()  # no webhook: the session adds its own discovery endpoint
    assert "/composer-runs" in submission.sent_body["webhook"]
    runs.wait_done(submission, timeout=15_000)
    runs.sandbox.wait_webhooks_idle()
    lab = runs.window.webhooks.lab
    assert lab is not None  # built for those events; its own receiver never started
    assert lab.bridge.receiver is None
    endpoint = runs.controller.webhooks.receiver
    assert endpoint is not None
    records = wait_rows(qtbot, lab, endpoint.count)
    assert set(group_by_run(records)) == set(submission.run_ids)
    assert [r.seq for r in records] == list(range(1, len(records) + 1))
