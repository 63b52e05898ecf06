"""Receiver benchmark (run with ``./dev bench tests/perf/test_receiver_perf.py``).

A burst of 2,000 webhook deliveries from 8 concurrent senders over loopback must all arrive
(count and compare bodies) while a consumer loop on another thread, the stand-in for the UI's
event loop, drains the records and never stalls more than 50 ms (a timer probe measures how late
its ticks fire). Baselines measured in the same run: a bare Starlette app that records nothing,
served the same way (the receiver's own cost), and the probe on an idle consumer loop.
"""

from __future__ import annotations

import asyncio
import gc
import json
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from composer.servers.background import BackgroundServer
from composer.servers.receiver import RecordFeed, WebhookReceiver
from tests.perf.loop_steps import GcPauses

DELIVERIES = 2_000
SENDERS = 8
PROBE_INTERVAL = 0.005  # seconds between probe ticks, like a fast UI timer
DRAIN_INTERVAL = 0.016  # the consumer drains once per frame (~60 Hz), as a QTimer would
MAX_STALL = 0.050


@dataclass
class ConsumerLoop:
    """An asyncio loop on its own thread: drains a feed and measures its own stalls."""

    feed: RecordFeed | None
    stalls: list[float] = field(default_factory=list)
    received: list[bytes] = field(default_factory=list)
    shown: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        assert self._thread is not None
        self._thread.join(10)

    async def _main(self) -> None:
        loop = asyncio.get_running_loop()

        async def probe() -> None:
            while not self._stop.is_set():
                planned = loop.time() + PROBE_INTERVAL
                await asyncio.sleep(PROBE_INTERVAL)
                self.stalls.append(max(0.0, loop.time() - planned))

        async def drain() -> None:
            while not self._stop.is_set():
                await asyncio.sleep(DRAIN_INTERVAL)
                if self.feed is not None:
                    for record in self.feed.drain():
                        # What a list view does with each record: keep it, make its line.
                        self.received.append(record.body)
                        self.shown.append(record.summary())

        await asyncio.gather(probe(), drain())


async def burst(url: str, bodies: list[bytes]) -> list[float]:
    """Send every body from SENDERS concurrent senders; returns each request's latency."""
    pending = list(reversed(bodies))
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=SENDERS)
    async with httpx.AsyncClient(trust_env=False, limits=limits, timeout=30) as client:

        async def sender() -> None:
            while pending:
                body = pending.pop()
                started = time.perf_counter()
                answer = await client.post(
                    url, content=body, headers={"Content-Type": "application/json"}
                )
                latencies.append(time.perf_counter() - started)
                assert answer.status_code == 200

        await asyncio.gather(*(sender() for _ in range(SENDERS)))
    return latencies


def make_bodies() -> list[bytes]:
    return [
        json.dumps(
            {
                "event_type": "run.updated",
                "status": "running",
                "live_status": f"Executing node {index}",
                "progress": index / DELIVERIES,
                "run_id": f"00000000-0000-4000-8000-{index:012d}",
                "outputs": [],
            }
        ).encode()
        for index in range(DELIVERIES)
    ]


def timed_burst(url: str, bodies: list[bytes]) -> tuple[float, list[float]]:
    started = time.perf_counter()
    latencies = asyncio.run(burst(url, bodies))
    return time.perf_counter() - started, latencies


def measure_idle_probe(seconds: float = 0.5) -> float:
    consumer = ConsumerLoop(feed=None)
    consumer.start()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(0.05)
    consumer.stop()
    return max(consumer.stalls)


def wait(condition: Callable[[], bool], timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


@dataclass
class BurstFigures:
    seconds: float
    latencies: list[float]
    stalls: list[float]
    gc_longest: str
    received: list[bytes]
    recorded: list[bytes]
    shown: int

    @property
    def max_stall(self) -> float:
        return max(self.stalls)

    def describe(self, label: str) -> str:
        latency = statistics.quantiles(self.latencies, n=100)
        stall_p99 = statistics.quantiles(self.stalls, n=100)[98]
        return (
            f"\n{label}: {DELIVERIES} deliveries from {SENDERS} senders in {self.seconds:.2f} s "
            f"({DELIVERIES / self.seconds:.0f}/s); latency median "
            f"{statistics.median(self.latencies) * 1000:.1f} ms, p99 {latency[98] * 1000:.1f} ms"
            f"\n  consumer loop: max stall {self.max_stall * 1000:.1f} ms, p99 "
            f"{stall_p99 * 1000:.1f} ms over {len(self.stalls)} probe ticks; longest garbage "
            f"collection pause meanwhile {self.gc_longest}"
        )


def receiver_burst(bodies: list[bytes]) -> BurstFigures:
    with WebhookReceiver() as receiver, GcPauses() as gc_pauses:
        consumer = ConsumerLoop(receiver.feed())
        consumer.start()
        seconds, latencies = timed_burst(receiver.url, bodies)
        assert receiver.wait_for(DELIVERIES, timeout=30)
        assert wait(lambda: len(consumer.received) >= DELIVERIES)
        consumer.stop()
        assert receiver.count == DELIVERIES
        recorded = [record.body for record in receiver.records()]
    return BurstFigures(
        seconds,
        latencies,
        consumer.stalls,
        gc_pauses.longest(),
        consumer.received,
        recorded,
        len(consumer.shown),
    )


def test_burst_of_2000_deliveries_none_lost_and_consumer_never_stalls() -> None:
    bodies = make_bodies()

    # Baseline 1: a bare app that only answers, served the same way.
    async def answer(request: Request) -> Response:
        await request.body()
        return Response(b'{"received":0}', media_type="application/json")

    bare = Starlette(routes=[Route("/", answer, methods=["POST"])])
    with BackgroundServer(bare) as server:
        timed_burst(server.url + "/", bodies[:200])  # warm-up: imports, first connections
        bare_seconds, bare_latencies = timed_burst(server.url + "/", bodies)

    # Baseline 2: the consumer loop's probe with nothing to do.
    idle_stall = measure_idle_probe()

    # As is: a full (generation 2) garbage collection stops every thread of the process, and
    # its length grows with every object the process holds (a test runner, a GUI): that, not
    # the receiver, is what stalls a consumer loop for tens of milliseconds.
    as_is = receiver_burst(bodies)
    # As the app should run: gc.freeze() after start-up moves the start-up objects out of the
    # collector's sight, so collections only walk what was made since.
    gc.collect()
    gc.freeze()
    try:
        frozen = receiver_burst(bodies)
    finally:
        gc.unfreeze()

    print(
        f"\nbaseline bare app: {bare_seconds:.2f} s ({DELIVERIES / bare_seconds:.0f}/s); "
        f"latency median {statistics.median(bare_latencies) * 1000:.1f} ms; idle consumer "
        f"loop max stall {idle_stall * 1000:.1f} ms"
        + as_is.describe("receiver, garbage collector as is")
        + frozen.describe("receiver, start-up objects frozen (gc.freeze)")
        + f"\nreceiver cost vs bare app: {as_is.seconds / bare_seconds:.2f}x (as is), "
        f"{frozen.seconds / bare_seconds:.2f}x (frozen)"
    )
    for figures in (as_is, frozen):
        # None lost: every body arrived exactly once, in the records and through the feed.
        assert sorted(figures.recorded) == sorted(bodies)
        assert sorted(figures.received) == sorted(bodies)
        assert figures.shown == DELIVERIES
    assert frozen.max_stall < MAX_STALL, (
        f"the consumer loop stalled {frozen.max_stall * 1000:.1f} ms"
    )
