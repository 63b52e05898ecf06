"""Injected faults: latency, 5xx answers, dropped connections; settable while running."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
import pytest

from composer.servers.sandbox import Sandbox

BODY = {"model_id": "flux-schnell", "inputs": {"prompt": "A koi"}}
ERRORS = {
    500: ("application/json", '{"detail": "Internal Server Error"}'),
    502: ("text/plain; charset=utf-8", "Bad Gateway"),
    503: ("text/plain; charset=utf-8", "Service Unavailable"),
}


def test_error_rate_answers_5xx_without_creating_runs(
    sandbox: Sandbox, sandbox_http: httpx.Client
) -> None:
    sandbox.faults.error_rate = 1.0
    seen = set()
    for _ in range(30):
        answer = sandbox_http.post("/run", json=BODY)
        assert answer.status_code in ERRORS
        assert (answer.headers["content-type"], answer.text) == ERRORS[answer.status_code]
        seen.add(answer.status_code)
    assert seen == set(ERRORS)
    assert sandbox.runs() == []
    sandbox.faults.error_rate = 0.0  # switched off at runtime: normal service again
    assert sandbox_http.post("/run", json=BODY).status_code == 200


def test_latency_delays_every_answer(sandbox: Sandbox, sandbox_http: httpx.Client) -> None:
    sandbox.faults.latency = 0.2
    started = time.perf_counter()
    assert sandbox_http.get("/deployments").status_code == 200
    assert time.perf_counter() - started >= 0.2


def test_dropped_connection_after_the_run_was_created(
    sandbox: Sandbox, sandbox_http: httpx.Client
) -> None:
    sandbox.faults.drop_rate = 1.0
    with pytest.raises(httpx.RemoteProtocolError):
        sandbox_http.post("/run", json=BODY)
    # The request was handled: a retry after a drop would create a duplicate run.
    assert len(sandbox.runs()) == 1
    sandbox.faults.drop_rate = 0.0
    assert sandbox_http.get("/deployments").status_code == 200


def test_faults_from_the_configuration(make_sandbox: Callable[..., Sandbox]) -> None:
    from composer.servers.sandbox import FaultConfig

    sandbox = make_sandbox(faults=FaultConfig(error_rate=1.0))
    answer = httpx.get(f"{sandbox.base_url}/models", trust_env=False)
    assert answer.status_code in ERRORS
    sandbox.reset()  # reset turns faults off
    assert httpx.get(f"{sandbox.base_url}/models", trust_env=False).status_code == 200
