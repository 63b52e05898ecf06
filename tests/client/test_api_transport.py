"""What goes on the wire besides the body: headers, the key only to the API, odd answers."""

from __future__ import annotations

import httpx
import pytest

from composer import __version__
from composer.client import errors
from composer.client.api import ApiClient
from composer.client.retry import RetryPolicy
from tests.client.helpers import MODEL_BODY, WebhookSink, run


def test_headers_and_the_key_only_to_the_api() -> None:
    """A server that answers 200 with nothing: composer says it is not a ComfyDeploy API."""
    with WebhookSink() as server:
        server.start()
        base_url = server.url + "/api"

        async def main() -> None:
            async with ApiClient(base_url, "secret-key", target="odd", trust_env=False) as api:
                with pytest.raises(errors.BadAnswerError, match="a base URL ending in /api"):
                    await api.get_run("3f2b6a9e-1c4d-4e8f-9a0b-1c2d3e4f5a6b")
                with pytest.raises(errors.BadAnswerError, match="an empty answer"):
                    await api.submit({**MODEL_BODY, "inputs": {"prompt": "é"}})
                content, _ = await api.fetch(server.url + "/files/a.png")
                assert content == b""
                assert "secret-key" not in repr(api)

        run(main())
    (get, post, download) = server.requests
    assert get[0] == "GET" and get[1].startswith("/api/run/")
    for _, _, headers in (get, post):
        assert headers["authorization"] == "Bearer secret-key"
        assert headers["user-agent"] == f"composer/{__version__}"
        assert headers["accept"] == "application/json"
    assert post[2]["content-type"] == "application/json"
    assert server.payloads[1] == {**MODEL_BODY, "inputs": {"prompt": "é"}}  # exactly the body
    assert download[1] == "/files/a.png" and "authorization" not in download[2]


def test_429_is_retried_after_the_servers_delay_then_reported() -> None:
    """The sandbox has no rate limit (nor has the API's code): a mock transport plays one."""
    answers = [
        httpx.Response(429, headers={"Retry-After": "0"}, json={"detail": "slow down"}),
        httpx.Response(429, headers={"Retry-After": "0"}, json={"detail": "slow down"}),
        httpx.Response(200, json=[{"id": "flux-dev", "name": "FLUX.1 [dev]"}]),
        *[httpx.Response(429, headers={"Retry-After": "7"}, json={"detail": "slow down"})] * 3,
    ]
    waits: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        return answers.pop(0)

    async def main() -> None:
        retry = RetryPolicy(attempts=3, retry_after_cap=0.01)
        async with ApiClient(
            "http://api.test/api", "k", transport=httpx.MockTransport(handler), retry=retry,
            on_retry=lambda n, wait, why: waits.append(wait),
        ) as api:  # fmt: skip
            assert [m.id for m in await api.models()] == ["flux-dev"]
            with pytest.raises(errors.RateLimitedError) as caught:
                await api.models()
            assert caught.value.retry_after == 7 and "try again in 7 s" in str(caught.value)
            assert api.requests_sent == 6

    run(main())
    assert waits == [0, 0, 0.01, 0.01]  # Retry-After honoured, capped by the policy
