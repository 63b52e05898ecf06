"""The batch grid on a real 3 x 3 batch: nine labelled cells in their places, filled in live."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from composer.client.api import ApiClient
from composer.client.group import TrackerGroup
from composer.client.results import BatchQueued
from composer.core.grid import batch_summary
from composer.core.runs import MediaItem, RunOutput, RunState
from composer.ui.outputs.cells import GridCell
from composer.ui.outputs.grid_view import BURY_SLICE, BatchGridView
from tests.client.helpers import DEPLOYMENT_BODY, FAST
from tests.qt_async import run_async

PNG = b"\x89PNG\r\n\x1a\n"
BATCH: dict[str, Any] = {
    **DEPLOYMENT_BODY,
    "batch_input_params": {"seed": [1, 2, 3], "steps": [10, 20, 30]},
}


def _view(qtbot: QtBot, api: ApiClient | None) -> BatchGridView:
    view = BatchGridView(api)
    qtbot.addWidget(view)
    view.resize(900, 760)
    view.show()
    return view


def _position(view: BatchGridView, cell: GridCell) -> tuple[int, int]:
    index = view._layout.indexOf(cell)
    row, column, _rows, _columns = view._layout.getItemPosition(index)
    return row, column


def _headers(view: BatchGridView, kind: str) -> list[str]:
    labels = view._table.findChildren(QLabel, f"batch_grid__{kind}_header")
    return [label.text() for label in sorted(labels, key=lambda lb: _position_of(view, lb))]


def _position_of(view: BatchGridView, widget: QLabel) -> tuple[int, int]:
    row, column, _r, _c = view._layout.getItemPosition(view._layout.indexOf(widget))
    return row, column


def test_a_three_by_three_batch_fills_nine_labelled_cells_live(
    qtbot: QtBot, api: ApiClient, tmp_path: Path
) -> None:
    view = _view(qtbot, api)
    view.show_batch(BATCH)
    assert len(view.cells) == 9
    assert _headers(view, "column") == ["10", "20", "30"]
    assert _headers(view, "row") == ["1", "2", "3"]
    assert all(cell.caption.text() == "waiting" for cell in view.cells.values())
    seen_pending: set[str] = set()

    def follow(state: RunState) -> None:
        view.update_run(state)
        if not state.is_terminal and state.batch_index is not None:
            seen_pending.add(view.cells[state.batch_index].caption.text())

    async def submit_and_follow() -> dict[str, RunState]:
        batch = await api.submit(BATCH)
        assert isinstance(batch, BatchQueued)
        async with TrackerGroup(api, schedule=FAST) as group:
            group.add_listener(follow)
            group.track_batch(batch)
            return await group.wait()

    states = run_async(qtbot, submit_and_follow(), timeout=20_000)
    assert len(states) == 9 and all(s.succeeded for s in states.values())
    assert seen_pending  # cells showed their runs' status before the end
    qtbot.waitUntil(lambda: all(c.state == "image" for c in view.cells.values()), timeout=10_000)
    for state in states.values():
        assert state.batch_index is not None and state.inputs is not None
        cell = view.cells[state.batch_index]
        row, column = _position(view, cell)
        # Row = the run's seed, column = its steps (header row and column come first).
        assert [1, 2, 3][row - 1] == state.inputs["seed"]
        assert [10, 20, 30][column - 1] == state.inputs["steps"]
        assert cell.toolTip().startswith(
            f"seed = {state.inputs['seed']} · steps = {state.inputs['steps']}"
        )
        assert cell.caption.text().startswith("✓ success")
    assert view.summary.text() == "9 runs · 9 done"

    # Save all: every file, named by run number and batch values, written for real.
    task = view.save_all(tmp_path)
    assert task is not None
    qtbot.waitUntil(task.done, timeout=10_000)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert any(name.startswith("01_seed-1_steps-10_") and name.endswith(".png") for name in names)
    assert any(name.startswith("09_seed-3_steps-30_") for name in names)
    assert all((tmp_path / n).read_bytes().startswith(PNG) for n in names if n.endswith(".png"))

    # A click on a cell opens the large view of that picture.
    qtbot.mouseClick(view.cells[4], Qt.MouseButton.LeftButton)
    assert view.viewer is not None and view.viewer.isVisible()
    assert view.viewer.title.text() == "seed = 2 · steps = 20"
    qtbot.waitUntil(lambda: view.viewer is not None and view.viewer.state == "image", timeout=5000)


def test_pending_and_failed_cells_show_status_progress_and_error(qtbot: QtBot) -> None:
    view = _view(qtbot, None)
    body = {"model_id": "flux-dev", "batch_input_params": {"seed": [1, 2], "cfg": [5, 7]}}
    view.show_batch(body)
    view.update_run(RunState("a", status="queued", queue_position=2, batch_index=0))
    view.update_run(
        RunState(
            "b", status="running", progress=0.42, live_status="Executing KSampler", batch_index=1
        )
    )
    view.update_run(RunState("c", status="failed", live_status="CUDA out of memory", batch_index=2))
    queued, running, failed, waiting = (view.cells[i] for i in range(4))
    assert queued.caption.text() == "queued"
    assert queued.message.text() == "Queued (position 3)"
    assert running.caption.text() == "running · 42%"
    assert running.progress.isVisibleTo(running) and running.progress.value() == 42
    assert running.message.text() == "Executing KSampler"
    assert failed.state == "error" and failed.message.text() == "✕ Failed: CUDA out of memory"
    assert not failed.retry.isVisibleTo(failed) and not failed.progress.isVisibleTo(failed)
    assert waiting.caption.text() == "waiting"
    assert view.summary.text() == "4 runs · 1 done · 1 running · 1 queued · 1 failed"
    # A click on a cell without a picture names its run (the runs panel selects it).
    with qtbot.waitSignal(view.run_activated) as signal:
        qtbot.mouseClick(failed, Qt.MouseButton.LeftButton)
    assert signal.args == ["c"]


def test_further_columns_are_pages(qtbot: QtBot) -> None:
    view = _view(qtbot, None)
    body = {
        "model_id": "flux-dev",
        "batch_input_params": {"seed": [1, 2], "cfg": [5, 7], "sampler": ["euler", "dpm"]},
    }
    view.show_batch(body)
    assert view.page_bar.isVisible()
    assert [view.page_choice.itemText(i) for i in range(2)] == ["sampler = euler", "sampler = dpm"]
    assert sorted(view.cells) == [0, 2, 4, 6]  # sampler varies fastest in batch order
    view.next_page.click()
    assert view.page == 1 and sorted(view.cells) == [1, 3, 5, 7]
    assert view.page_count.text() == "2 of 2"
    done = RunState(
        "r",
        status="success",
        batch_index=7,
        outputs=(RunOutput("o", media=(MediaItem("images", "http://h/x.png", "x.png"),)),),
    )
    view.update_run(done)
    assert view.cells[7].caption.text().startswith("✓ success")


def test_not_a_batch_and_an_empty_batch_say_so(qtbot: QtBot) -> None:
    view = _view(qtbot, None)
    view.show_batch({"model_id": "flux-dev"})
    assert view.empty.text().startswith("Not a batch")
    view.show_batch({"model_id": "flux-dev", "batch_input_params": {"seed": []}})
    assert view.empty.text().startswith("This batch starts no runs")
    assert view.cells == {}


def test_summary_counts() -> None:
    states = [RunState("a", status="success"), RunState("b", status="timeout")]
    assert batch_summary(3, states) == "3 runs · 2 done · 1 timeout"


def test_a_large_page_is_built_a_chunk_at_a_time(qtbot: QtBot) -> None:
    view = _view(qtbot, None)
    body = {
        "model_id": "flux-dev",
        "batch_input_params": {"seed": list(range(10)), "cfg": list(range(10))},
    }
    with qtbot.waitSignal(view.page_built, timeout=5000):
        view.show_batch(body)
        assert view.building and len(view.cells) == 0  # made from the next turn of the loop
        qtbot.waitUntil(lambda: len(view.cells) > 0)
        assert view.building and len(view.cells) < 100  # the window stays responsive
        view.update_run(RunState("late", status="failed", live_status="boom", batch_index=99))
    assert len(view.cells) == 100 and not view.building
    assert view.cells[99].message.text() == "✕ Failed: boom"  # an update for a cell not yet made
    row, column = _position(view, view.cells[99])
    assert (row, column) == (10, 10)


def test_a_wide_page_makes_its_headers_with_its_cells(qtbot: QtBot) -> None:
    view = _view(qtbot, None)
    body = {"model_id": "flux-dev", "batch_input_params": {"seed": list(range(200))}}

    def headers() -> dict[int, str]:
        found = {}
        for label in view._table.findChildren(QLabel, "batch_grid__column_header"):
            index = view._layout.indexOf(label)
            if index >= 0:
                found[view._layout.getItemPosition(index)[1]] = label.text()
        return found

    with qtbot.waitSignal(view.page_built, timeout=10_000):
        view.show_batch(body)
        qtbot.waitUntil(lambda: len(view.cells) > 0)
        first = len(headers())
        assert view.building and first == len(view.cells) < 200  # not 200 labels at once
    assert headers() == {n + 1: str(n) for n in range(200)}
    assert all(_position(view, view.cells[n]) == (1, n + 1) for n in range(200))
    # A cell's size is fixed: its height does not depend on its width (Qt then skips laying
    # out every cell's wrapped text each time the page is laid out again).
    assert not view.cells[0].hasHeightForWidth()
    # Every run changing at once: shown a few milliseconds' worth per turn, all in the end.
    view.update_runs(
        RunState(f"run-{n}", status="running", progress=0.25, batch_index=n) for n in range(200)
    )
    assert view.summary.text() == "200 runs · 0 done · 200 running"
    assert sum(cell.caption.text() == "running · 25%" for cell in view.cells.values()) >= 9
    qtbot.waitUntil(
        lambda: all(cell.caption.text() == "running · 25%" for cell in view.cells.values())
    )


def test_many_runs_update_their_cells_and_the_header_once(qtbot: QtBot) -> None:
    view = _view(qtbot, None)
    view.show_batch(BATCH)
    view.finish_building()
    summaries: list[str] = []
    real = view.summary.setText
    view.summary.setText = lambda text: (summaries.append(text), real(text))[1]  # type: ignore[method-assign]
    view.update_runs(
        [RunState(f"run-{n}", status="running", progress=0.5, batch_index=n) for n in range(9)]
        + [RunState("stray", status="running", batch_index=12)]  # not in this batch: skipped
    )
    assert summaries == ["9 runs · 0 done · 9 running"]
    assert all(view.cells[n].caption.text() == "running · 50%" for n in range(9))


def test_a_page_let_go_is_deleted_a_slice_at_a_time(qtbot: QtBot) -> None:
    view = _view(qtbot, None)
    with qtbot.waitSignal(view.page_built, timeout=10_000):
        view.show_batch({"model_id": "flux-dev", "batch_input_params": {"seed": list(range(100))}})
    cells = list(view.cells.values())
    gone: list[int] = []
    for cell in cells:
        cell.destroyed.connect(lambda _obj=None: gone.append(1))
    widgets = view._layout.count()  # cells, headers, the corner
    view.show_batch({})  # another selection: the page goes
    assert view.cells == {} and not any(cell.isVisible() for cell in cells)
    assert len(view._doomed) == widgets - BURY_SLICE  # the rest at the next turns
    qtbot.waitUntil(lambda: len(gone) == len(cells), timeout=5000)
    assert view._doomed == []
