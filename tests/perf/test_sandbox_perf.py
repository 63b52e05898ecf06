"""Sandbox benchmarks (run with ``./dev bench tests/perf/test_sandbox_perf.py``).

Each prints its figures and compares them with a baseline measured in the same run:
1. 1,000 queued runs all reach a terminal status at high speed (baseline: 100 runs, per-run cost).
2. ``GET /run/{id}`` latency with 50 concurrent pollers (baseline: one poller); target < 5 ms.
3. A burst of 500 webhooks leaves the API answering normally (baseline: the same polling, idle).
"""

from __future__ import annotations

import asyncio
import statistics
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from composer.core.wire import TERMINAL_STATUSES
from composer.servers.background import BackgroundServer
from composer.servers.sandbox import Sandbox, SandboxConfig
from composer.servers.sandbox.catalogue import DEPLOYMENTS, MODELS
from tests.perf.cli_sandbox import sandbox_process

TOKEN = "bench"
HEADERS = {"Authorization": f"Bearer {TOKEN}"}
TARGETS = [{"model_id": m.id} for m in MODELS] + [{"deployment_id": d.id} for d in DEPLOYMENTS]
INPUTS = {"prompt": "bench", "input_image": "https://example.com/i.png"}


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(SandboxConfig(token=TOKEN, speed=20_000)) as running:
        yield running


async def _queue(client: httpx.AsyncClient, count: int) -> list[str]:
    gate = asyncio.Semaphore(16)

    async def one(index: int) -> str:
        async with gate:
            body = {**TARGETS[index % len(TARGETS)], "inputs": INPUTS}
            answer = await client.post("/run", json=body)
            answer.raise_for_status()
            return str(answer.json()["run_id"])

    return await asyncio.gather(*(one(i) for i in range(count)))


def _run_batch(sandbox: Sandbox, count: int) -> tuple[float, float]:
    sandbox.reset()

    async def go() -> float:
        async with httpx.AsyncClient(
            base_url=sandbox.base_url, headers=HEADERS, trust_env=False, timeout=30
        ) as client:
            started = time.perf_counter()
            await _queue(client, count)
            return time.perf_counter() - started

    started = time.perf_counter()
    queue_seconds = asyncio.run(go())
    runs = sandbox.wait_all(timeout=300)
    total = time.perf_counter() - started
    assert len(runs) == count
    assert {run["status"] for run in runs} == {"success"}
    return queue_seconds, total


def test_thousand_queued_runs_all_finish(sandbox: Sandbox) -> None:
    base_queue, base_total = _run_batch(sandbox, 100)
    queue, total = _run_batch(sandbox, 1000)
    per_run_base, per_run = base_total / 100 * 1000, total / 1000 * 1000
    print(
        f"\n100 runs: queued in {base_queue:.2f} s, all terminal after {base_total:.2f} s "
        f"({per_run_base:.2f} ms/run)"
        f"\n1,000 runs: queued in {queue:.2f} s, all terminal after {total:.2f} s "
        f"({per_run:.2f} ms/run, {per_run / per_run_base:.2f}x the baseline per run)"
    )
    assert per_run < per_run_base * 3  # no worse than linear growth, with slack


