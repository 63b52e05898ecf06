"""The batch grid's layout maths: every run of a batch in its (page, row, column), labelled."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from composer.core.batch import expand_runs
from composer.core.grid import BatchGrid, grid_for, value_label


def _grid(body: dict[str, Any]) -> BatchGrid:
    grid = grid_for(body)
    assert grid is not None
    return grid


def test_three_by_three_places_each_run_by_its_values() -> None:
    body = {
        "inputs": {"prompt": "x"},
        "batch_input_params": {"seed": [1, 2, 3], "steps": [10, 20, 30]},
    }
    grid = _grid(body)
    assert grid.rows is not None
    assert (grid.rows.name, grid.rows.labels) == ("seed", ("1", "2", "3"))
    assert (grid.columns.name, grid.columns.labels) == ("steps", ("10", "20", "30"))
    assert len(grid.pages) == 1
    assert grid.pages[0].label == ""
    assert grid.size == 9
    runs = expand_runs(body)
    for index, place in enumerate(grid.places):
        # The row is the run's seed, the column its steps: the server's order, first key slowest.
        assert grid.rows.values[place.row] == runs[index]["seed"]
        assert grid.columns.values[place.column] == runs[index]["steps"]
        assert grid.index_at(place.page, place.row, place.column) == index
    assert grid.place(5).label == "seed = 2 · steps = 30"
    assert (grid.place(5).row, grid.place(5).column) == (1, 2)


def test_further_columns_become_pages() -> None:
    body = {
        "batch_input_params": {
            "seed": [1, 2],
            "cfg": [5, 7, 9],
            "sampler": ["euler", "dpm"],
            "hd": [True, False],
        }
    }
    grid = _grid(body)
    assert (grid.row_count, grid.column_count) == (2, 3)
    assert [page.label for page in grid.pages] == [
        "sampler = euler · hd = true",
        "sampler = euler · hd = false",
        "sampler = dpm · hd = true",
        "sampler = dpm · hd = false",
    ]
    runs = expand_runs(body)
    seen = set()
    for index, place in enumerate(grid.places):
        run = runs[index]
        assert grid.pages[place.page].values == {"sampler": run["sampler"], "hd": run["hd"]}
        assert grid.columns.values[place.column] == run["cfg"]
        assert place.combination == {k: run[k] for k in ("seed", "cfg", "sampler", "hd")}
        seen.add((place.page, place.row, place.column))
    assert len(seen) == 24
    assert len(grid.places_on(2)) == 6
    assert [p.index for p in grid.places_on(0)] == sorted(p.index for p in grid.places_on(0))


def test_one_column_is_a_single_row() -> None:
    grid = _grid({"batch_input_params": {"prompt": ["a cat", "a dog"]}})
    assert grid.rows is None
    assert grid.row_count == 1
    assert grid.columns.labels == ("a cat", "a dog")
    assert [(p.row, p.column) for p in grid.places] == [(0, 0), (0, 1)]
    assert grid.index_at(0, 0, 1) == 1
    assert grid.index_at(0, 1, 0) is None


def test_copies_are_a_row_of_numbered_cells() -> None:
    grid = _grid({"batch_number": 4, "inputs": {"seed": 1}})
    assert grid.columns.labels == ("#1", "#2", "#3", "#4")
    assert grid.place(3).label == "copy = #4"


def test_single_runs_have_no_grid() -> None:
    assert grid_for({"model_id": "flux-dev"}) is None
    assert grid_for({"batch_number": 1}) is None
    # batch_input_params present (even {}) makes the server ignore batch_number: one run.
    assert grid_for({"batch_input_params": {}, "batch_number": 5}) is None


def test_an_empty_column_gives_an_empty_grid() -> None:
    grid = _grid({"batch_input_params": {"seed": [1, 2], "steps": []}})
    assert grid.size == 0
    assert grid.index_at(0, 0, 0) is None


def test_repeated_values_keep_their_own_cells() -> None:
    grid = _grid({"batch_input_params": {"seed": [7, 7], "steps": [1]}})
    assert [(p.row, p.column) for p in grid.places] == [(0, 0), (1, 0)]


def test_labels_show_types_and_are_cut() -> None:
    assert value_label("42") == '"42"'
    assert value_label(42) == "42"
    assert value_label([1, 2]) == "[1, 2]"
    long = value_label("a painting of " * 20)
    assert len(long) == 48
    assert long.endswith("…")
    grid = _grid({"batch_input_params": {"p": ["x " * 40 + "x"], "q": [1]}})
    assert grid.rows is not None
    assert grid.rows.full_labels[0].startswith("p = x x x")
    assert len(grid.rows.full_labels[0]) > 48


def test_place_outside_the_batch_raises() -> None:
    grid = _grid({"batch_input_params": {"seed": [1, 2]}})
    with pytest.raises(IndexError):
        grid.place(2)


@given(st.lists(st.integers(min_value=1, max_value=4), min_size=1, max_size=4))
def test_every_run_has_a_distinct_place_that_maps_back(sizes: list[int]) -> None:
    body = {"batch_input_params": {f"k{i}": list(range(n)) for i, n in enumerate(sizes)}}
    grid = _grid(body)
    runs = expand_runs(body)
    assert grid.size == len(runs)
    places = {(p.page, p.row, p.column) for p in grid.places}
    assert len(places) == len(runs)
    for index, place in enumerate(grid.places):
        assert grid.index_at(place.page, place.row, place.column) == index
        assert dict(place.combination) == {k: runs[index][k] for k in body["batch_input_params"]}
