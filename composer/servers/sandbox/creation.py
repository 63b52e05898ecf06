"""What ``POST /run*`` does with a parsed request: the runs it creates and the answer it gives.

The order of checks and the answer for each route, mode, batch and native run follow the real
service (API-CONTRACT sections 2 and 3). Where the real route's answer does not fit its response
model (a batch on ``/run/deployment/queue``), FastAPI answers a plain 500 after the runs exist;
the sandbox does the same.
"""

from __future__ import annotations

import json
import math
import secrets
from collections.abc import AsyncIterator
from typing import Any, Literal
from uuid import uuid4

from fastapi import HTTPException, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse

from composer.core.batch import iter_combinations
from composer.core.wire import KNOWN_ORIGINS, TERMINAL_STATUSES
from composer.servers.sandbox import catalogue
from composer.servers.sandbox.engine import Engine, InputImageError
from composer.servers.sandbox.runs import Run
from composer.servers.sandbox.schemas import (
    DeploymentRunRequest,
    ModelRunRequest,
    WorkflowRequestShare,
    WorkflowRunRequest,
    WorkflowRunVersionRequest,
)
from composer.servers.sandbox.targets import Target

# Which route family answers: the generic /run (a union of answers) or a typed route whose
# response model allows only one answer (queue: {"run_id"}, sync: outputs, stream: SSE).
RouteKind = Literal["generic", "queue", "sync", "stream"]

NO_FIRST_RESULT = (
    "No output found is matching, please check the workflow or disable output_first_result"
)
_STREAM_HEADERS = {
    "Cache-Control": "no-cache",
    "Connection": "keep-alive",
    "X-Accel-Buffering": "no",
}


async def create_runs(
    engine: Engine, request: Request, data: WorkflowRequestShare, route: RouteKind, files_url: str
) -> Response:
    """Create the run(s) a request asks for and answer as the real route would."""
    copies = data.batch_number if data.batch_number is not None else 1
    if copies > 1 and data.execution_mode == "sync_first_result":
        raise HTTPException(
            400, "Batch number is not supported for sync_first_result execution mode"
        )
    target = _resolve_target(data)
    if data.origin is not None and data.origin not in KNOWN_ORIGINS:
        # The database's origin enum refuses the value when the run is stored: a plain 500.
        return _does_not_fit()
    try:
        inputs = engine.store_input_images(data.inputs)
    except InputImageError as exc:
        raise HTTPException(400, str(exc)) from exc
    if data.batch_input_params is not None:
        _check_batch_size(engine, math.prod(len(v) for v in data.batch_input_params.values()))
        combos = list(iter_combinations(data.batch_input_params))
        return await _batch(engine, data, target, [{**inputs, **c} for c in combos], route)
    if copies > 1:
        _check_batch_size(engine, copies)
        return await _batch(engine, data, target, [dict(inputs)] * copies, route)
    return await _single(engine, request, data, target, inputs, route, files_url)


def _check_batch_size(engine: Engine, count: int) -> None:
    limit = engine.config.max_batch_runs
    if count > limit:
        raise HTTPException(
            400, f"The sandbox runs at most {limit} runs per batch; this batch asks for {count}"
        )


def _resolve_target(data: WorkflowRequestShare) -> Target:
    if isinstance(data, ModelRunRequest):
        model = catalogue.find_model(data.model_id)
        if model is None:
            raise HTTPException(404, "Model not found")
        return model
    if isinstance(data, DeploymentRunRequest):
        deployment = catalogue.find_deployment(data.deployment_id)
        if deployment is None:
            raise HTTPException(404, "Deployment not found")
        return deployment
    if isinstance(data, WorkflowRunVersionRequest):
        raise HTTPException(404, "Workflow version not found for this deployment")
    if isinstance(data, WorkflowRunRequest):
        raise HTTPException(404, "Workflow not found")
    raise HTTPException(404, "Workflow not found")  # pragma: no cover - the union is closed


def _new_run(
    engine: Engine, data: WorkflowRequestShare, target: Target, inputs: dict[str, Any], batch: Any
) -> Run:
    return engine.create_run(
        target,
        inputs,
        origin=data.origin,
        webhook=data.webhook,
        intermediate=data.webhook_intermediate_status,
        gpu=data.gpu.value if data.gpu is not None else None,
        gpu_event_id=data.gpu_event_id,
        batch_id=batch,
        native=bool(data.is_native_run),
    )


