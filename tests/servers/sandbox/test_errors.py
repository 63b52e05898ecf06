"""Every error the contract lists, compared as whole JSON bodies over real HTTP."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from uuid import UUID

import httpx
import pytest
from pydantic import TypeAdapter, ValidationError

from composer.servers.sandbox import Sandbox
from tests.servers.sandbox.helpers import SDXL, UNKNOWN_UUID

DEPLOYMENT_QUEUE = "/run/deployment/queue"


def _uuid_error(loc: list[str], text: str) -> dict[str, Any]:
    """The 422 item pydantic gives for a bad UUID (its wording comes from pydantic itself)."""
    with pytest.raises(ValidationError) as caught:
        TypeAdapter(UUID).validate_python(text)
    error = caught.value.errors(include_url=False)[0]
    return {
        "type": "uuid_parsing",
        "loc": loc,
        "msg": error["msg"],
        "input": text,
        "ctx": error["ctx"],
    }


# --- auth ---


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": ""}, {"Authorization": "Bearer"}, {"Authorization": "Basic abc"}],
)
def test_missing_token_is_401(sandbox: Sandbox, headers: dict[str, str]) -> None:
    answer = httpx.post(f"{sandbox.base_url}/run", json={}, headers=headers, trust_env=False)
    assert (answer.status_code, answer.json()) == (401, {"detail": "Invalid or missing token"})


def test_wrong_token_is_401_and_checked_before_the_body(sandbox: Sandbox) -> None:
    headers = {"Authorization": "Bearer not-the-token"}
    for method, path in [("POST", "/run"), ("GET", f"/run/{UNKNOWN_UUID}"), ("GET", "/nowhere")]:
        answer = httpx.request(
            method, f"{sandbox.base_url}{path}", content=b"{bad", headers=headers, trust_env=False
        )
        assert (answer.status_code, answer.json()) == (401, {"detail": "Invalid or expired token"})


def test_without_a_configured_token_any_token_is_accepted(
    make_sandbox: Callable[..., Sandbox],
) -> None:
    open_sandbox = make_sandbox(token=None)
    for token in ("anything", "sk-live-123"):
        answer = httpx.get(
            f"{open_sandbox.base_url}/deployments",
            headers={"Authorization": f"Bearer {token}"},
            trust_env=False,
        )
        assert answer.status_code == 200
    bare = httpx.get(f"{open_sandbox.base_url}/deployments", trust_env=False)
    assert (bare.status_code, bare.json()) == (401, {"detail": "Invalid or missing token"})


# --- 422 bodies ---


def test_contract_example_missing_deployment_id(sandbox_http: httpx.Client) -> None:
    answer = sandbox_http.post(DEPLOYMENT_QUEUE, json={})
    assert answer.status_code == 422
    assert answer.json() == {
        "detail": [
            {
                "type": "missing",
                "loc": ["body", "deployment_id"],
                "msg": "Field required",
                "input": {},
            }
        ]
    }


def test_bad_mode_and_uuid(sandbox_http: httpx.Client) -> None:
    answer = sandbox_http.post(
        DEPLOYMENT_QUEUE, json={"deployment_id": "nope", "execution_mode": "fast"}
    )
    assert answer.status_code == 422
    expected = "'async', 'sync', 'sync_first_result' or 'stream'"
    assert answer.json() == {
        "detail": [
            {
                "type": "literal_error",
                "loc": ["body", "execution_mode"],
                "msg": f"Input should be {expected}",
                "input": "fast",
                "ctx": {"expected": expected},
            },
            _uuid_error(["body", "deployment_id"], "nope"),
        ]
    }


def test_null_input_value_and_non_list_batch_column(sandbox_http: httpx.Client) -> None:
    body = {
        "deployment_id": SDXL,
        "inputs": {"seed": None},
        "webhook_intermediate_status": None,
        "batch_input_params": {"seed": 3},
    }
    answer = sandbox_http.post(DEPLOYMENT_QUEUE, json=body)
    assert answer.status_code == 422
    seed = ["body", "inputs", "seed"]
    assert answer.json() == {
        "detail": [
            {
                "type": "string_type",
                "loc": [*seed, "str"],
                "msg": "Input should be a valid string",
                "input": None,
            },
            {
                "type": "int_type",
                "loc": [*seed, "int"],
                "msg": "Input should be a valid integer",
                "input": None,
            },
            {
                "type": "float_type",
                "loc": [*seed, "float"],
                "msg": "Input should be a valid number",
                "input": None,
            },
            {
                "type": "bool_type",
                "loc": [*seed, "bool"],
                "msg": "Input should be a valid boolean",
                "input": None,
            },
            {
                "type": "list_type",
                "loc": [*seed, "list[any]"],
                "msg": "Input should be a valid list",
                "input": None,
            },
            {
                "type": "bool_type",
                "loc": ["body", "webhook_intermediate_status"],
                "msg": "Input should be a valid boolean",
                "input": None,
            },
            {
                "type": "list_type",
                "loc": ["body", "batch_input_params", "seed"],
                "msg": "Input should be a valid list",
                "input": 3,
            },
        ]
    }


def test_generic_route_reports_every_union_member(sandbox_http: httpx.Client) -> None:
    answer = sandbox_http.post("/run", json={})
    assert answer.status_code == 422

    def missing(member: str, field: str) -> dict[str, Any]:
        return {
            "type": "missing",
            "loc": ["body", member, field],
            "msg": "Field required",
            "input": {},
        }

    assert answer.json() == {
        "detail": [
            missing("WorkflowRunVersionRequest", "workflow_version_id"),
            missing("WorkflowRunRequest", "workflow_id"),
            missing("WorkflowRunRequest", "workflow_api_json"),
            missing("DeploymentRunRequest", "deployment_id"),
            missing("ModelRunRequest", "model_id"),
        ]
    }


def test_camel_case_required_key_is_ignored_so_422(sandbox_http: httpx.Client) -> None:
    answer = sandbox_http.post(DEPLOYMENT_QUEUE, json={"deploymentId": SDXL})
    assert answer.status_code == 422
    assert answer.json()["detail"] == [
        {
            "type": "missing",
            "loc": ["body", "deployment_id"],
            "msg": "Field required",
            "input": {"deploymentId": SDXL},
        }
    ]


@pytest.mark.parametrize(
    ("content", "detail"),
    [
        (
            b"{bad",
            [
                {
                    "type": "json_invalid",
                    "loc": ["body", 1],
                    "msg": "JSON decode error",
                    "input": {},
                    "ctx": {"error": "Expecting property name enclosed in double quotes"},
                }
            ],
        ),
        (
            b"[1, 2]",
            [
                {
                    "type": "model_attributes_type",
                    "loc": ["body"],
                    "msg": "Input should be a valid dictionary or object to extract fields from",
                    "input": [1, 2],
                }
            ],
        ),
    ],
)
def test_malformed_json(sandbox_http: httpx.Client, content: bytes, detail: list[Any]) -> None:
    answer = sandbox_http.post(
        DEPLOYMENT_QUEUE, content=content, headers={"Content-Type": "application/json"}
    )
    assert (answer.status_code, answer.json()) == (422, {"detail": detail})


# --- 400 / 404 / 413 / 500 ---


def test_batch_number_with_sync_first_result_is_400(
    sandbox: Sandbox, sandbox_http: httpx.Client
) -> None:
    body = {"model_id": "flux-dev", "execution_mode": "sync_first_result", "batch_number": 2}
    answer = sandbox_http.post("/run", json=body)
    assert answer.status_code == 400
    assert answer.json() == {
        "detail": "Batch number is not supported for sync_first_result execution mode"
    }
    assert sandbox.runs() == []


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"model_id": "no-such-model"}, "Model not found"),
        ({"deployment_id": UNKNOWN_UUID}, "Deployment not found"),
        ({"workflow_version_id": UNKNOWN_UUID}, "Workflow version not found for this deployment"),
        ({"workflow_id": UNKNOWN_UUID, "workflow_api_json": {}}, "Workflow not found"),
    ],
)
def test_unknown_targets_are_404(
    sandbox_http: httpx.Client, body: dict[str, Any], detail: str
) -> None:
    answer = sandbox_http.post("/run", json=body)
    assert (answer.status_code, answer.json()) == (404, {"detail": detail})


def test_unknown_run_is_404_and_non_uuid_422(sandbox_http: httpx.Client) -> None:
    for path in (f"/run/{UNKNOWN_UUID}", f"/run?run_id={UNKNOWN_UUID}"):
        answer = sandbox_http.get(path)
        assert (answer.status_code, answer.json()) == (404, {"detail": "Run not found"})
    bad = sandbox_http.get("/run/abc")
    assert bad.status_code == 422
    assert bad.json() == {"detail": [_uuid_error(["path", "run_id"], "abc")]}
    missing = sandbox_http.get("/run")
    assert missing.json() == {
        "detail": [
            {"type": "missing", "loc": ["query", "run_id"], "msg": "Field required", "input": None}
        ]
    }


def test_cancel_errors_are_500_with_the_reason(sandbox_http: httpx.Client) -> None:
    unknown = sandbox_http.post(f"/run/{UNKNOWN_UUID}/cancel")
    assert unknown.status_code == 500
    assert unknown.json() == {
        "detail": "Error cancel function 404: Run not found or has no modal function call ID"
    }
    bad = sandbox_http.post("/run/xyz/cancel")
    assert (bad.status_code, bad.json()) == (
        500,
        {"detail": "Error cancel function invalid UUID: 'xyz'"},
    )


def test_origin_outside_the_database_enum_is_a_plain_500(
    sandbox: Sandbox, sandbox_http: httpx.Client
) -> None:
    answer = sandbox_http.post("/run", json={"model_id": "flux-dev", "origin": "my-script"})
    assert (answer.status_code, answer.text) == (500, "Internal Server Error")
    assert sandbox.runs() == []
    fine = sandbox_http.post("/run", json={"model_id": "flux-dev", "origin": "manual"})
    assert fine.status_code == 200


def test_null_execution_mode_is_400_after_the_run_is_created(
    sandbox: Sandbox, sandbox_http: httpx.Client
) -> None:
    answer = sandbox_http.post("/run", json={"model_id": "flux-dev", "execution_mode": None})
    assert (answer.status_code, answer.json()) == (400, {"detail": "Invalid execution_mode"})
    assert [run["status"] for run in sandbox.runs()] == ["failed"]


def test_bad_base64_image_is_400(sandbox_http: httpx.Client) -> None:
    body = {
        "model_id": "flux-dev-image-to-image",
        "inputs": {"input_image": "data:image/png;base64,@@"},
    }
    answer = sandbox_http.post("/run", json=body)
    assert answer.status_code == 400
    assert answer.json() == {"detail": "The input 'input_image' is not valid base64 image data"}


@pytest.fixture
def small_body_sandbox(make_sandbox: Callable[..., Sandbox]) -> Sandbox:
    return make_sandbox(max_body_bytes=2_000)


def test_oversized_bodies_are_413(small_body_sandbox: Sandbox) -> None:
    url = f"{small_body_sandbox.base_url}/run"
    headers = {"Authorization": "Bearer sandbox-test-token"}
    big = {"model_id": "flux-dev", "inputs": {"prompt": "x" * 5_000}}
    expected = {"detail": "Request body too large: the limit is 2000 bytes"}
    answer = httpx.post(url, json=big, headers=headers, trust_env=False)
    assert (answer.status_code, answer.json()) == (413, expected)

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit applies while reading
        yield b'{"model_id": "flux-dev", "inputs": {"prompt": "'
        for _ in range(10):
            yield b"y" * 500
        yield b'"}}'

    streamed = httpx.post(url, content=chunks(), headers=headers, trust_env=False)
    assert (streamed.status_code, streamed.json()) == (413, expected)
    fine = httpx.post(url, json={"model_id": "flux-dev"}, headers=headers, trust_env=False)
    assert fine.status_code == 200


def test_batch_on_the_deployment_queue_route_creates_runs_then_500(
    sandbox: Sandbox, sandbox_http: httpx.Client
) -> None:
    body = {"deployment_id": SDXL, "batch_input_params": {"seed": [1, 2]}}
    answer = sandbox_http.post(DEPLOYMENT_QUEUE, json=body)
    assert (answer.status_code, answer.text) == (500, "Internal Server Error")
    listed = sandbox_http.get(f"/deployment/{SDXL}/runs").json()
    assert sorted(row["workflow_inputs"]["seed"] for row in listed["data"]) == [1, 2]
    assert len({row["batch_id"] for row in listed["data"]}) == 1
