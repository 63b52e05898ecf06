"""The error tree's messages and the retry policy, without a server (pure functions)."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime

import httpx
import pytest

from composer.client import errors
from composer.client.retry import (
    RetryPolicy,
    is_retryable_exception,
    parse_retry_after,
    send_with_retries,
)


def test_unauthorized_names_the_target_and_the_fix() -> None:
    error = errors.error_for_status(401, "Invalid or missing token", target="staging")
    assert isinstance(error, errors.UnauthorizedError)
    assert str(error) == "Invalid or missing token (401): check your API key for staging"
    forbidden = errors.error_for_status(403, None, url="https://x/api/run")
    assert isinstance(forbidden, errors.UnauthorizedError) and "403" in str(forbidden)


def test_validation_errors_point_into_the_body() -> None:
    detail = [
        {"type": "uuid_parsing", "loc": ["body", "DeploymentRunRequest", "deployment_id"],
         "msg": "Input should be a valid UUID", "input": "nope"},
        {"type": "list_type", "loc": ["body", "batch_input_params", "seed"],
         "msg": "Input should be a valid list", "input": 4},
    ]  # fmt: skip
    error = errors.error_for_status(422, detail)
    assert isinstance(error, errors.ValidationFailedError)
    assert [e.loc for e in error.errors] == [("deployment_id",), ("batch_input_params", "seed")]
    assert str(error) == (
        "The server refused the request (422): deployment_id: Input should be a valid UUID "
        "(and 1 more)"
    )


@pytest.mark.parametrize(
    ("status", "kind", "text"),
    [
        (400, errors.BadRequestError, "Batch number is not supported"),
        (404, errors.NotFoundError, "Run not found (404)"),
        (409, errors.BadRequestError, "(409)"),
        (429, errors.RateLimitedError, "try again in 3 s"),
        (500, errors.ServerError, "failed (500): Error cancel function"),
        (503, errors.ServerError, "(503)"),
    ],
)
def test_each_status_has_its_class(status: int, kind: type[Exception], text: str) -> None:
    detail = {
        400: "Batch number is not supported for sync_first_result execution mode",
        404: "Run not found",
        500: "Error cancel function abc",
    }.get(status)
    error = errors.error_for_status(status, detail, target="sandbox", retry_after=3)
    assert isinstance(error, kind) and isinstance(error, errors.HttpStatusError)
    assert error.status_code == status and text in str(error)


def test_transport_messages_say_what_to_do() -> None:
    assert "check the address" in str(errors.unreachable("t", "http://h/api", "refused"))
    unknown = errors.outcome_unknown("sandbox", "POST", "http://h/api/run", "no answer in time")
    assert isinstance(unknown, errors.TransportError)
    assert "the run may exist" in str(unknown) and "did not send it again" in str(unknown)
    assert "after 5 s" in str(errors.timed_out("t", "GET", "http://h/api/run/x", 5))


def test_details_are_read_and_shortened() -> None:
    assert errors.read_detail(b'{"detail": "Run not found"}', "application/json") == "Run not found"
    assert (
        errors.read_detail(b"<html>Bad gateway</html>", "text/html") == "<html>Bad gateway</html>"
    )
    assert errors.read_detail(b"", "text/plain") is None
    assert errors.read_detail(b"{broken", "application/json") == "{broken"
    long = errors.detail_text("x" * 1000)
    assert len(long) == 300 and long.endswith("…")
    assert errors.detail_text({"a": [1]}) == '{"a": [1]}'


def test_retry_after_forms() -> None:
    now = datetime(2025, 5, 1, 10, 0, 0, tzinfo=UTC)
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("Thu, 01 May 2025 10:00:30 GMT", now) == 30.0
    assert parse_retry_after("Thu, 01 May 2025 09:00:00 GMT", now) == 0.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


def test_backoff_grows_is_capped_and_jittered() -> None:
    policy = RetryPolicy(initial=1.0, factor=2.0, maximum=5.0, rng=random.Random(4))
    for retry, ceiling in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 5.0), (9, 5.0)]:
        waits = {policy.backoff(retry) for _ in range(20)}
        assert all(ceiling / 2 <= wait <= ceiling for wait in waits)
        assert len(waits) > 1  # jittered
    assert policy.delay(1, 120.0) == 60.0  # Retry-After honoured, capped
    assert policy.delay(1, 2.0) == 2.0


def test_which_failures_are_retried() -> None:
    request = httpx.Request("GET", "http://h/api/run/x")
    assert is_retryable_exception(httpx.ConnectError("refused", request=request))
    assert is_retryable_exception(httpx.RemoteProtocolError("dropped", request=request))
    assert is_retryable_exception(httpx.ReadTimeout("slow", request=request))
    assert not is_retryable_exception(httpx.PoolTimeout("busy", request=request))
    assert not is_retryable_exception(ValueError("x"))


def test_send_with_retries_honours_retry_after_and_gives_up() -> None:
    answers = [
        httpx.Response(503, headers={"Retry-After": "1.5"}),
        httpx.Response(429),
        httpx.Response(200, json={"ok": True}),
    ]
    waits: list[float] = []
    retried: list[str] = []

    async def send() -> httpx.Response:
        return answers.pop(0)

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    policy = RetryPolicy(attempts=4, initial=0.1, rng=random.Random(1))
    response = asyncio.run(
        send_with_retries(send, policy, sleep=sleep, on_retry=lambda n, w, why: retried.append(why))
    )
    assert response.status_code == 200
    assert waits[0] == 1.5 and 0.1 <= waits[1] <= 0.2  # second retry: ceiling 0.2
    assert retried == ["HTTP 503", "HTTP 429"]

    async def always_502() -> httpx.Response:
        return httpx.Response(502)

    last = asyncio.run(send_with_retries(always_502, RetryPolicy(attempts=3), sleep=sleep))
    assert last.status_code == 502

    async def refused() -> httpx.Response:
        raise httpx.ConnectError("refused")

    calls_before = len(waits)
    with pytest.raises(httpx.ConnectError):
        asyncio.run(send_with_retries(refused, RetryPolicy(attempts=3), sleep=sleep))
    assert len(waits) - calls_before == 2


def test_500_is_not_retried() -> None:
    calls = 0

    async def send() -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(500)

    response = asyncio.run(send_with_retries(send, RetryPolicy(attempts=5)))
    assert response.status_code == 500 and calls == 1
