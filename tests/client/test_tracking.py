"""Following runs against the sandbox: faults, cancel, webhooks out of order, many runs."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import uuid
from collections import defaultdict
from typing import Any

import httpx
import pytest

from composer.client import errors
from composer.client.api import ApiClient
from composer.client.group import TrackerGroup
from composer.client.results import BatchQueued, RunQueued
from composer.client.stream import RunStream
from composer.client.tracker import RunTracker
from composer.core.runs import RunState, UpdateSource, is_terminal, status_rank
from composer.servers.sandbox import Sandbox
from tests.client.helpers import (
    FAST,
    FAST_RETRY,
    MODEL_BODY,
    WebhookSink,
    api_for,
    run,
)


async def queued_run(api: ApiClient, body: dict[str, Any] = MODEL_BODY) -> str:
    result = await api.submit(body)
    assert isinstance(result, RunQueued)
    return result.run_id


def test_reads_are_retried_through_5xx_answers(sandbox: Sandbox) -> None:
    """502/503 on reads are retried until an answer; 500 is not (it is the server's bug)."""
    retried: list[str] = []

    async def main() -> None:
        async with api_for(sandbox, on_retry=lambda n, wait, why: retried.append(why)) as api:
            run_id = await queued_run(api)
            sandbox.faults.error_rate = 0.4
            answered = 0
            failures: list[errors.ServerError] = []
            for _ in range(30):
                try:
                    await api.get_run(run_id)
                    answered += 1
                except errors.ServerError as exc:
                    failures.append(exc)
            assert answered + len(failures) == 30 and answered > 0
            assert {exc.status_code for exc in failures} <= {500}  # 502 and 503 never surface
            assert retried and set(retried) <= {"HTTP 502", "HTTP 503"}
            assert api.requests_sent > 31

    run(main())


def test_posts_are_never_retried_on_5xx(sandbox: Sandbox) -> None:
    sandbox.faults.error_rate = 1.0

    async def main() -> None:
        async with api_for(sandbox) as api:
            for _ in range(5):
                with pytest.raises(errors.ServerError):
                    await api.submit(MODEL_BODY)
            assert api.requests_sent == 5
        assert sandbox.runs() == []

    run(main())


def test_dropped_connections_on_reads_are_retried(sandbox: Sandbox) -> None:
    async def main() -> None:
        async with api_for(sandbox) as api:
            run_id = await queued_run(api)
            sandbox.faults.drop_rate = 0.4
            for _ in range(20):
                update = await api.get_run(run_id)
                assert update.run_id == run_id
            assert api.requests_sent > 21

    run(main())


def test_a_dropped_post_says_the_run_may_exist(sandbox: Sandbox) -> None:
    sandbox.faults.drop_rate = 1.0

    async def main() -> None:
        async with api_for(sandbox) as api:
            with pytest.raises(errors.OutcomeUnknownError, match="the run may exist"):
                await api.submit(MODEL_BODY)
            assert api.requests_sent == 1
        # and indeed it does: the server created it before the connection dropped
        assert len(sandbox.runs()) == 1

    run(main())


def test_tracking_survives_faults_to_the_end(sandbox: Sandbox) -> None:
    async def main() -> None:
        async with api_for(sandbox) as api:
            run_ids = [await queued_run(api) for _ in range(5)]
            sandbox.faults.drop_rate = 0.2
            sandbox.faults.error_rate = 0.1
            async with TrackerGroup(api, schedule=FAST) as group:
                for run_id in run_ids:
                    group.track(run_id)
                states = await group.wait()
            assert len(states) == 5  # one state per tracked run
            for state in states.values():
                assert state.succeeded or state.error  # a 500 may have been seen
                assert not state.lost

    run(main())


def test_cancel_reports_the_answer_and_the_run_ends_cancelled(sandbox: Sandbox) -> None:
    sandbox.config.speed = 5  # slow enough to cancel while it runs

    async def main() -> None:
        async with api_for(sandbox) as api:
            run_id = await queued_run(api)
            async with RunTracker(api, run_id, schedule=FAST) as tracker:
                async for state in tracker.updates():
                    if state.status in ("queued", "started", "running"):
                        break
                result = await tracker.cancel()
                assert result.ok and result.message == "Function cancelled"
                final = await tracker.wait()
            assert final.status == "cancelled"
            # a cancel of an ended run, or of a run that does not exist, is the API's 500
            with pytest.raises(errors.ServerError, match="Error cancel function"):
                await api.cancel(str(uuid.uuid4()))

    run(main())


def test_webhooks_out_of_order_and_duplicated_never_move_a_run_back(sandbox: Sandbox) -> None:
    sandbox.faults.webhook_reorder = True
    sandbox.faults.webhook_duplicate_rate = 0.5
    history: dict[str, list[RunState]] = defaultdict(list)

    async def main() -> None:
        async with api_for(sandbox) as api:
            # Polling is slowed right down so the webhooks carry the news.
            slow = FAST.__class__(initial=5, factor=1, maximum=5)
            async with TrackerGroup(api, schedule=slow) as group:
                loop = asyncio.get_running_loop()
                sink = WebhookSink(
                    lambda payload: loop.call_soon_threadsafe(group.feed_webhook, payload)
                )
                with sink:
                    url = sink.start()
                    group.add_listener(lambda state: history[state.run_id].append(state))
                    body = {**MODEL_BODY, "webhook": url, "webhook_intermediate_status": True}
                    run_ids = [await queued_run(api, body) for _ in range(4)]
                    for run_id in run_ids:
                        group.track(run_id)
                    await asyncio.to_thread(sandbox.wait_all)
                    await asyncio.to_thread(sandbox.wait_webhooks_idle)
                    states = await group.wait()
                assert len(sink.payloads) > 4 * 5  # progress events, duplicates
            for run_id, state in states.items():
                assert state.succeeded
                assert state.source is UpdateSource.WEBHOOK or state.source is UpdateSource.POLL
                ranks = [status_rank(s.status) or 0 for s in history[run_id]]
                assert ranks == sorted(ranks), "a status moved back"
                progresses = [s.progress for s in history[run_id] if s.progress is not None]
                assert progresses == sorted(progresses), "progress moved back"
                terminal_seen = [s for s in history[run_id] if is_terminal(s.status)]
                assert all(s.status == "success" for s in terminal_seen)
                # each distinct state is reported once: duplicates were dropped
                keys = [dataclasses.replace(s, updates=0) for s in history[run_id]]
                assert all(a != b for a, b in itertools.pairwise(keys))

    run(main(), timeout=60)


def test_a_model_batch_is_discovered_through_webhooks(sandbox: Sandbox) -> None:
    params = {"prompt": ["a fox", "an owl", "a carp"], "seed": [1, 2]}

    async def main() -> None:
        async with api_for(sandbox) as api, TrackerGroup(api, schedule=FAST) as group:
            loop = asyncio.get_running_loop()
            with WebhookSink(lambda p: loop.call_soon_threadsafe(group.feed_webhook, p)) as sink:
                url = sink.start()
                body = {**MODEL_BODY, "webhook": url, "batch_input_params": params}
                batch = await api.submit(body)
                assert isinstance(batch, BatchQueued) and batch.deployment_id is None
                group.track_batch(batch)
                states = await group.wait()
            assert group.batches[batch.batch_id].complete
            assert len(states) == 6 and all(s.succeeded for s in states.values())
            for state in states.values():
                assert state.batch_index is not None
                assert state.inputs == batch.runs[state.batch_index]

    run(main())


def test_batch_discovery_gives_up_after_its_timeout(sandbox: Sandbox) -> None:
    """A model batch without a webhook cannot be resolved; the group says so instead of hanging."""

    async def main() -> None:
        async with api_for(sandbox) as api:
            batch = await api.submit({**MODEL_BODY, "batch_number": 2})
            assert isinstance(batch, BatchQueued)
            schedule = FAST.__class__(initial=0.01, maximum=0.05, discovery_timeout=0.2)
            async with TrackerGroup(api, schedule=schedule) as group:
                group.track_batch(batch)
                assert await group.wait() == {}
            progress = group.batches[batch.batch_id]
            assert progress.found == 0 and progress.error is not None
            assert "2 of 2 runs" in progress.error and "webhook" in progress.error

    run(main())


def test_a_lost_run_stops_being_polled(sandbox: Sandbox) -> None:
    async def main() -> None:
        async with api_for(sandbox) as api:
            schedule = FAST.__class__(initial=0.01, maximum=0.02, max_errors=3)
            async with TrackerGroup(api, schedule=schedule) as group:
                group.track(str(uuid.uuid4()))
                (state,) = (await group.wait()).values()
            assert state.lost and state.error is not None and "Run not found" in state.error
            assert group.polls == 3

    run(main())


def test_an_unauthorized_poll_gives_up_at_once(sandbox: Sandbox) -> None:
    async def main() -> None:
        async with api_for(sandbox) as api:
            run_id = await queued_run(api)
        async with ApiClient(sandbox.base_url, "bad", trust_env=False, retry=FAST_RETRY) as bad:
            async with TrackerGroup(bad, schedule=FAST) as group:
                group.track(run_id)
                (state,) = (await group.wait()).values()
            assert state.lost and "check your API key" in (state.error or "")
            assert group.polls == 1

    run(main())


def test_two_hundred_runs_at_once_with_bounded_requests(sandbox: Sandbox) -> None:
    sandbox.config.concurrency = 100
    in_flight = 0
    most = 0

    async def main() -> None:
        nonlocal in_flight, most
        async with api_for(sandbox, max_connections=8) as api:

            async def started(request: httpx.Request) -> None:
                nonlocal in_flight, most
                in_flight += 1
                most = max(most, in_flight)

            async def ended(response: httpx.Response) -> None:
                nonlocal in_flight
                in_flight -= 1

            api.http.event_hooks["request"].append(started)
            api.http.event_hooks["response"].append(ended)
            semaphore = asyncio.Semaphore(8)

            async def submit() -> str:
                async with semaphore:
                    return await queued_run(api)

            run_ids = await asyncio.gather(*(submit() for _ in range(200)))
            most = 0
            async with TrackerGroup(api, schedule=FAST, concurrency=8) as group:
                for run_id in run_ids:
                    group.track(run_id)
                tasks_during = len(asyncio.all_tasks())
                states = await group.wait()
            assert len(states) == 200 and all(s.succeeded for s in states.values())
            assert most <= 8
            assert tasks_during <= 8 + 2  # the workers and this test: no task per run or tick
            assert group.polls / 200 < 15

    run(main(), timeout=60)


class CutStreamTransport(httpx.AsyncBaseTransport):
    """The sandbox for every request, except a stream POST, answered with a stream that stops
    before the run ends: a fault the sandbox cannot produce (its streams run to the end)."""

    def __init__(self, run_id: str) -> None:
        self.real = httpx.AsyncHTTPTransport()
        self.run_id = run_id

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.headers.get("accept") == "text/event-stream":
            frames = (
                'event: event_update\ndata: {"event": "queuing"}\n\n'
                f'event: event_update\ndata: {{"event": "executing", "data": {{"node": "3", '
                f'"prompt_id": "{self.run_id}"}}}}\n\n'
                'event: event_update\ndata: {"event": "live_status", "data": '
                '{"live_status": "Executing KSampler", "progress": 0.5}}\n\n'
            )
            return httpx.Response(
                200, headers={"content-type": "text/event-stream"}, content=frames.encode()
            )
        return await self.real.handle_async_request(request)

    async def aclose(self) -> None:
        await self.real.aclose()


def test_a_stream_that_ends_early_falls_back_to_polling(sandbox: Sandbox) -> None:
    async def main() -> None:
        async with api_for(sandbox) as api:
            run_id = await queued_run(api)
        transport = CutStreamTransport(run_id)
        async with api_for(sandbox, transport=transport) as api:
            opened = await api.submit({**MODEL_BODY, "execution_mode": "stream"})
            stream = getattr(opened, "stream", None)
            assert isinstance(stream, RunStream)
            sources: list[UpdateSource] = []
            async with RunTracker.from_stream(api, stream, schedule=FAST) as tracker:
                tracker.add_listener(lambda s: sources.append(s.source) if s.source else None)
                final = await tracker.wait()
            assert stream.run_id == run_id and stream.terminal_status is None
            assert final.succeeded and final.run_id == run_id
            assert sources[0] is UpdateSource.STREAM and sources[-1] is UpdateSource.POLL

    run(main())
