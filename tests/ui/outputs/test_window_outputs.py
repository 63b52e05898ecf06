"""The Outputs page in the window's runs panel: submit from the window, watch the grid fill."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from composer.ui.outputs.page import OutputsPage, install_outputs_page
from tests.ui.runs.conftest import Runs, make_runs, runs

__all__ = ["make_runs", "runs"]  # fixtures


def _page(runs: Runs) -> OutputsPage:
    page = install_outputs_page(runs.window)
    view = runs.window.runs_view
    assert view is not None
    assert view.details.tabText(view.details.indexOf(page)) == "Outputs"
    view.show_detail_page(page)
    return page


def test_the_sample_batch_fills_a_labelled_grid_live(runs: Runs, qtbot: QtBot) -> None:
    page = _page(runs)
    view = runs.window.runs_view
    assert view is not None
    runs.open_sample("batch-grid-3x3.json")
    submission = runs.submit()
    view.select_submission(submission)  # the batch row: the grid
    assert page.currentWidget() is page.grid
    grid = page.grid
    assert len(grid.cells) == 9
    assert grid.grid is not None and grid.grid.rows is not None
    assert (grid.grid.rows.name, grid.grid.columns.name) == ("prompt", "seed")
    runs.wait_done(submission, timeout=15_000)
    qtbot.waitUntil(
        lambda: all(cell.state == "image" for cell in grid.cells.values()), timeout=10_000
    )
    assert grid.summary.text() == "9 runs · 9 done"
    for index, cell in grid.cells.items():
        state = grid.states[index]
        assert state.inputs is not None
        row, column, _r, _c = grid._layout.getItemPosition(grid._layout.indexOf(cell))
        prompts = submission.sent_body["batch_input_params"]["prompt"]
        assert prompts[row - 1] == state.inputs["prompt"]  # rows: the first batch column
        assert [1, 2, 3][column - 1] == state.inputs["seed"]  # columns: the second
    # A run of the batch shows its own outputs in the gallery.
    group = runs.model.index(0, 0)
    view.tree.setCurrentIndex(runs.model.index(4, 0, group))
    assert page.currentWidget() is page.gallery
    assert grid.cells == {} and not grid.building  # the batch's page is let go, not made again
    qtbot.waitUntil(
        lambda: bool(page.gallery.tiles) and page.gallery.tiles[0].state == "image", timeout=5000
    )
    assert page.gallery.state is not None and page.gallery.state.inputs == {
        **submission.sent_body["inputs"],
        "prompt": "A snowy owl on a fence post",
        "seed": 2,
    }
    view.tree.setCurrentIndex(group)  # the batch again: its grid, every picture back
    assert page.currentWidget() is page.grid and len(grid.cells) == 9
    qtbot.waitUntil(
        lambda: all(cell.state == "image" for cell in grid.cells.values()), timeout=10_000
    )


def test_a_single_run_shows_its_thumbnails(runs: Runs, qtbot: QtBot) -> None:
    page = _page(runs)
    runs.open_sample("flux-dev-portrait.json")
    submission = runs.submit()
    view = runs.window.runs_view
    assert view is not None
    view.select_submission(submission)
    assert page.currentWidget() is page.gallery
    runs.wait_done(submission)
    qtbot.waitUntil(
        lambda: bool(page.gallery.tiles) and page.gallery.tiles[0].state == "image", timeout=5000
    )
    assert not page.gallery.tiles[0].picture.pixmap().isNull()
