"""Execution modes, batches, native runs, input images and output pictures."""

from __future__ import annotations

import base64
import io
import itertools
import json
from typing import Any

import httpx
import pytest
from httpx_sse import connect_sse
from PIL import Image

from composer.servers.sandbox import Sandbox
from tests.servers.sandbox.helpers import SDXL

PROMPT = {"prompt": "A koi carp under lily pads", "seed": 5}


def test_sync_answers_the_outputs_of_the_run(sandbox_http: httpx.Client) -> None:
    answer = sandbox_http.post(
        "/run", json={"model_id": "flux-dev", "execution_mode": "sync", "inputs": PROMPT}
    )
    assert answer.status_code == 200
    outputs = answer.json()
    run = sandbox_http.get(f"/run/{outputs[0]['run_id']}").json()
    assert run["status"] == "success"
    assert outputs == run["outputs"]


def test_deployment_sync_lists_outputs_newest_first(sandbox_http: httpx.Client) -> None:
    outputs = sandbox_http.post("/run/deployment/sync", json={"deployment_id": SDXL}).json()
    assert [o["output_id"] for o in outputs] == ["generation_info", "output_image"]
    assert outputs[0]["data"] == {"text": ["SDXL text to image: seed 0; steps: 20; cfg: 7.0"]}
    assert outputs[0]["created_at"] >= outputs[1]["created_at"]


def test_sync_first_result_is_the_png_itself(sandbox: Sandbox, sandbox_http: httpx.Client) -> None:
    body = {"model_id": "flux-schnell", "execution_mode": "sync_first_result", "inputs": PROMPT}
    answer = sandbox_http.post("/run", json=body)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "image/png"
    [run] = sandbox.runs()
    url = run["outputs"][0]["data"]["images"][0]["url"]
    assert answer.content == httpx.get(url, trust_env=False).content


def test_sync_first_result_without_an_image_is_400(sandbox_http: httpx.Client) -> None:
    body = {
        "model_id": "minimax-video-image-to-video",
        "execution_mode": "sync_first_result",
        "inputs": {"input_image": "https://example.com/a.png", "prompt": "waves"},
    }
    answer = sandbox_http.post("/run", json=body)
    assert answer.status_code == 400
    assert answer.json() == {
        "detail": "No output found is matching, please check the workflow or disable "
        "output_first_result"
    }


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/run", {"model_id": "flux-dev", "execution_mode": "stream", "inputs": PROMPT}),
        ("/run/stream", {"model_id": "flux-dev", "inputs": PROMPT}),
        ("/run/deployment/stream", {"deployment_id": SDXL}),
    ],
)
def test_stream_frames(sandbox_http: httpx.Client, path: str, body: dict[str, Any]) -> None:
    with connect_sse(sandbox_http, "POST", path, json=body) as source:
        assert source.response.headers["content-type"].startswith("text/event-stream")
        frames = [(event.event, json.loads(event.data)) for event in source.iter_sse()]
    names = [data.get("event") for kind, data in frames if kind == "event_update"]
    statuses = [data["data"]["status"] for kind, data in frames if data.get("event") == "status"]
    assert frames[0] == ("event_update", {"event": "queuing"})
    assert frames[-1] == ("event_update", {"event": "status", "data": {"status": "success"}})
    assert statuses == ["queued", "started", "running", "success"]
    for name in (
        "function_call_id",
        "gpu_ready",
        "comfyui_ready",
        "execution_start",
        "executing",
        "progress",
        "live_status",
        "executed",
        "output_ready",
    ):
        assert name in names, name
    run_id = next(data["data"] for _, data in frames if data.get("event") == "function_call_id")
    assert run_id.startswith("fc-")
    bare = [data for kind, data in frames if kind == "event_update" and "event" not in data]
    assert [sorted(frame) for frame in bare] == [["node_errors", "number", "prompt_id"]]
    steps = [data["data"] for _, data in frames if data.get("event") == "progress"]
    assert steps[-1]["value"] == steps[-1]["max"] == len(steps)
    fractions = [
        data["data"]["progress"] for _, data in frames if data.get("event") == "live_status"
    ]
    assert fractions == sorted(fractions) and fractions[-1] < 1.0
    logs = [data for kind, data in frames if kind == "log_update"]
    assert logs and all(list(line) == ["logs", "timestamp"] for line in logs)
    assert all(line["timestamp"].endswith("Z") for line in logs)
    executed = next(data["data"] for _, data in frames if data.get("event") == "executed")
    url = executed["output"]["images"][0]["url"]
    assert httpx.get(url, trust_env=False).content.startswith(b"\x89PNG")


