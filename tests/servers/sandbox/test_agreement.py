"""The sandbox and composer's own validation agree, and no body makes the sandbox fail with 500."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from composer.core.validation import errors_from_422, validate_body
from composer.core.wire import KNOWN_ORIGINS
from composer.servers.sandbox import Sandbox
from tests.servers.sandbox.helpers import SDXL

BODIES: list[dict[str, Any]] = [
    {"model_id": "flux-dev", "inputs": {"prompt": "x", "seed": 1}},
    {"model_id": "flux-dev", "inputs": {"seed": None}},
    {"model_id": "flux-dev", "inputs": {"seed": {"a": 1}, "ok": [1, {"b": 2}]}},
    {"model_id": "flux-dev", "execution_mode": "fast"},
    {"model_id": "flux-dev", "gpu": "RTX 4090"},
    {"model_id": "flux-dev", "batch_input_params": {"seed": 1}},
    {"model_id": "flux-dev", "webhook_intermediate_status": "maybe"},
    {"model_id": 12},
    {"deployment_id": "nope"},
    {"deployment_id": SDXL, "inputs": {"x": [1, {"a": 2}]}, "batch_number": "2"},
    {"deployment_id": SDXL, "inputs": [], "gpu": "H100"},
]


@pytest.mark.parametrize("body", BODIES)
def test_same_verdict_and_error_paths_as_core(
    sandbox_http: httpx.Client, body: dict[str, Any]
) -> None:
    local = validate_body(body)
    member = "ModelRunRequest" if "model_id" in body else "DeploymentRunRequest"
    answer = sandbox_http.post("/run", json=body)
    assert (answer.status_code == 422) is (not local.ok), answer.text
    if answer.status_code != 422:
        return
    # The generic route reports every union member; the body's own kind is the one to compare.
    detail = [item for item in answer.json()["detail"] if item["loc"][1] == member]
    assert sorted(e.loc for e in errors_from_422(detail)) == sorted(e.loc for e in local.errors)


_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 5)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
_fields = st.fixed_dictionaries(
    {},
    optional={
        "model_id": st.sampled_from(["flux-dev", "flux-schnell", "nope"]) | _json,
        "deployment_id": st.sampled_from([SDXL, "not-a-uuid"]) | _json,
        "execution_mode": st.sampled_from(["async", "sync", "sync_first_result", "x"]) | _json,
        "inputs": st.dictionaries(st.sampled_from(["prompt", "seed", "input_image"]), _json),
        "webhook_intermediate_status": _json,
        "origin": _json,
        "batch_number": st.integers(-2, 4) | _json,
        "batch_input_params": st.dictionaries(
            st.sampled_from(["seed", "prompt"]), st.lists(_json, max_size=3), max_size=2
        )
        | _json,
        "is_native_run": _json,
        "gpu_event_id": _json,
        "gpu": st.sampled_from(["H100", "CPU", "RTX"]) | _json,
        "extra": _json,
    },
)
_routes = st.sampled_from(["/run", "/run/queue", "/run/deployment/queue", "/run/deployment/sync"])


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=_fields | _json, route=_routes)
def test_no_body_makes_the_sandbox_fail(
    sandbox: Sandbox, sandbox_http: httpx.Client, body: Any, route: str
) -> None:
    sandbox.config.max_batch_runs = 12
    sandbox.config.speed = 2000
    answer = sandbox_http.post(route, json=body)
    origin = body.get("origin") if isinstance(body, dict) else None
    if answer.status_code == 500 and isinstance(origin, str) and origin not in KNOWN_ORIGINS:
        assert answer.text == "Internal Server Error"  # documented: the database refuses it
    elif answer.status_code == 500:
        # Only the documented case: a batch or native run on a typed deployment route.
        assert route.startswith("/run/deployment/") and answer.text == "Internal Server Error"
        assert isinstance(body, dict)
        assert (
            body.get("batch_input_params") is not None
            or body.get("batch_number")
            or body.get("is_native_run")
            or body.get("execution_mode") == "sync"
        )
    else:
        assert answer.status_code in (200, 400, 404, 422), answer.text
