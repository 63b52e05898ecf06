"""The runs model on its own: tree rules (qtmodeltester), coalesced updates, texts."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from PySide6.QtCore import QModelIndex
from pytestqt.qtbot import QtBot

from composer.client.access import TargetAccess
from composer.client.errors import UnauthorizedError
from composer.client.results import BatchQueued, RunQueued
from composer.client.session import Session, Submission
from composer.core.batch import expand_runs
from composer.core.endpoints import choose_endpoint
from composer.core.runs import RunState, RunTimings, RunUpdate, UpdateSource
from composer.core.wire import RequestKind
from composer.ui.runs import texts
from composer.ui.runs.model import Column, Role, RunsModel

SINGLE: dict[str, Any] = {"model_id": "flux-dev", "inputs": {"prompt": "A fox"}}
GRID: dict[str, Any] = {
    "model_id": "flux-dev",
    "inputs": {"prompt": "base"},
    "batch_input_params": {"prompt": ["a", "b"], "seed": [1, 2, 3]},
}
_numbers = iter(range(10_000, 20_000))


@pytest.fixture
def session() -> Session:
    return Session(TargetAccess("Test", "http://127.0.0.1:9/api", "k"))


def submission(session: Session, body: dict[str, Any], **fields: Any) -> Submission:
    combos = tuple(expand_runs(body))
    made = Submission(
        number=next(_numbers), body=body, sent_body=body, kind=RequestKind.MODEL,
        endpoint=choose_endpoint(body), target="Test", base_url="http://127.0.0.1:9/api",
        label="A preset", submitted_at=0.0, combinations=combos, run_ids=[None] * len(combos),
        session=session,
    )  # fmt: skip
    for key, value in fields.items():
        setattr(made, key, value)
    return made


def state(run_id: str, status: str = "running", **fields: Any) -> RunState:
    update = RunUpdate(run_id, UpdateSource.POLL, status=status)
    return dataclasses.replace(RunState(run_id), status=status, last_update=update, **fields)


def test_the_tree_follows_qt_rules_while_it_changes(
    qtmodeltester: Any, session: Session, qtbot: QtBot
) -> None:
    model = RunsModel()
    # Checked now (empty), then after every change through the model's signals.
    qtmodeltester.check(model, force_py=True)
    one = submission(session, SINGLE)
    model.note_submission(one)  # sending
    one.result = RunQueued(one.endpoint, SINGLE, "run-1")
    one.run_ids = ["run-1"]
    model.note_submission(one)
    model.note_state(one, state("run-1", progress=0.42, live_status="Executing KSampler"))
    grid = submission(session, GRID)
    model.note_submission(grid)
    grid.result = BatchQueued(grid.endpoint, GRID, "batch-1", grid.combinations)
    grid.batch_id = "batch-1"
    grid.run_ids[4] = "run-b4"
    model.note_state(grid, state("run-b4", "success", batch_index=4, batch_id="batch-1"))
    refused = submission(
        session, SINGLE, error=UnauthorizedError("Invalid token (401)", status_code=401)
    )
    model.note_submission(refused)
    model.flush()
    assert model.rowCount() == 3 and model.rowCount(model.index(1, 0)) == 6
    assert model.rowCount(model.index(2, 0)) == 0
    assert model.columnCount(model.index(0, 1, model.index(1, 0))) == 0
    texts_of = [model.index(r, Column.STATUS).data() for r in range(3)]
    assert texts_of == ["not sent", "waiting", "running"]  # newest first
    grid_row = model.index(1, 0)
    assert model.index(1, Column.PROGRESS).data() == "1 of 6 done"
    assert model.index(1, Column.DETAIL).data() == "5 waiting · 1 success"
    assert model.index(4, Column.STATUS, grid_row).data() == "success"
    assert model.index(4, Column.RUN, grid_row).data() == "prompt=b · seed=2"
    assert model.index(0, Column.STATUS, grid_row).data(Role.STATUS) == texts.WAITING
    assert model.index(2, Column.PROGRESS).data() == "42 %"
    assert model.index(2, Column.DETAIL).data() == "Executing KSampler"
    assert model.index(0, Column.DETAIL).data() == "Invalid token (401)"
    assert model.index(1, Column.RUN).data(Role.KIND) == "batch"
    assert not model.index(99, 0).isValid() and not model.parent(QModelIndex()).isValid()
    assert model.remove_finished() == 1  # only the refused one has ended
    assert model.rowCount() == 2


def test_many_changes_are_applied_in_one_flush_with_few_signals(
    session: Session, qtbot: QtBot
) -> None:
    model = RunsModel()
    body = {**GRID, "batch_input_params": {"seed": list(range(200))}}
    grid = submission(session, body)
    grid.result = BatchQueued(grid.endpoint, body, "batch-1", grid.combinations)
    grid.run_ids = [f"run-{i}" for i in range(200)]
    model.note_submission(grid)
    emitted: list[object] = []
    model.dataChanged.connect(lambda *args: emitted.append(args))
    with qtbot.waitSignal(model.flushed, timeout=2000):
        for step in range(5):
            for i in range(200):
                model.note_state(grid, state(f"run-{i}", progress=step / 5, batch_index=i))
    assert len(emitted) <= 3  # the group row, its children (and nothing per run)
    assert model.flushes == 1
    assert model.index(199, Column.PROGRESS, model.index(0, 0)).data() == "80 %"


def test_elapsed_time_prefers_the_servers_timings(session: Session) -> None:
    model = RunsModel()
    one = submission(session, SINGLE)
    one.result = RunQueued(one.endpoint, SINGLE, "run-1")
    one.run_ids = ["run-1"]
    model.note_submission(one)
    start = datetime(2025, 5, 1, 10, 0, tzinfo=UTC)
    timings = RunTimings(
        created_at=start, ended_at=start + timedelta(seconds=75), run_duration=61.5,
        cold_start_duration=9.25,
    )  # fmt: skip
    model.note_state(one, state("run-1", "success", timings=timings))
    model.flush()
    assert model.index(0, Column.ELAPSED).data() == "1:15"
    assert model.index(0, Column.RUN_TIME).data() == "1:01"
    assert model.index(0, Column.COLD_START).data() == "9.2 s"


def test_texts() -> None:
    assert texts.duration(0.42) == "0.4 s"
    assert texts.duration(3725) == "1:02:05"
    assert texts.batch_status(["success", "failed", "success"]) == "failed"
    assert texts.batch_status(["success", "queued", "running"]) == "running"
    assert texts.batch_status(["success", "success"]) == "success"
    assert texts.status_counts(["success", "queued", "queued"]) == "2 queued · 1 success"
    assert texts.value_text("x" * 100, 10) == "x" * 9 + "…"
    lost = dataclasses.replace(RunState("r"), lost=True, error="Cannot reach X")
    assert texts.row_status(lost) == texts.LOST
    assert texts.run_detail(lost).startswith("Cannot reach X. composer stopped following")
    queued = dataclasses.replace(RunState("r", status="queued"), queue_position=0)
    assert texts.run_detail(queued) == "Next in the queue"
    assert texts.queue_text(queued) == "0 ahead"


def test_a_run_that_went_quiet_says_so_and_what_to_do() -> None:
    now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    news = RunUpdate(run_id="r", source=UpdateSource.POLL, status="running")
    running = RunState("r", status="running", live_status="Executing KSampler")
    recent = dataclasses.replace(
        running, last_update=dataclasses.replace(news, received_at=now - timedelta(minutes=2))
    )
    assert texts.run_detail(recent, now) == "Executing KSampler"
    quiet = dataclasses.replace(
        running, last_update=dataclasses.replace(news, received_at=now - timedelta(minutes=7))
    )
    detail = texts.run_detail(quiet, now)
    assert detail.startswith("Executing KSampler · no news for 7 min")
    assert "Cancel stops the run" in detail
    # A finished run is not "quiet", however old its last news.
    ended = dataclasses.replace(quiet, status="success")
    assert "no news" not in texts.run_detail(ended, now)
