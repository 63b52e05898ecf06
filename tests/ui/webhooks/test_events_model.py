"""The events model and its filter: Qt's model rules, batches, runs, filters, the row bound."""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import QModelIndex, Qt
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from composer.core.signing import SignatureCheck, SignatureState
from composer.ui.webhooks.events_model import RECORD_ROLE, Column, EventsFilter, EventsModel
from tests.webhook_factory import RUN_A, RUN_B, payload, record


def sample() -> list:
    return [
        record(1, payload("queued", RUN_A)),
        record(2, payload("queued", RUN_B)),
        record(3, payload("running", RUN_A, progress=0.42)),
        record(4, payload("success", RUN_A, event_type="run.output")),
        record(5, payload("success", RUN_A), method="GET"),
        record(6, b"not json at all"),
    ]


def test_the_model_follows_qt_rules_while_rows_arrive(qtmodeltester: ModelTester) -> None:
    model = EventsModel()
    qtmodeltester.check(model)
    model.append(sample()[:3])
    model.append(sample()[3:])
    qtmodeltester.check(model)
    proxy = EventsFilter(model)
    proxy.set_filter(run_text=RUN_A[:8])
    qtmodeltester.check(proxy)
    assert model.rowCount(model.index(0, 0)) == 0 and model.columnCount(model.index(0, 0)) == 0


def test_cells_say_what_each_event_is() -> None:
    model = EventsModel()
    model.append(sample())

    def cell(row: int, column: Column) -> str:
        return str(model.index(row, column).data())

    assert cell(2, Column.EVENT) == "run.updated" and cell(2, Column.STATUS) == "running"
    assert cell(2, Column.PROGRESS) == "42 %" and cell(2, Column.RUN) == RUN_A
    assert cell(4, Column.METHOD) == "GET"
    assert "retries" in str(model.index(4, Column.METHOD).data(Qt.ItemDataRole.ToolTipRole))
    assert cell(5, Column.EVENT) == "other" and cell(5, Column.RUN) == "—"
    tip = model.index(5, Column.EVENT).data(Qt.ItemDataRole.ToolTipRole)
    assert tip.startswith("Not a ComfyDeploy payload")
    assert cell(0, Column.TARGET) == "/hook"
    assert model.index(3, 0).data(RECORD_ROLE).seq == 4
    assert model.headerData(Column.SEQ, Qt.Orientation.Horizontal) == "#"


def test_signature_states_are_words_with_the_reason_as_tip() -> None:
    model = EventsModel()
    checks = [
        SignatureCheck(SignatureState.VALID, "signed with this secret and recent"),
        SignatureCheck(SignatureState.EXPIRED, "signed correctly, but old"),
        SignatureCheck(SignatureState.FORGED, "the signature does not match this secret"),
    ]
    model.append([dataclasses.replace(record(i + 1, payload("queued")), signature=c)
                  for i, c in enumerate(checks)])  # fmt: skip
    words = [model.index(row, Column.SIGNATURE).data() for row in range(3)]
    assert words == ["✓ valid", "⏱ expired", "✕ forged"]
    tip = model.index(2, Column.SIGNATURE).data(Qt.ItemDataRole.ToolTipRole)
    assert tip == "the signature does not match this secret"


def test_runs_and_vocabulary_are_kept_as_rows_arrive(qtbot: QtBot) -> None:
    model = EventsModel()
    with qtbot.waitSignals([model.vocabulary_changed, model.runs_changed]):
        model.append(sample())
    assert [r.seq for r in model.run_records(RUN_A)] == [1, 3, 4, 5]
    assert [r.seq for r in model.run_records(RUN_B)] == [2]
    assert model.event_types == {"run.updated", "run.output"}
    assert model.statuses == {"queued", "running", "success"}


def test_filters_by_run_event_and_status() -> None:
    model = EventsModel()
    model.append(sample())
    proxy = EventsFilter(model)

    def shown() -> list[int]:
        return [r.seq for r in proxy.visible_records()]

    assert shown() == [1, 2, 3, 4, 5, 6] and not proxy.active
    proxy.set_filter(run_text="  " + RUN_B[:6].upper())
    assert shown() == [2]
    proxy.set_filter(run_text=RUN_A, status="success")
    assert shown() == [4, 5]
    proxy.set_filter(event_type="run.output")
    assert shown() == [4]
    proxy.set_filter(run_text="", event_type=None, status=None)
    assert shown() == [1, 2, 3, 4, 5, 6]


def test_beyond_the_bound_the_oldest_go(qtmodeltester: ModelTester) -> None:
    model = EventsModel(max_rows=4)
    model.append(sample()[:3])
    model.append(sample()[3:])
    assert [r.seq for r in model.records] == [3, 4, 5, 6]
    assert [r.seq for r in model.run_records(RUN_A)] == [3, 4, 5]
    assert model.run_records(RUN_B) == []
    qtmodeltester.check(model)
    model.clear_events()
    assert model.rowCount(QModelIndex()) == 0 and model.by_run == {} and not model.statuses
