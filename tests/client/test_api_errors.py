"""Every error class, produced by the real sandbox (or a closed port) over loopback."""

from __future__ import annotations

import uuid

import pytest

from composer.client import errors
from composer.client.api import ApiClient, Timeouts
from composer.client.retry import RetryPolicy
from composer.servers.sandbox import Sandbox
from tests.client.helpers import DEPLOYMENT_BODY, MODEL_BODY, api_for, run
from tests.conftest import free_port


def test_a_wrong_key_is_unauthorized_with_what_to_do(sandbox: Sandbox) -> None:
    async def main() -> None:
        async with ApiClient(
            sandbox.base_url, "wrong-key", target="sandbox", trust_env=False
        ) as api:
            with pytest.raises(errors.UnauthorizedError) as caught:
                await api.submit(MODEL_BODY)
            assert caught.value.status_code == 401
            assert (
                str(caught.value)
                == "Invalid or expired token (401): check your API key for sandbox"
            )
            assert api.requests_sent == 1
        async with ApiClient(sandbox.base_url, None, trust_env=False) as keyless:
            with pytest.raises(errors.UnauthorizedError, match="Invalid or missing token"):
                await keyless.get_run(str(uuid.uuid4()))
            # the catalogue is public, as on the real service
            assert await keyless.models()

    run(main())


def test_unknown_runs_and_deployments_are_not_found(sandbox: Sandbox) -> None:
    async def main() -> None:
        async with api_for(sandbox) as api:
            with pytest.raises(errors.NotFoundError) as caught:
                await api.get_run(str(uuid.uuid4()))
            assert caught.value.detail == "Run not found" and "Run not found (404)" in str(
                caught.value
            )
            with pytest.raises(errors.NotFoundError, match="Deployment not found"):
                await api.submit({**DEPLOYMENT_BODY, "deployment_id": str(uuid.uuid4())})

    run(main())


def test_422_errors_point_at_the_fields_of_the_body(sandbox: Sandbox) -> None:
    async def main() -> None:
        async with api_for(sandbox) as api:
            with pytest.raises(errors.ValidationFailedError) as caught:
                await api.submit({**DEPLOYMENT_BODY, "deployment_id": "not-a-uuid"})
            assert ("deployment_id",) in [e.loc for e in caught.value.errors]
            with pytest.raises(errors.ValidationFailedError) as caught:
                await api.submit({**MODEL_BODY, "batch_input_params": {"seed": 4}})
            assert [e.loc for e in caught.value.errors] == [("batch_input_params", "seed")]
            with pytest.raises(errors.ValidationFailedError) as caught:
                await api.submit({"model_id": "flux-dev", "inputs": {"seed": {"nested": 1}}})
            assert [e.loc for e in caught.value.errors] == [("inputs", "seed")]
            assert caught.value.status_code == 422 and "inputs.seed" in str(caught.value)
            with pytest.raises(errors.ValidationFailedError):
                await api.get_run("not-a-uuid")

    run(main())


def test_400_carries_the_servers_detail(sandbox: Sandbox) -> None:
    async def main() -> None:
        async with api_for(sandbox) as api:
            body = {**MODEL_BODY, "execution_mode": "sync_first_result", "batch_number": 2}
            with pytest.raises(errors.BadRequestError) as caught:
                await api.submit(body)
            assert caught.value.status_code == 400
            assert "Batch number is not supported for sync_first_result" in str(caught.value)

    run(main())


def test_500_on_a_failed_cancel(sandbox: Sandbox) -> None:
    async def main() -> None:
        async with api_for(sandbox) as api:
            with pytest.raises(errors.ServerError) as caught:
                await api.cancel("not-a-uuid")
            assert caught.value.status_code == 500
            assert "Error cancel function" in str(caught.value)
            assert api.requests_sent == 1  # a POST is never retried

    run(main())


def test_batch_to_the_deployment_queue_route_is_a_500(sandbox: Sandbox) -> None:
    """The contract's trap (the route creates the runs, then fails); composer never goes there,
    but a server 500 reads as a ServerError that says to try later."""

    async def main() -> None:
        async with api_for(sandbox) as api:
            body = {**DEPLOYMENT_BODY, "batch_number": 2}
            response = await api.http.post(
                api.base_url + "/run/deployment/queue",
                json=body,
                headers={"Authorization": f"Bearer {sandbox.token}"},
            )
            assert response.status_code == 500
            assert (await api.submit(body)).endpoint.path == "/run"  # composer's choice

    run(main())


def test_an_unreachable_host_says_so_quickly() -> None:
    async def main() -> None:
        url = f"http://127.0.0.1:{free_port()}/api"
        retry = RetryPolicy(attempts=2, initial=0.001)
        async with ApiClient(url, "k", target="nowhere", retry=retry, trust_env=False) as api:
            with pytest.raises(errors.UnreachableError) as caught:
                await api.submit(MODEL_BODY)
            assert str(caught.value).startswith("Cannot reach nowhere")
            assert "check the address" in str(caught.value)
            with pytest.raises(errors.UnreachableError):
                await api.get_run(str(uuid.uuid4()))
            assert api.requests_sent == 3  # one POST, a GET and its one retry

    run(main())


def test_timeouts_on_reads_and_posts(sandbox: Sandbox) -> None:
    sandbox.faults.latency = 0.5
    timeouts = Timeouts(connect=2, read=0.1)
    retry = RetryPolicy(attempts=2, initial=0.001)

    async def main() -> None:
        async with api_for(sandbox, timeouts=timeouts, retry=retry) as api:
            with pytest.raises(errors.ApiTimeoutError) as read:
                await api.get_run(str(uuid.uuid4()))
            assert "did not answer" in str(read.value) and api.requests_sent == 2
            with pytest.raises(errors.OutcomeUnknownError) as post:
                await api.submit(MODEL_BODY)
            assert "the run may exist" in str(post.value)
            assert api.requests_sent == 3

    run(main())


def test_a_model_the_catalogue_does_not_know(sandbox: Sandbox) -> None:
    async def main() -> None:
        async with api_for(sandbox) as api:
            with pytest.raises(errors.NotFoundError, match="Model not found"):
                await api.submit({"model_id": "<id>"})

    run(main())
