"""Request models: exact wire serialisation, round trips and the server's validation rules."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from composer.core.request import DeploymentRunRequest, ModelRunRequest
from composer.core.validation import import_body, validate_body
from composer.core.wire import EXECUTION_MODES, GPUS, KNOWN_ORIGINS, SHARED_FIELDS, RequestKind
from composer.resources import sample_preset_text

# API-CONTRACT section 2, the seed example on the wire, copied key for key.
SEED_WIRE = json.loads(
    """{"execution_mode": "async", "inputs": {"prompt": "A beautiful landscape", "seed": 42},
 "webhook": "https://example.com/webhook", "webhook_intermediate_status": true, "origin": "manual",
 "batch_number": 5, "batch_input_params": {"input_number": [1, 2, 3], "input_text": ["apple",
 "banana", "cherry"]}, "is_native_run": true,
 "gpu_event_id": "123e4567-e89b-12d3-a456-426614174000", "model_id": "<id>"}"""
)

finite_floats = st.floats(allow_nan=False, allow_infinity=False).filter(
    lambda x: not x.is_integer()
)
json_leaf = st.one_of(
    st.text(max_size=20), st.integers(-(2**53), 2**53), finite_floats, st.booleans(), st.none()
)
any_json = st.recursive(
    json_leaf,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
input_value = st.one_of(
    st.text(max_size=30),
    st.from_regex(r"\A-?[0-9]{1,6}\Z"),  # strings that look like numbers stay strings
    st.integers(-(2**53), 2**53),
    finite_floats,
    st.booleans(),
    st.lists(any_json, max_size=4),
)
shared_fields: dict[str, st.SearchStrategy[Any]] = {
    "execution_mode": st.sampled_from(EXECUTION_MODES),
    "inputs": st.dictionaries(st.text(min_size=1, max_size=12), input_value, max_size=6),
    "webhook": st.none() | st.text(max_size=40),
    "webhook_intermediate_status": st.booleans(),
    "origin": st.sampled_from(KNOWN_ORIGINS) | st.text(max_size=12),
    "batch_number": st.none() | st.integers(-5, 10_000),
    "batch_input_params": st.none()
    | st.dictionaries(st.text(min_size=1, max_size=8), st.lists(any_json, max_size=4), max_size=4),
    "is_native_run": st.booleans(),
    "gpu_event_id": st.none() | st.text(max_size=36),
    "gpu": st.none() | st.sampled_from(GPUS),
}


@st.composite
def wire_bodies(draw: st.DrawFn) -> dict[str, Any]:
    """A canonical wire body: any subset of the shared fields in contract order, then the key."""
    body: dict[str, Any] = {}
    for name in SHARED_FIELDS:
        if draw(st.booleans()):
            body[name] = draw(shared_fields[name])
    if draw(st.booleans()):
        body["model_id"] = draw(st.text(max_size=30))
    else:
        body["deployment_id"] = str(draw(st.uuids()))
    return body


def same_json(a: Any, b: Any) -> bool:
    """Equal including JSON types (1 != 1.0 != True) and key order."""
    return json.dumps(a) == json.dumps(b) and _types(a) == _types(b)


def _types(value: Any) -> Any:
    if isinstance(value, dict):
        return [(k, _types(v)) for k, v in value.items()]
    if isinstance(value, list):
        return [_types(v) for v in value]
    return type(value).__name__


@settings(max_examples=300, deadline=None)
@given(wire_bodies())
def test_round_trip_is_exact(body: dict[str, Any]) -> None:
    validation = validate_body(body)
    assert validation.ok, validation.errors
    assert validation.request is not None
    wire = validation.request.to_wire()
    assert same_json(wire, body)
    assert list(wire) == list(body)


def test_seed_example_serialises_to_the_contract_body() -> None:
    request = ModelRunRequest(
        execution_mode="async",
        inputs={"prompt": "A beautiful landscape", "seed": 42},
        webhook="https://example.com/webhook",
        webhook_intermediate_status=True,
        origin="manual",
        batch_number=5,
        batch_input_params={"input_number": [1, 2, 3], "input_text": ["apple", "banana", "cherry"]},
        is_native_run=True,
        gpu_event_id="123e4567-e89b-12d3-a456-426614174000",
        model_id="<id>",
    )
    assert same_json(request.to_wire(), SEED_WIRE)


def test_seed_sample_preset_is_the_contract_body() -> None:
    document = json.loads(sample_preset_text("seed-example.json"))
    assert same_json(document["request"], SEED_WIRE)


def test_unset_fields_are_left_out() -> None:
    assert ModelRunRequest(model_id="flux-dev").to_wire() == {"model_id": "flux-dev"}
    request = DeploymentRunRequest.model_validate(
        {"deployment_id": "123E4567-E89B-12D3-A456-426614174000", "gpu": None}
    )
    # An explicit null is the user's choice and is kept; the UUID is written in canonical form.
    assert request.to_wire() == {
        "gpu": None,
        "deployment_id": "123e4567-e89b-12d3-a456-426614174000",
    }


def test_number_types_are_kept() -> None:
    body = {
        "inputs": {"seed": 42, "cfg": 1.5, "steps": "42", "flag": True, "scale": 2.0},
        "model_id": "m",
    }
    wire = ModelRunRequest.model_validate(body).to_wire()
    assert json.dumps(wire) == json.dumps(body)
    assert type(wire["inputs"]["seed"]) is int
    assert type(wire["inputs"]["steps"]) is str
    assert type(wire["inputs"]["flag"]) is bool
    assert type(wire["inputs"]["scale"]) is float and math.isclose(wire["inputs"]["scale"], 2.0)


@pytest.mark.parametrize(
    ("body", "loc", "error_type"),
    [
        ({"model_id": "m", "execution_mode": "later"}, ("execution_mode",), "literal_error"),
        ({"model_id": "m", "execution_mode": None}, ("execution_mode",), "literal_error"),
        ({"model_id": "m", "inputs": {"seed": {"a": 1}}}, ("inputs", "seed"), "inputs_value"),
        ({"model_id": "m", "inputs": {"seed": None}}, ("inputs", "seed"), "inputs_value"),
        ({"model_id": "m", "inputs": []}, ("inputs",), "dict_type"),
        (
            {"model_id": "m", "webhook_intermediate_status": None},
            ("webhook_intermediate_status",),
            "bool_type",
        ),
        (
            {"model_id": "m", "batch_input_params": {"seed": 3}},
            ("batch_input_params", "seed"),
            "list_type",
        ),
        ({"model_id": "m", "batch_number": "many"}, ("batch_number",), "int_parsing"),
        ({"model_id": "m", "gpu": "RTX4090"}, ("gpu",), "literal_error"),
        ({"model_id": "m", "is_native_run": None}, ("is_native_run",), "bool_type"),
        ({"model_id": "m", "origin": None}, ("origin",), "string_type"),
        ({"model_id": "m", "webhook": 5}, ("webhook",), "string_type"),
        ({"model_id": None}, ("model_id",), "string_type"),
        ({"deployment_id": "not-a-uuid"}, ("deployment_id",), "uuid_parsing"),
        ({"inputs": {}}, ("model_id",), "missing"),
    ],
)
def test_invalid_fields_are_rejected_at_their_path(
    body: dict[str, Any], loc: tuple[str, ...], error_type: str
) -> None:
    validation = validate_body(body)
    assert not validation.ok
    assert (loc, error_type) in [(e.loc, e.type) for e in validation.errors]


def test_forced_kind_reports_missing_key() -> None:
    validation = validate_body({"model_id": "flux-dev"}, RequestKind.DEPLOYMENT)
    assert [(e.loc, e.type) for e in validation.errors] == [(("deployment_id",), "missing")]


def test_both_keys_make_a_model_run_as_on_the_server() -> None:
    body = {"model_id": "flux-dev", "deployment_id": "123e4567-e89b-12d3-a456-426614174000"}
    validation = validate_body(body)
    assert validation.kind is RequestKind.MODEL
    assert "unknown_key" in [w.code for w in validation.warnings]


def test_camel_case_is_converted_with_notes() -> None:
    camel = {
        "executionMode": "async",
        "inputs": {"prompt": "A beautiful landscape", "seed": 42},
        "webhook": "https://example.com/webhook",
        "webhookIntermediateStatus": True,
        "origin": "manual",
        "batchNumber": 5,
        "batchInputParams": {
            "input_number": [1, 2, 3],
            "input_text": ["apple", "banana", "cherry"],
        },
        "isNativeRun": True,
        "gpuEventId": "123e4567-e89b-12d3-a456-426614174000",
        "modelId": "<id>",
    }
    imported = import_body(camel)
    validation = validate_body(imported.body)
    assert validation.request is not None
    assert same_json(validation.request.to_wire(), SEED_WIRE)
    assert len(imported.notes) == 7  # every camelCase key of the seed
    assert "converted modelId to model_id" in imported.notes[-1]


def test_camel_case_key_next_to_its_snake_case_form_loses() -> None:
    imported = import_body({"model_id": "a", "modelId": "b"})
    assert imported.body == {"model_id": "a"}
    assert imported.notes and "model_id is also present" in imported.notes[0]