async def _batch(
    engine: Engine,
    data: WorkflowRequestShare,
    target: Target,
    inputs_per_run: list[dict[str, Any]],
    route: RouteKind,
) -> Response:
    batch_id = uuid4()
    runs: list[Run] = []
    for inputs in inputs_per_run:
        run = _new_run(engine, data, target, inputs, batch_id)
        if data.execution_mode is None:
            engine.set_status(run, "failed")
            raise HTTPException(400, "Invalid execution_mode")
        engine.start(run)
        runs.append(run)
    if data.execution_mode == "sync":
        for run in runs:
            await run.done.wait()
    if route != "generic":
        return _does_not_fit()
    return JSONResponse({"batch_id": str(batch_id)})


async def _single(
    engine: Engine,
    request: Request,
    data: WorkflowRequestShare,
    target: Target,
    inputs: dict[str, Any],
    route: RouteKind,
    files_url: str,
) -> Response:
    run = _new_run(engine, data, target, inputs, None)
    if data.is_native_run:
        if route != "generic":
            return _does_not_fit()
        return JSONResponse(_worker_params(run, request, data))
    mode = data.execution_mode
    if mode is None:
        engine.set_status(run, "failed")
        raise HTTPException(400, "Invalid execution_mode")
    if mode == "stream":
        queue = engine.subscribe(run)
        engine.start(run)
        return StreamingResponse(
            _stream(engine, run, queue), media_type="text/event-stream", headers=_STREAM_HEADERS
        )
    engine.start(run)
    if mode == "async":
        return JSONResponse({"run_id": str(run.id)})
    await run.done.wait()
    if mode == "sync_first_result":
        return await _first_result(engine, run)
    if route in ("queue", "stream"):
        return _does_not_fit()
    outputs = [output.to_json(files_url) for output in reversed(run.outputs)]
    return JSONResponse(outputs)


async def _first_result(engine: Engine, run: Run) -> Response:
    if run.outputs:
        newest = run.outputs[-1]
        if newest.kind == "images":
            for item in newest.items:
                found = await engine.files.read(item["path"])
                if found is not None:
                    content, media_type = found
                    return Response(content, media_type=media_type)
    raise HTTPException(400, NO_FIRST_RESULT)


async def _stream(engine: Engine, run: Run, queue: Any) -> AsyncIterator[str]:
    try:
        yield _frame("event_update", {"event": "queuing"})
        while True:
            name, data = await queue.get()
            yield _frame(name, data)
            event = data.get("event") if name == "event_update" else None
            if event == "status" and data["data"]["status"] in TERMINAL_STATUSES:
                break
    finally:
        engine.unsubscribe(run, queue)


def _frame(name: str, data: Any) -> str:
    return f"event: {name}\ndata: {json.dumps(data)}\n\n"


def _worker_params(run: Run, request: Request, data: WorkflowRequestShare) -> dict[str, Any]:
    api = str(request.base_url).rstrip("/") + "/api"
    return {
        "prompt_id": str(run.id),
        "workflow_api_raw": _workflow_api(run.target),
        "workflow": {"name": run.target.name},
        "inputs": run.inputs,
        "status_endpoint": f"{api}/update-run",
        "file_upload_endpoint": f"{api}/file-upload",
        "cd_token": f"sandbox-worker-{secrets.token_urlsafe(24)}",
        "gpu_event_id": data.gpu_event_id,
    }


def _workflow_api(target: Target) -> dict[str, Any]:
    """A ComfyUI API-format graph of the target's nodes (what a native worker would execute)."""
    graph: dict[str, Any] = {}
    for spec, node_id in zip(target.inputs, (n.node_id for n in target.nodes), strict=False):
        graph[node_id] = {
            "class_type": spec.class_type,
            "inputs": {"input_id": spec.input_id, "default_value": spec.default},
        }
    for node in target.pipeline:
        graph[node.node_id] = {"class_type": node.class_type, "inputs": {}}
    return graph


def _does_not_fit() -> Response:
    # What FastAPI answers for an unhandled error, or for an answer that does not fit the
    # route's response model (a batch on /run/deployment/queue: the runs exist by then).
    return PlainTextResponse("Internal Server Error", status_code=500)
