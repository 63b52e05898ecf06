"""The run timeline page: webhook events beside polled statuses, traps in a handler's words."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pytestqt.qtbot import QtBot

from composer.core.runs import RunUpdate, UpdateSource
from composer.core.timeline import PolledStatus
from composer.ui.webhooks import timeline_page
from composer.ui.webhooks.events_model import EventsModel
from composer.ui.webhooks.timeline_page import PollLog, RunTimelinePage
from tests.webhook_factory import RUN_A, RUN_B, T0, payload, record


def page_over(records: list, qtbot: QtBot) -> tuple[RunTimelinePage, EventsModel]:
    model = EventsModel()
    model.append(records)
    page = RunTimelinePage(model.run_records)
    qtbot.addWidget(page)
    page.resize(900, 400)
    page.show()
    return page, model


def rows(page: RunTimelinePage) -> list[list[str]]:
    tree = page.tree
    return [[tree.topLevelItem(i).text(c) for c in range(5)]
            for i in range(tree.topLevelItemCount())]  # fmt: skip


def test_traps_are_marked_in_words_with_the_reason_under_them(qtbot: QtBot) -> None:
    success = payload("success", RUN_A, progress=1.0)
    page, _model = page_over([
        record(1, payload("queued", RUN_A)),
        record(2, payload("running", RUN_A, progress=0.5)),
        record(3, payload("started", RUN_A)),  # after running: out of order
        record(4, success),
        record(5, success, method="GET"),  # the retry, as GET, same body
        record(6, payload("running", RUN_A, progress=0.7)),  # after success
        record(7, payload("queued", RUN_B)),  # another run: not shown
    ], qtbot)  # fmt: skip
    timeline = page.show_run(RUN_A)
    assert timeline is not None and len(timeline.entries) == 6
    shown = rows(page)
    assert [r[1] for r in shown] == ["webhook #1", "webhook #2", "webhook #3", "webhook #4",
                                     "webhook #5 (GET)", "webhook #6"]  # fmt: skip
    assert shown[0][0] == "+0.000 s" and shown[3][0] == "+3.000 s"
    assert shown[1][2:4] == ["run.updated running", "50 %"]
    assert shown[2][4] == "out of order"
    assert shown[4][4] == "terminal event again, retry sent as GET, same body again"
    assert shown[5][4] == "out of order"
    retry = page.tree.topLevelItem(4)
    notes = [retry.child(i).text(0) for i in range(retry.childCount())]
    assert retry.child(0).isFirstColumnSpanned()
    assert any("A handler that only accepts POST loses them" in note for note in notes)
    assert any("Handle terminal events idempotently" in note for note in notes)
    summary = page.summary.text()
    assert summary.startswith(f"Run {RUN_A}: 6 webhook events · ended success (webhook)")
    assert "2× out of order" in summary and "1× retry sent as GET" in summary


def test_polled_statuses_sit_beside_and_a_missing_terminal_is_said(qtbot: QtBot) -> None:
    page, _model = page_over([record(1, payload("queued", RUN_A)),
                              record(2, payload("running", RUN_A))], qtbot)  # fmt: skip
    polls = PollLog()
    for seconds, status in ((1.5, "running"), (1.6, "running"), (9, "success")):
        polls.add(RunUpdate(RUN_A, UpdateSource.POLL, status=status,
                            received_at=T0 + timedelta(seconds=seconds)))  # fmt: skip
    polls.add(RunUpdate(RUN_A, UpdateSource.WEBHOOK, status="success"))  # not a poll
    assert [p.status for p in polls.statuses(RUN_A)] == ["running", "success"]
    page.polls = polls
    timeline = page.show_run(RUN_A)
    assert timeline is not None and timeline.missing_terminal
    assert [r[1] for r in rows(page)] == ["webhook #1", "polling", "webhook #2", "polling"]
    assert rows(page)[3][2] == "polled: success"
    assert page.notes.isVisible() and "no terminal run.updated event arrived" in page.notes.text()
    assert "1× no terminal event" in page.summary.text()


def test_a_run_without_events_and_live_refresh(qtbot: QtBot) -> None:
    page, model = page_over([], qtbot)
    page.show_run(RUN_A, polled=[PolledStatus(T0, "queued")])
    assert rows(page)[0][2] == "polled: queued"
    page.show_run(RUN_B)
    assert rows(page)[0][2] == "No webhook event for this run yet"
    model.append([record(1, payload("queued", RUN_B))])
    page.refresh({RUN_B})
    assert rows(page)[0][1] == "webhook #1"
    page.show_run(None)
    assert page.tree.topLevelItemCount() == 0 and "Select a run" in page.summary.text()


def test_a_batch_shown_again_analyses_and_rewrites_only_the_runs_with_news(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    page, model = page_over([record(1, payload("queued", RUN_A))], qtbot)
    analysed: list[int] = []
    real = timeline_page.analyse_run

    def counting(records: list, *args: object, **kwargs: object) -> object:
        analysed.append(len(records))
        return real(records, *args, **kwargs)

    monkeypatch.setattr(timeline_page, "analyse_run", counting)
    page.show_batch_runs([RUN_A, None, RUN_B])
    assert [r[1:3] for r in rows(page)] == [
        ["run 1 of 3", "1 event"], ["run 2 of 3", "run id not known yet"],
        ["run 3 of 3", "0 events"],
    ]  # fmt: skip
    first = page.tree.topLevelItem(0)
    assert len(analysed) == 2
    page.show_batch_runs([RUN_A, None, RUN_B])  # nothing new: nothing analysed again
    assert len(analysed) == 2
    model.append([record(2, payload("success", RUN_B, progress=1.0))])
    page.show_batch_runs([RUN_A, None, RUN_B])
    assert len(analysed) == 3  # only run B, which has news
    assert rows(page)[2][2:4] == ["1 event, ended success", "100%"]
    # "When": the latest event's local time; empty for a run without events or id.
    latest = (T0 + timedelta(seconds=2)).astimezone().strftime("%H:%M:%S")
    assert [r[0] for r in rows(page)] == [
        (T0 + timedelta(seconds=1)).astimezone().strftime("%H:%M:%S"), "", latest,
    ]  # fmt: skip
    assert page.tree.topLevelItem(0) is first  # lines rewritten in place, not made anew
    assert page.summary.text().startswith("Batch of 3 runs (2 known by id): 2 webhook events")
    page.show_run(RUN_A)  # a run, then the batch again: every line made anew
    page.show_batch_runs([RUN_A, None, RUN_B])
    assert len(analysed) == 6 and len(rows(page)) == 3


def test_a_batch_whose_runs_all_have_news_is_analysed_over_several_turns(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs = [f"run-{n}" for n in range(30)]
    page, _model = page_over(
        [record(n + 1, payload("running", run)) for n, run in enumerate(runs)], qtbot
    )
    monkeypatch.setattr(timeline_page, "ANALYSIS_BUDGET", 0.0)  # one run per turn
    page.show_batch_runs(runs)
    assert sum(r[2] == "1 event" for r in rows(page)) == 1  # the first; the rest comes later
    qtbot.waitUntil(lambda: all(r[2] == "1 event" for r in rows(page)), timeout=5000)
    assert page.summary.text().startswith("Batch of 30 runs (30 known by id): 30 webhook events")