def test_stream_of_a_failing_run_ends_with_its_status(
    sandbox: Sandbox, sandbox_http: httpx.Client
) -> None:
    sandbox.config.fail_rate = 1.0
    body = {"model_id": "flux-dev", "execution_mode": "stream", "inputs": PROMPT}
    with connect_sse(sandbox_http, "POST", "/run", json=body) as source:
        frames = [json.loads(event.data) for event in source.iter_sse()]
    assert frames[-1] == {"event": "status", "data": {"status": "failed"}}


def test_native_run_answers_worker_parameters(sandbox: Sandbox, sandbox_http: httpx.Client) -> None:
    body = {
        "model_id": "flux-dev",
        "is_native_run": True,
        "inputs": PROMPT,
        "gpu_event_id": "123e4567-e89b-12d3-a456-426614174000",
    }
    params = sandbox_http.post("/run", json=body).json()
    assert list(params) == [
        "prompt_id",
        "workflow_api_raw",
        "workflow",
        "inputs",
        "status_endpoint",
        "file_upload_endpoint",
        "cd_token",
        "gpu_event_id",
    ]
    assert params["inputs"] == PROMPT
    assert params["status_endpoint"] == f"{sandbox.base_url}/update-run"
    assert params["gpu_event_id"] == "123e4567-e89b-12d3-a456-426614174000"
    assert sandbox.token not in json.dumps(params)  # a worker token, never the user's key
    run = sandbox_http.get(f"/run/{params['prompt_id']}").json()
    assert (run["status"], run["queued_at"] is not None, run["started_at"] is not None) == (
        "not-started",
        True,
        True,
    )
    assert run["gpu_event_id"] == "123e4567-e89b-12d3-a456-426614174000"
    # Nothing runs, so there is nothing to cancel (no function call).
    assert sandbox_http.post(f"/run/{params['prompt_id']}/cancel").status_code == 500
    queue = sandbox_http.post(
        "/run/deployment/queue", json={"deployment_id": SDXL, "is_native_run": True}
    )
    assert (queue.status_code, queue.text) == (500, "Internal Server Error")


def test_batch_runs_the_cartesian_product(sandbox: Sandbox, sandbox_http: httpx.Client) -> None:
    params = {"prompt": ["fox", "owl", "koi"], "seed": [1, 2]}
    body = {
        "deployment_id": SDXL,
        "inputs": {"prompt": "base", "steps": 4},
        "batch_input_params": params,
        "batch_number": 7,
    }  # batch_number is ignored
    answer = sandbox_http.post("/run", json=body)
    assert answer.status_code == 200
    assert list(answer.json()) == ["batch_id"]
    runs = sandbox.wait_all()
    expected = [
        {"prompt": p, "steps": 4, "seed": s} for p, s in itertools.product(*params.values())
    ]
    assert [run["workflow_inputs"] for run in runs] == expected
    listed = sandbox_http.get(f"/deployment/{SDXL}/runs", params={"limit": 4, "offset": 1}).json()
    assert listed["meta"] == {"total": 6, "limit": 4, "offset": 1}
    assert [row["id"] for row in listed["data"]] == [run["id"] for run in runs][::-1][1:5]
    row = listed["data"][0]
    assert row["batch_id"] == answer.json()["batch_id"]
    assert not row["created_at"].endswith("Z")  # naive timestamps in this list, as there
    assert row["created_at"] == runs[4]["created_at"].removesuffix("Z")


