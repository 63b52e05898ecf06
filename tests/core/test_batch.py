"""Batch maths and batch tables as CSV/TSV."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from composer.core.batch import (
    BatchImportError,
    BatchTable,
    expand_runs,
    format_cell,
    parse_cell,
    run_count,
    run_count_label,
    table_from_csv,
    table_to_csv,
)


def test_run_count_rules() -> None:
    assert run_count({"batch_input_params": {"a": [1, 2, 3], "b": ["x", "y", "z"]}}) == 9
    assert run_count({"batch_input_params": {"a": [1, 2], "b": []}}) == 0
    assert run_count({"batch_input_params": {"a": [1, 2]}, "batch_number": 7}) == 2
    assert run_count({"batch_number": 5}) == 5
    assert run_count({"batch_number": 0}) == 1
    assert run_count({}) == 1


def test_run_count_label() -> None:
    assert (
        run_count_label({"batch_input_params": {"a": [1, 2, 3], "b": [1, 2, 3]}})
        == "3 x 3 = 9 runs"
    )
    assert run_count_label({"batch_number": 5}) == "5 runs"
    assert run_count_label({}) == "1 run"


def test_expansion_follows_the_server_order() -> None:
    body = {
        "inputs": {"prompt": "base", "seed": 0, "steps": 4},
        "batch_input_params": {"seed": [1, 2], "prompt": ["fox", "owl"]},
    }
    assert expand_runs(body) == [
        {"prompt": "fox", "seed": 1, "steps": 4},
        {"prompt": "owl", "seed": 1, "steps": 4},
        {"prompt": "fox", "seed": 2, "steps": 4},
        {"prompt": "owl", "seed": 2, "steps": 4},
    ]
    assert expand_runs({"inputs": {"a": 1}, "batch_number": 3}) == [{"a": 1}] * 3


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("42", 42),
        ("1.5", 1.5),
        ("true", True),
        ('"42"', "42"),
        ("fox", "fox"),
        ("[1, 2]", [1, 2]),
        ("-3", -3),
        ("nope", "nope"),
        ("1,2", "1,2"),
    ],
)
def test_cells_parse_as_json_scalars_else_text(text: str, value: Any) -> None:
    parsed = parse_cell(text)
    assert parsed == value and type(parsed) is type(value)


cell_values = st.one_of(
    st.text(max_size=15),
    st.integers(),
    st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False),
)


@given(cell_values)
def test_cells_round_trip(value: Any) -> None:
    back = parse_cell(format_cell(value))
    assert back == value and type(back) is type(value)


@given(
    st.dictionaries(
        st.text(alphabet="abcdefgh_", min_size=1, max_size=6),
        st.lists(cell_values, min_size=1, max_size=5),
        min_size=1,
        max_size=4,
    ),
    st.sampled_from([",", "\t"]),
)
def test_csv_round_trip(params: dict[str, list[Any]], delimiter: str) -> None:
    table = BatchTable.from_params(params)
    back = table_from_csv(table_to_csv(table, delimiter), delimiter).to_params()
    assert back == params
    assert [[type(v) for v in col] for col in back.values()] == [
        [type(v) for v in col] for col in params.values()
    ]


def test_spreadsheet_paste_with_ragged_columns() -> None:
    tsv = "seed\tprompt\r\n1\tfox\r\n2\towl\r\n3\t\r\n"
    table = table_from_csv(tsv)
    assert table.to_params() == {"seed": [1, 2, 3], "prompt": ["fox", "owl"]}
    assert table.run_count == 6 and table.row_count == 3


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("a,,b\n1,2,3", "needs a name"),
        ("a,a\n1,2", "unique"),
        ("a\n1,2", "Line 2"),
        ("a,b\n1,\n2,3", "follows an empty cell"),
    ],
)
def test_bad_csv_says_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(BatchImportError, match=message):
        table_from_csv(text)


def test_paste_block_overwrites_appends_and_adds_columns() -> None:
    from composer.core.batch import EMPTY_CELL, is_header_row, parse_block, paste_block

    table = BatchTable([("seed", [1, 2]), ("prompt", ["fox"])])
    block = parse_block([["7", "owl", "x"], ["8", "", "y"], ["9", "koi", ""]])
    assert block[1][1] is EMPTY_CELL and block[0][0] == 7
    pasted = paste_block(table, block, 1, 0)
    assert pasted.to_params() == {
        "seed": [1, 7, 8, 9],
        "prompt": ["fox", "owl", "koi"],  # the blank cell is skipped: no hole
        "column_3": ["x", "y"],
    }
    assert table.to_params() == {"seed": [1, 2], "prompt": ["fox"]}  # the input is untouched
    assert is_header_row(["seed", " prompt"], table, 0)
    assert not is_header_row(["prompt"], table, 0)
