"""Every execution mode and answer kind against the sandbox over loopback."""

from __future__ import annotations

from typing import Any

from composer.client.group import TrackerGroup
from composer.client.results import (
    BatchQueued,
    FirstResult,
    NativeRun,
    RunQueued,
    StreamOpened,
    SyncOutputs,
)
from composer.client.tracker import RunTracker
from composer.core.request import DeploymentRunRequest
from composer.core.runs import UpdateSource
from composer.servers.sandbox import Sandbox
from tests.client.helpers import (
    DEPLOYMENT_BODY,
    DEPLOYMENT_ID,
    FAST,
    MODEL_BODY,
    api_for,
    run,
)


def test_async_model_run_is_followed_to_success(sandbox: Sandbox) -> None:
    async def main() -> None:
        async with api_for(sandbox) as api:
            result = await api.submit(MODEL_BODY)
            assert isinstance(result, RunQueued)
            assert result.endpoint.path == "/run" and result.body == MODEL_BODY
            seen: list[str] = []
            async with RunTracker(api, result.run_id, schedule=FAST) as tracker:
                async for state in tracker.updates():
                    seen.append(state.status)
            final = tracker.state
            assert final.status == "success" and final.source is UpdateSource.POLL
            assert final.outputs and final.media[0].url.startswith(sandbox.base_url)
            assert final.timings.created_at is not None and final.timings.ended_at is not None
            assert seen[0] == "not-started" and seen[-1] == "success"
            # what the sandbox ran is exactly what was sent
            server_run = sandbox.run(result.run_id)
            assert server_run is not None
            assert server_run["workflow_inputs"] == MODEL_BODY["inputs"]
            content, content_type = await api.fetch(final.media[0].url)
            assert content_type == "image/png" and content.startswith(b"\x89PNG")

    run(main())


def test_deployment_run_uses_the_queue_route(sandbox: Sandbox) -> None:
    async def main() -> None:
        async with api_for(sandbox) as api:
            request = DeploymentRunRequest.model_validate(DEPLOYMENT_BODY)
            result = await api.submit(request)
            assert isinstance(result, RunQueued)
            assert result.endpoint.path == "/run/deployment/queue"
            final = await RunTracker(api, result.run_id, schedule=FAST).wait()
            assert final.succeeded

    run(main())


def test_sync_answers_outputs_of_the_ended_run(sandbox: Sandbox) -> None:
    async def main() -> None:
        async with api_for(sandbox) as api:
            model = await api.submit({**MODEL_BODY, "execution_mode": "sync"})
            assert isinstance(model, SyncOutputs) and model.endpoint.path == "/run"
            assert model.outputs and model.run_id is not None
            server_run = sandbox.run(model.run_id)
            assert server_run is not None and server_run["status"] == "success"
            deployment = await api.submit({**DEPLOYMENT_BODY, "execution_mode": "sync"})
            assert isinstance(deployment, SyncOutputs)
            assert deployment.endpoint.path == "/run/deployment/sync" and deployment.outputs

    run(main())


def test_sync_first_result_answers_the_image_bytes(sandbox: Sandbox) -> None:
    async def main() -> None:
        async with api_for(sandbox) as api:
            result = await api.submit({**MODEL_BODY, "execution_mode": "sync_first_result"})
            assert isinstance(result, FirstResult) and result.endpoint.path == "/run"
            assert result.content_type == "image/png"
            assert result.content.startswith(b"\x89PNG")

    run(main())


def test_stream_mode_is_read_to_its_end(sandbox: Sandbox) -> None:
    async def main() -> None:
        async with api_for(sandbox) as api:
            result = await api.submit({**DEPLOYMENT_BODY, "execution_mode": "stream"})
            assert isinstance(result, StreamOpened)
            assert result.endpoint.path == "/run/deployment/stream"
            sources: set[UpdateSource] = set()
            tracker = RunTracker.from_stream(api, result.stream, schedule=FAST)
            tracker.add_listener(lambda s: sources.add(s.source) if s.source else None)
            async with tracker:
                final = await tracker.wait()
            assert final.succeeded and final.outputs
            assert result.stream.terminal_status == "success" and result.stream.error is None
            assert result.stream.events > 10
            assert sources == {UpdateSource.STREAM}  # never needed a poll
            assert tracker.run_id is not None and sandbox.run(tracker.run_id) is not None
            assert 0.5 < (final.progress or 0) <= 1

    run(main())