@pytest.mark.parametrize(
    ("extra", "count"),
    [
        ({"batch_number": 3}, 3),
        ({"batch_input_params": {"seed": []}}, 0),
        ({"batch_input_params": {}}, 1),
        ({"batch_number": 1}, 1),
    ],
)
def test_batch_counts(
    sandbox: Sandbox, sandbox_http: httpx.Client, extra: dict[str, Any], count: int
) -> None:
    answer = sandbox_http.post("/run", json={"model_id": "flux-schnell", "inputs": PROMPT, **extra})
    assert answer.status_code == 200
    runs = sandbox.wait_all()
    assert len(runs) == count
    assert all(run["workflow_inputs"] == PROMPT for run in runs)
    assert list(answer.json()) == (["run_id"] if extra == {"batch_number": 1} else ["batch_id"])


def test_oversized_batch_is_refused(sandbox: Sandbox, sandbox_http: httpx.Client) -> None:
    body = {
        "model_id": "flux-schnell",
        "batch_input_params": {"a": list(range(100)), "b": list(range(11))},
    }
    answer = sandbox_http.post("/run", json=body)
    assert answer.status_code == 400
    assert answer.json() == {
        "detail": "The sandbox runs at most 1000 runs per batch; this batch asks for 1100"
    }
    assert sandbox.runs() == []


def test_data_url_inputs_are_stored_and_served(
    sandbox: Sandbox, sandbox_http: httpx.Client
) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buffer, format="PNG")
    data_url = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
    body = {
        "model_id": "flux-dev-image-to-image",
        "inputs": {"input_image": data_url, "prompt": "x"},
    }
    run_id = sandbox_http.post("/run", json=body).json()["run_id"]
    stored = sandbox.wait_for(run_id)["workflow_inputs"]["input_image"]
    assert stored.startswith(f"{sandbox.base_url}/files/inputs/img_") and stored.endswith(".png")
    assert httpx.get(stored, trust_env=False).content == buffer.getvalue()


def test_outputs_show_each_runs_inputs(sandbox: Sandbox, sandbox_http: httpx.Client) -> None:
    body = {
        "model_id": "flux-schnell",
        "inputs": {"prompt": "A lighthouse"},
        "batch_input_params": {"seed": [1, 2]},
    }
    sandbox_http.post("/run", json=body)
    runs = sandbox.wait_all()
    pictures = []
    for run in runs:
        url = run["outputs"][0]["data"]["images"][0]["url"]
        pictures.append(Image.open(io.BytesIO(httpx.get(url, trust_env=False).content)))
    assert all(p.size == (512, 512) and p.format == "PNG" for p in pictures)
    assert pictures[0].tobytes() != pictures[1].tobytes()  # different seeds, different pictures
    # The same inputs draw the same picture again.
    again = sandbox_http.post(
        "/run",
        json={
            "model_id": "flux-schnell",
            "execution_mode": "sync_first_result",
            "inputs": {"prompt": "A lighthouse", "seed": 1},
        },
    )
    assert Image.open(io.BytesIO(again.content)).tobytes() == pictures[0].tobytes()


def test_video_model_outputs_an_animation(sandbox_http: httpx.Client) -> None:
    body = {
        "model_id": "minimax-video-image-to-video",
        "execution_mode": "sync",
        "inputs": {"input_image": "https://example.com/a.png", "prompt": "waves"},
    }
    [output] = sandbox_http.post("/run", json=body).json()
    media = output["data"]["gifs"][0]
    picture = Image.open(io.BytesIO(httpx.get(media["url"], trust_env=False).content))
    assert picture.format == "GIF" and picture.n_frames > 1