class _Connection:
    """A minimal keep-alive HTTP/1.1 client: the benchmark measures the server, not a client."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def get(self, host: str, path: str) -> tuple[int, bytes]:
        self.writer.write(
            f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {TOKEN}\r\n\r\n".encode()
        )
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n"):
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length":
                length = int(value)
        return status, await self.reader.readexactly(length)


async def _poll(base_url: str, run_ids: list[str], rounds: int, interval: float) -> list[float]:
    """Each run polled by its own poller on its own connection, ``interval`` between polls."""
    url = httpx.URL(base_url)
    host = f"{url.host}:{url.port}"
    latencies: list[float] = []

    async def poller(run_id: str) -> None:
        reader, writer = await asyncio.open_connection(url.host, url.port)
        connection = _Connection(reader, writer)
        path = f"{url.path}/run/{run_id}?queue_position=true"
        try:
            for _ in range(rounds):
                started = time.perf_counter()
                status, _body = await connection.get(host, path)
                latencies.append(time.perf_counter() - started)
                assert status == 200
                await asyncio.sleep(interval)
        finally:
            writer.close()

    await asyncio.gather(*(poller(run_id) for run_id in run_ids))
    return latencies


def _ms(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[int(len(ordered) * 0.95)]
    return f"median {statistics.median(values) * 1000:.2f} ms, p95 {p95 * 1000:.2f} ms"


def _queue_runs(base_url: str, count: int, **fields: object) -> list[str]:
    with httpx.Client(base_url=base_url, headers=HEADERS, trust_env=False) as client:
        return [
            client.post(
                "/run", json={**TARGETS[i % len(TARGETS)], "inputs": INPUTS, **fields}
            ).json()["run_id"]
            for i in range(count)
        ]


def test_polling_latency_with_50_pollers() -> None:
    with sandbox_process("--speed", "5", token=TOKEN) as base_url:
        run_ids = _queue_runs(base_url, 50)  # slow runs: all in progress while polled
        asyncio.run(_poll(base_url, run_ids[:5], 5, 0.0))  # warm up
        baseline = asyncio.run(_poll(base_url, run_ids[:1], 200, 0.005))
        loaded = asyncio.run(_poll(base_url, run_ids, 40, 0.1))
        saturated = asyncio.run(_poll(base_url, run_ids, 10, 0.0))
    print(
        f"\nGET /run/{{id}}, 1 poller: {_ms(baseline)}"
        f"\nGET /run/{{id}}, 50 concurrent pollers, each every 100 ms: {_ms(loaded)}"
        f"\nGET /run/{{id}}, 50 pollers back to back (saturation, for information): "
        f"{_ms(saturated)}"
    )
    assert statistics.median(loaded) < 0.005


class _SlowReceiver:
    def __init__(self) -> None:
        self.count = 0
        self.lock = threading.Lock()

    async def receive(self, request: Request) -> Response:
        await request.body()
        await asyncio.sleep(0.05)  # a receiver that takes its time
        with self.lock:
            self.count += 1
        return Response(status_code=204)


def _wait_terminal(base_url: str, run_ids: list[str]) -> None:
    with httpx.Client(base_url=base_url, headers=HEADERS, trust_env=False) as client:
        for run_id in run_ids:
            while client.get(f"/run/{run_id}").json()["status"] not in TERMINAL_STATUSES:
                time.sleep(0.01)  # a benchmark polling like a client, not a test


def test_webhook_burst_leaves_the_api_answering() -> None:
    receiver = _SlowReceiver()
    app = Starlette(routes=[Route("/hook", receiver.receive, methods=["POST"])])
    with (
        BackgroundServer(app) as hook,
        sandbox_process("--speed", "20000", token=TOKEN) as base_url,
    ):
        polled = _queue_runs(base_url, 10)
        _wait_terminal(base_url, polled)
        baseline = asyncio.run(_poll(base_url, polled, 30, 0.02))
        started = time.perf_counter()
        # 125 fast runs x 4 status changes: a burst of 500 webhook deliveries.
        burst = _queue_runs(base_url, 125, webhook=f"{hook.url}/hook")
        during = asyncio.run(_poll(base_url, polled, 30, 0.02))
        received_while_polling = receiver.count
        _wait_terminal(base_url, burst)
        while receiver.count < 500 and time.perf_counter() - started < 60:
            time.sleep(0.01)
        delivered_in = time.perf_counter() - started
    print(
        f"\nGET /run/{{id}} idle, 10 pollers: {_ms(baseline)}"
        f"\nGET /run/{{id}} during a burst of 500 webhooks: {_ms(during)} "
        f"({received_while_polling} of 500 delivered when polling ended)"
        f"\n500 webhooks delivered to a 50 ms receiver in {delivered_in:.2f} s "
        f"(received {receiver.count})"
    )
    assert receiver.count == 500
    # Answering normally: every poll answered 200 (checked in _poll) and no stall: the median
    # stays within 20 ms (or 5x idle) while 125 runs execute at full speed and 500 webhooks go
    # out from the same process. (The < 5 ms target is the pollers benchmark above.)
    assert statistics.median(during) < max(statistics.median(baseline) * 5, 0.020)
