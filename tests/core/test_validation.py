"""Cross-field warnings and the conversion of server 422 bodies to body paths."""

from __future__ import annotations

from typing import Any

import pytest

from composer.core.validation import FieldError, errors_from_422, format_loc, validate_body


def codes(body: dict[str, Any]) -> list[str]:
    return [warning.code for warning in validate_body(body).warnings]


def test_batch_params_make_batch_number_ignored() -> None:
    assert "batch_number_ignored" in codes(
        {"model_id": "m", "batch_number": 3, "batch_input_params": {}}
    )
    assert "batch_number_ignored" not in codes({"model_id": "m", "batch_number": 3})


def test_batch_number_with_sync_first_result_warns() -> None:
    body = {"model_id": "m", "batch_number": 2, "execution_mode": "sync_first_result"}
    assert "sync_first_result_batch" in codes(body)
    assert "sync_first_result_batch" not in codes({**body, "batch_number": 1})


def test_native_run_warns() -> None:
    assert "native_run" in codes({"model_id": "m", "is_native_run": True})
    assert "native_run" not in codes({"model_id": "m", "is_native_run": False})


def test_empty_batch_column_warns_at_its_path() -> None:
    warnings = validate_body(
        {"model_id": "m", "batch_input_params": {"seed": [], "x": [1]}}
    ).warnings
    empty = [w for w in warnings if w.code == "empty_batch_column"]
    assert [w.loc for w in empty] == [("batch_input_params", "seed")]


def test_unknown_origin_and_camel_case_key_warn() -> None:
    found = codes({"model_id": "m", "origin": "cli", "batchNumber": 3})
    assert found.count("unknown_key") == 1
    assert "unknown_origin" in found
    assert "unknown_origin" not in codes({"model_id": "m", "origin": "workspace-v2"})


def test_warnings_do_not_make_a_body_invalid() -> None:
    validation = validate_body({"model_id": "m", "is_native_run": True, "batch_number": 2})
    assert validation.ok and validation.warnings


def test_non_object_body_is_one_error() -> None:
    validation = validate_body([1, 2])
    assert [e.loc for e in validation.errors] == [()]


@pytest.mark.parametrize(
    ("detail", "expected"),
    [
        (
            [
                {
                    "type": "missing",
                    "loc": ["body", "deployment_id"],
                    "msg": "Field required",
                    "input": {},
                }
            ],
            [(("deployment_id",), "missing")],
        ),
        (
            [
                {
                    "type": "string_type",
                    "loc": ["body", "ModelRunRequest", "inputs", "seed", "str"],
                    "msg": "a",
                },
                {
                    "type": "int_type",
                    "loc": ["body", "ModelRunRequest", "inputs", "seed", "int"],
                    "msg": "b",
                },
                {
                    "type": "list_type",
                    "loc": ["body", "ModelRunRequest", "batch_input_params", "seed"],
                    "msg": "c",
                },
            ],
            [(("inputs", "seed"), "inputs_value"), (("batch_input_params", "seed"), "list_type")],
        ),
        ("Something broke", [((), "value_error")]),
    ],
)
def test_422_detail_becomes_body_paths(
    detail: object, expected: list[tuple[tuple[str, ...], str]]
) -> None:
    assert [(e.loc, e.type) for e in errors_from_422(detail)] == expected


def test_local_and_server_errors_share_a_shape() -> None:
    local = validate_body({"model_id": "m", "inputs": {"seed": {"x": 1}}}).errors
    server = errors_from_422(
        [
            {
                "type": "string_type",
                "loc": ["body", "ModelRunRequest", "inputs", "seed", "str"],
                "msg": "m",
            }
        ]
    )
    assert [e.loc for e in local] == [e.loc for e in server] == [("inputs", "seed")]


def test_paths_read_naturally() -> None:
    assert format_loc(("batch_input_params", "seed", 2)) == "batch_input_params.seed[2]"
    assert str(FieldError(("inputs", "seed"), "bad")) == "inputs.seed: bad"
    assert str(FieldError((), "bad")) == "body: bad"
