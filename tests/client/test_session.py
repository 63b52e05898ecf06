"""The session shared by the window and ``composer submit``: submit, follow, record, re-run,
cancel, webhooks, profiles and keys, against the sandbox over loopback."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from composer.client import errors
from composer.client.access import (
    CheckOutcome,
    KeySource,
    TargetAccess,
    check_connection,
    resolve_access,
)
from composer.client.session import Session, Submission, needs_local_webhook
from composer.core.history import HistoryQuery, HistoryStore
from composer.core.profiles import SANDBOX_API_KEY, ProfileStore
from composer.core.runs import RunState
from composer.core.wire import RequestKind
from composer.servers.sandbox import Sandbox
from tests.client.helpers import (
    DEPLOYMENT_BODY,
    FAST,
    MODEL_BODY,
    WebhookSink,
    api_for,
    run,
)

GRID: dict[str, Any] = {
    "model_id": "flux-schnell",
    "inputs": {"prompt": "A watercolor study", "steps": 4},
    "batch_input_params": {"prompt": ["A fox", "An owl", "A koi"], "seed": [1, 2, 3]},
}


def session_for(sandbox: Sandbox, history: HistoryStore | None = None, **kw: Any) -> Session:
    access = TargetAccess("Test sandbox", sandbox.base_url, sandbox.token)
    kw.setdefault("schedule", FAST)
    return Session(access, history=history, api=api_for(sandbox, target=access.name), **kw)


def test_a_run_is_followed_to_success_and_recorded(sandbox: Sandbox, tmp_path: Path) -> None:
    seen: list[tuple[int, str]] = []
    answered: list[Submission] = []

    async def main() -> Submission:
        with HistoryStore(tmp_path / "h.sqlite3") as history:
            async with session_for(sandbox, history) as session:
                session.on_run(lambda sub, state: seen.append((sub.number, state.status)))
                session.on_submission(lambda sub: answered.append(sub) if sub.accepted else None)
                submission = await session.submit(MODEL_BODY, label="A fox")
                await session.wait()
                assert session.done
            detail = history.get(submission.history_id or 0)
            assert detail.summary.status == "success"
            (record,) = detail.runs
            assert record.run_id == submission.run_ids[0] and record.status == "success"
            assert record.outputs and record.run_duration is not None
            assert {c.source for c in record.status_changes} == {"poll"}
            assert detail.body == MODEL_BODY
            return submission

    submission = run(main())
    state = submission.states()[0]
    assert state is not None and state.succeeded
    assert submission.label == "A fox" and submission.target == "Test sandbox"
    assert seen[-1] == (submission.number, "success")
    assert answered and answered[0] is submission


def test_the_key_never_reaches_the_history(sandbox: Sandbox, tmp_path: Path) -> None:
    body = {**MODEL_BODY, "inputs": {"prompt": f"leaked {sandbox.token}", "seed": 1}}

    async def main() -> None:
        with HistoryStore(tmp_path / "h.sqlite3") as history:
            async with session_for(sandbox, history) as session:
                submission = await session.submit(body)
                await session.wait()
            assert history.reopen(submission.history_id or 0).body["inputs"]["prompt"] == (
                "leaked [redacted]"
            )
        assert str(sandbox.token).encode() not in (tmp_path / "h.sqlite3").read_bytes()

    run(main())


def test_a_deployment_batch_is_discovered_and_each_run_recorded(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    body = {**DEPLOYMENT_BODY, "batch_input_params": {"seed": [1, 2], "steps": [3, 4]}}

    async def main() -> None:
        with HistoryStore(tmp_path / "h.sqlite3") as history:
            async with session_for(sandbox, history) as session:
                submission = await session.submit(body, RequestKind.DEPLOYMENT)
                await session.wait()
            assert submission.batch_id and all(submission.run_ids)
            states = submission.states()
            assert [s.batch_index for s in states if s] == [0, 1, 2, 3]
            assert all(s is not None and s.succeeded for s in states)
            detail = history.get(submission.history_id or 0)
            assert {r.run_id for r in detail.runs} == set(submission.run_ids)
            assert detail.summary.status == "success"

    run(main())


def test_a_local_model_batch_is_followed_through_a_local_webhook(sandbox: Sandbox) -> None:
    """The API names a model batch's runs only in webhook events: the session puts a local
    endpoint in the request (and says so), and feeds what arrives to the tracker."""
    holder: list[Session] = []
    sink = WebhookSink(lambda payload: holder[0].feed_webhook_threadsafe(payload))

    async def local_webhook() -> str:
        return sink.start()

    async def main() -> Submission:
        async with session_for(sandbox, local_webhook=local_webhook) as session:
            holder.append(session)
            submission = await session.submit(GRID)
            await session.wait()
            return submission

    with sink:
        submission = run(main())
    assert "webhook" not in submission.body and submission.sent_body["webhook"].endswith("/hook")
    assert "Added webhook" in submission.notes[0]
    states = [s for s in submission.states() if s is not None]
    assert len(states) == 9 and all(s.succeeded for s in states)
    assert [s.inputs["prompt"] for s in states][:3] == ["A fox", "A fox", "A fox"]


def test_without_a_local_webhook_a_model_batch_says_how_to_follow_it(sandbox: Sandbox) -> None:
    async def main() -> Submission:
        async with session_for(sandbox) as session:
            submission = await session.submit(GRID)
            await session.wait()
            assert session.done
            return submission

    submission = run(main())
    assert submission.accepted and submission.discovery_error
    assert "webhook" in submission.discovery_error


def test_refused_requests_are_recorded_with_their_error(sandbox: Sandbox, tmp_path: Path) -> None:
    async def main() -> Submission:
        with HistoryStore(tmp_path / "h.sqlite3") as history:
            async with session_for(sandbox, history) as session:
                submission = await session.submit({"model_id": "flux-dev", "inputs": {"x": None}})
            page = history.search(HistoryQuery(status="error"))
            assert [item.id for item in page.items] == [submission.history_id]
            return submission

    submission = run(main())
    assert isinstance(submission.error, errors.ValidationFailedError)
    assert submission.error.errors[0].loc[:2] == ("inputs", "x")
    assert not submission.accepted and not submission.sending


def test_cancel_and_rerun(sandbox: Sandbox) -> None:
    sandbox.config.speed = 2  # slow enough to cancel mid-run

    async def main() -> tuple[Submission, Submission, list[Any]]:
        async with session_for(sandbox) as session:
            started = asyncio.Event()
            # The API cannot cancel a run before it is queued: wait for the first news of it.
            session.on_run(lambda _sub, state: started.set() if state.updates else None)
            first = await session.submit(DEPLOYMENT_BODY, RequestKind.DEPLOYMENT)
            await started.wait()
            results = await session.cancel_submission(first)
            await session.wait()
            sandbox.config.speed = 200
            again = await session.rerun(first)
            await session.wait()
            return first, again, results

    first, again, results = run(main())
    assert len(results) == 1 and not isinstance(results[0], errors.ApiError)
    assert first.states()[0] is not None and first.states()[0].status == "cancelled"  # type: ignore[union-attr]
    assert again.body == first.body and again.run_ids[0] != first.run_ids[0]
    assert again.states()[0] is not None and again.states()[0].succeeded  # type: ignore[union-attr]


def test_webhooks_fed_in_merge_into_the_runs(sandbox: Sandbox) -> None:
    updates: list[RunState] = []

    async def main() -> None:
        async with session_for(sandbox) as session:
            sandbox.pause()
            submission = await session.submit(MODEL_BODY)
            run_id = submission.run_ids[0]
            session.on_run(lambda _sub, state: updates.append(state))
            payload = {
                "event_type": "run.updated",
                "status": "running",
                "run_id": run_id,
                "live_status": "Executing KSampler",
                "progress": 0.5,
                "outputs": [],
            }
            state = session.feed_webhook(payload)
            assert state is not None and state.status == "running"
            sandbox.resume()
            await session.wait()

    run(main())
    assert any(s.live_status == "Executing KSampler" and s.source == "webhook" for s in updates)
    assert updates[-1].succeeded


def test_a_history_that_cannot_be_written_is_reported_once(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    problems: list[str] = []

    async def main() -> None:
        history = HistoryStore(tmp_path / "h.sqlite3")
        history.close()  # every write now fails
        async with session_for(sandbox, history) as session:
            session.on_problem(problems.append)
            await session.submit(MODEL_BODY)
            await session.wait()  # also waits for the history writes
            assert session.state(session.submissions[0].run_ids[0] or "") is not None

    run(main())
    assert len(problems) == 1 and problems[0].startswith("The history is not being recorded")


def test_needs_local_webhook_only_for_local_model_batches() -> None:
    local = "http://127.0.0.1:3011/api"
    assert needs_local_webhook(GRID, RequestKind.MODEL, local)
    assert not needs_local_webhook(GRID, RequestKind.MODEL, "https://api.comfydeploy.com/api")
    assert not needs_local_webhook({**GRID, "webhook": "http://x/"}, RequestKind.MODEL, local)
    assert not needs_local_webhook(MODEL_BODY, RequestKind.MODEL, local)
    deployment = {**DEPLOYMENT_BODY, "batch_number": 3}
    assert not needs_local_webhook(deployment, RequestKind.DEPLOYMENT, local)


# --- profiles, keys and the connection check ---


def test_keys_come_from_the_environment_then_the_profile(tmp_path: Path) -> None:
    profiles = ProfileStore(tmp_path / "profiles.json")
    staging = profiles.resolve("staging")
    assert resolve_access(profiles, staging, environ={}).key_source is KeySource.NONE
    profiles.set_api_key(staging, "stored-key")
    stored = resolve_access(profiles, staging, environ={})
    assert (stored.api_key, stored.key_source) == ("stored-key", KeySource.PROFILE)
    env = resolve_access(profiles, staging, environ={"COMFY_DEPLOY_API_KEY": "env-key"})
    assert (env.api_key, env.key_source) == ("env-key", KeySource.ENVIRONMENT)
    assert "env-key" not in repr(env)
    sandbox = resolve_access(
        profiles, profiles.resolve("sandbox"), base_url="http://127.0.0.1:5/api",
        environ={"COMFY_DEPLOY_API_KEY": "env-key"},
    )  # fmt: skip
    assert (sandbox.api_key, sandbox.base_url) == (SANDBOX_API_KEY, "http://127.0.0.1:5/api")


def test_check_connection_reports_ok_bad_key_and_unreachable(
    sandbox: Sandbox, make_sandbox: Any
) -> None:
    async def main() -> list[Any]:
        checks = []
        async with api_for(sandbox) as good:
            checks.append(await check_connection(good))
        async with api_for(sandbox) as bad:
            bad._api_key = "wrong"
            checks.append(await check_connection(bad))
        async with api_for(sandbox) as none:
            none._api_key = None
            checks.append(await check_connection(none))
        gone = make_sandbox()
        url = gone.base_url
        gone.stop()
        async with api_for(gone) as far:
            far.base_url = url
            checks.append(await check_connection(far))
        return checks

    ok, bad, none, far = run(main())
    assert ok.ok and "3 deployments" in ok.message
    assert bad.outcome is CheckOutcome.BAD_KEY and "check your API key for sandbox" in bad.message
    assert none.outcome is CheckOutcome.BAD_KEY and "no API key is set" in none.message
    assert far.outcome is CheckOutcome.UNREACHABLE and "Cannot reach" in far.message


@pytest.mark.parametrize("kind", [RequestKind.MODEL, RequestKind.DEPLOYMENT])
def test_default_labels_name_the_model_or_deployment(sandbox: Sandbox, kind: RequestKind) -> None:
    body = MODEL_BODY if kind is RequestKind.MODEL else DEPLOYMENT_BODY

    async def main() -> Submission:
        async with session_for(sandbox) as session:
            submission = await session.submit(body, kind)
            await session.wait()
            return submission

    assert run(main()).label == str(body[kind.key])


def test_a_local_webhook_that_cannot_start_is_said_and_the_batch_still_sent(
    sandbox: Sandbox,
) -> None:
    async def broken() -> str:
        raise OSError("port in use")

    async def main() -> Submission:
        async with session_for(sandbox, local_webhook=broken) as session:
            return await session.submit(GRID)

    submission = run(main())
    assert submission.accepted and "webhook" not in submission.sent_body
    assert submission.notes[0] == (
        "No local webhook endpoint (port in use): the batch's runs stay unknown"
    )
    assert submission.discovery_error is not None


@pytest.mark.parametrize("mode", ["stream", "sync"])
def test_stream_and_sync_runs_are_named_followed_and_recorded(
    sandbox: Sandbox, tmp_path: Path, mode: str
) -> None:
    body = {**MODEL_BODY, "execution_mode": mode}
    named: list[str | None] = []

    async def main() -> Submission:
        with HistoryStore(tmp_path / "h.sqlite3") as history:
            async with session_for(sandbox, history) as session:
                session.on_run(lambda sub, _state: named.append(sub.run_ids[0]))
                submission = await session.submit(body)
                await session.wait()
            (record,) = history.get(submission.history_id or 0).runs
            assert record.run_id == submission.run_ids[0] and record.status == "success"
            return submission

    submission = run(main())
    state = submission.states()[0]
    assert state is not None and state.succeeded and state.outputs
    assert named and all(run_id == submission.run_ids[0] for run_id in named)
