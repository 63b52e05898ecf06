"""The sandbox's HTTP API: FastAPI routes with the real service's paths, bodies and errors.

Request bodies are parsed by FastAPI into the mirrored request models (:mod:`schemas`), so every
422 is FastAPI's own, as on the real service. What each route answers for each execution mode,
batch and native run follows API-CONTRACT section 3, including its odd corners (a batch sent to
``/run/deployment/queue`` creates the runs and then answers 500).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, FastAPI, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response

from composer.servers.sandbox import catalogue
from composer.servers.sandbox.creation import RouteKind, create_runs
from composer.servers.sandbox.engine import Engine
from composer.servers.sandbox.files import FileStore
from composer.servers.sandbox.images import render_preview
from composer.servers.sandbox.schemas import (
    CreateRunRequest,
    DeploymentRunRequest,
    WorkflowRunRequest,
)


def files_url(request: Request) -> str:
    """The base URL of ``/api/files`` as this client reached the sandbox."""
    return str(request.base_url).rstrip("/") + "/api/files"


def create_app(engine: Engine) -> FastAPI:
    """The FastAPI app of one sandbox (wrap it with :func:`middleware.wrap` to serve it)."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await engine.webhooks.start()
        try:
            yield
        finally:
            await engine.stop_all()
            await engine.webhooks.close()

    app = FastAPI(
        title="composer sandbox",
        summary="A local stand-in for the ComfyDeploy API",
        docs_url="/api/docs",
        openapi_url="/api/openapi.json",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.engine = engine
    _register_previews(engine.files)
    router = APIRouter(prefix="/api")
    _run_routes(router, engine)
    _catalogue_routes(router, engine)
    app.include_router(router)
    return app


def _register_previews(files: FileStore) -> None:
    for target in catalogue.ALL_TARGETS.values():
        # Drawn when first fetched: a few pictures nobody may ask for stay out of start-up.
        def draw(name: str = target.name, text: str = target.description) -> bytes:
            return render_preview(name, text)

        files.put_lazy(f"previews/{target.id}.png", "image/png", draw)


def _run_routes(router: APIRouter, engine: Engine) -> None:
    async def create(request: Request, data: Any, route: RouteKind) -> Response:
        return await create_runs(engine, request, data, route, files_url(request))

    @router.post("/run", summary="Run (any request kind)")
    async def run_any(request: Request, data: CreateRunRequest) -> Response:
        return await create(request, data, "generic")

    @router.post("/run/queue", deprecated=True)
    async def run_queue(request: Request, data: CreateRunRequest) -> Response:
        return await create(request, data, "generic")

    @router.post("/run/sync", deprecated=True)
    async def run_sync(request: Request, data: CreateRunRequest) -> Response:
        data.execution_mode = "sync"
        return await create(request, data, "generic")

    @router.post("/run/stream", deprecated=True)
    async def run_stream(request: Request, data: CreateRunRequest) -> Response:
        data.execution_mode = "stream"
        return await create(request, data, "generic")

    @router.post("/run/deployment/queue")
    async def deployment_queue(request: Request, data: DeploymentRunRequest) -> Response:
        return await create(request, data, "queue")

    @router.post("/run/deployment/sync")
    async def deployment_sync(request: Request, data: DeploymentRunRequest) -> Response:
        data.execution_mode = "sync"
        return await create(request, data, "sync")

    @router.post("/run/deployment/stream")
    async def deployment_stream(request: Request, data: DeploymentRunRequest) -> Response:
        data.execution_mode = "stream"
        return await create(request, data, "stream")

    @router.post("/run/workflow/queue")
    async def workflow_queue(request: Request, data: WorkflowRunRequest) -> Response:
        return await create(request, data, "queue")

    @router.post("/run/workflow/sync")
    async def workflow_sync(request: Request, data: WorkflowRunRequest) -> Response:
        data.execution_mode = "sync"
        return await create(request, data, "sync")

    @router.post("/run/workflow/stream")
    async def workflow_stream(request: Request, data: WorkflowRunRequest) -> Response:
        data.execution_mode = "stream"
        return await create(request, data, "stream")

    def run_answer(request: Request, run_id: UUID, queue_position: bool) -> dict[str, Any]:
        run = engine.get(run_id)
        if run is None:
            raise HTTPException(status_code=404, detail="Run not found")
        position = engine.queue_position(run) if queue_position else None
        return run.to_json(files_url(request), position)

    @router.get("/run/{run_id}", summary="Get a run")
    async def get_run(request: Request, run_id: UUID, queue_position: bool = False) -> Any:
        return run_answer(request, run_id, queue_position)

    @router.get("/run", summary="Get a run (query form)", deprecated=True)
    async def get_run_query(request: Request, run_id: UUID, queue_position: bool = False) -> Any:
        return run_answer(request, run_id, queue_position)

    @router.post("/run/{run_id}/cancel", summary="Cancel a run")
    async def cancel_run(run_id: str) -> Any:
        # As on the real service, every failure here is a 500 with the reason in the text.
        try:
            run = engine.get(UUID(run_id))
        except ValueError:
            return _error(500, f"Error cancel function invalid UUID: {run_id!r}")
        if run is None or run.modal_function_call_id is None:
            return _error(
                500, "Error cancel function 404: Run not found or has no modal function call ID"
            )
        engine.cancel(run)
        return {"status": "success", "message": "Function cancelled"}


def _catalogue_routes(router: APIRouter, engine: Engine) -> None:
    @router.get("/models", summary="The model catalogue (no auth)")
    async def list_models(request: Request) -> Any:
        url = files_url(request)
        return [catalogue.model_json(model, url) for model in catalogue.MODELS]

    @router.get("/deployments", summary="The deployments of this account")
    async def list_deployments(request: Request, environment: str | None = None) -> Any:
        url = files_url(request)
        return [
            catalogue.deployment_json(target, url)
            for target in catalogue.DEPLOYMENTS
            if environment is None or target.environment == environment
        ]

    @router.get("/deployment/{deployment_id}", summary="One deployment, with its input types")
    async def get_deployment(request: Request, deployment_id: UUID) -> Any:
        target = catalogue.find_deployment(deployment_id)
        if target is None:
            raise HTTPException(status_code=404, detail="Deployment not found")
        return catalogue.deployment_json(target, files_url(request))

    @router.get("/deployment/{deployment_id}/runs", summary="The runs of a deployment")
    async def deployment_runs(
        deployment_id: UUID,
        limit: Annotated[int, Query(ge=1, le=100)] = 10,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> Any:
        target = catalogue.find_deployment(deployment_id)
        if target is None:
            raise HTTPException(status_code=404, detail="Deployment not found")
        runs = engine.runs_of(target.id)
        page = runs[offset : offset + limit]
        return {
            "data": [run.list_row() for run in page],
            "meta": {"total": len(runs), "limit": limit, "offset": offset},
        }

    @router.get("/files/{path:path}", summary="An output, input or preview file (no auth)")
    async def get_file(path: str) -> Response:
        found = await engine.files.read(path)
        if found is None:
            raise HTTPException(status_code=404, detail="File not found")
        content, media_type = found
        return Response(content, media_type=media_type, headers={"Cache-Control": "no-store"})


def _error(status: int, detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status)