def test_batch_grid_runs_are_discovered_and_tied_to_combinations(sandbox: Sandbox) -> None:
    body = {
        **DEPLOYMENT_BODY,
        "batch_input_params": {"seed": [1, 2, 3], "positive_prompt": ["a fox", "an owl"]},
    }

    async def main() -> None:
        async with api_for(sandbox) as api:
            batch = await api.submit(body)
            assert isinstance(batch, BatchQueued) and batch.endpoint.path == "/run"
            assert batch.count == 6 and batch.deployment_id == DEPLOYMENT_ID
            async with TrackerGroup(api, schedule=FAST) as group:
                group.track_batch(batch)
                states = await group.wait()
            progress = group.batches[batch.batch_id]
            assert progress.complete and progress.error is None
            assert len(states) == 6 and all(s.succeeded for s in states.values())
            for state in states.values():
                assert state.batch_id == batch.batch_id and state.batch_index is not None
                expected = batch.runs[state.batch_index]
                assert state.inputs == expected
                server_run = sandbox.run(state.run_id)
                assert server_run is not None and server_run["workflow_inputs"] == expected
            assert sorted(s.batch_index for s in states.values()) == list(range(6))  # type: ignore[type-var]

    run(main())


def test_batch_number_copies_are_all_found(sandbox: Sandbox) -> None:
    async def main() -> None:
        async with api_for(sandbox) as api:
            batch = await api.submit({**DEPLOYMENT_BODY, "batch_number": 3})
            assert isinstance(batch, BatchQueued) and batch.count == 3
            async with TrackerGroup(api, schedule=FAST) as group:
                group.track_batch(batch)
                states = await group.wait()
            assert len(states) == 3 and all(s.succeeded for s in states.values())
            assert group.batches[batch.batch_id].complete

    run(main())


def test_foreign_runs_are_not_taken_for_batch_runs(sandbox: Sandbox) -> None:
    """Someone else's run of the same deployment, created during discovery, is left alone."""

    async def main() -> None:
        async with api_for(sandbox) as api:
            batch = await api.submit({**DEPLOYMENT_BODY, "batch_input_params": {"seed": [1, 2]}})
            assert isinstance(batch, BatchQueued)
            other = await api.submit({**DEPLOYMENT_BODY, "inputs": {"positive_prompt": "other"}})
            assert isinstance(other, RunQueued)
            async with TrackerGroup(api, schedule=FAST) as group:
                group.track_batch(batch)
                states = await group.wait()
            assert other.run_id not in states and len(states) == 2

    run(main())


def test_an_empty_batch_column_starts_nothing(sandbox: Sandbox) -> None:
    async def main() -> None:
        async with api_for(sandbox) as api:
            batch = await api.submit({**DEPLOYMENT_BODY, "batch_input_params": {"seed": []}})
            assert isinstance(batch, BatchQueued) and batch.count == 0
            async with TrackerGroup(api, schedule=FAST) as group:
                group.track_batch(batch)
                assert await group.wait() == {}

    run(main())


def test_native_run_answers_worker_parameters(sandbox: Sandbox) -> None:
    async def main() -> None:
        async with api_for(sandbox) as api:
            result = await api.submit({**MODEL_BODY, "is_native_run": True})
            assert isinstance(result, NativeRun) and result.endpoint.path == "/run"
            assert "workflow_api_raw" in result.params
            assert result.run_id is not None
            server_run = sandbox.run(result.run_id)
            assert server_run is not None and server_run["status"] == "not-started"

    run(main())


def test_catalogue_and_deployment_runs(sandbox: Sandbox) -> None:
    async def main() -> None:
        async with api_for(sandbox) as api:
            models = await api.models()
            assert {"flux-dev", "flux-schnell"} <= {m.id for m in models}
            deployments = await api.deployments()
            assert DEPLOYMENT_ID in {d.id for d in deployments}
            one = await api.deployment(DEPLOYMENT_ID)
            assert one.id == DEPLOYMENT_ID and one.input_types
            queued = await api.submit(DEPLOYMENT_BODY)
            assert isinstance(queued, RunQueued)
            page = await api.deployment_runs(DEPLOYMENT_ID, limit=10)
            assert queued.run_id in {r.run_id for r in page.runs}
            assert page.runs[0].timings is not None and page.runs[0].timings.created_at
            run_object: dict[str, Any] = await api.get_run_object(queued.run_id)
            assert run_object["id"] == queued.run_id

    run(main())
