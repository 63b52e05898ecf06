"""The sender side of the webhook lab benchmark, run as its own process:
``python -m tests.perf.webhook_burst URL DELIVERIES SENDERS`` prints one JSON line with the
burst's duration and each request's latency. :func:`body` is shared with the benchmark, which
compares what arrived with what was sent.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

import httpx

RUNS = 40  # the deliveries are spread over this many run ids


def body(index: int, deliveries: int) -> bytes:
    """Delivery ``index`` of a burst: a ComfyDeploy progress event, unique by its ``n``."""
    return json.dumps(
        {
            "event_type": "run.updated",
            "status": "running",
            "live_status": f"Executing node {index}",
            "progress": index / deliveries,
            "run_id": f"00000000-0000-4000-8000-{index % RUNS:012d}",
            "outputs": [],
            "n": index,
        }
    ).encode()


async def burst(url: str, deliveries: int, senders: int) -> dict[str, object]:
    """Send every delivery from ``senders`` concurrent connections."""
    pending = list(range(deliveries))[::-1]
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=senders)
    async with httpx.AsyncClient(trust_env=False, limits=limits, timeout=30) as client:

        async def sender() -> None:
            while pending:
                index = pending.pop()
                started = time.perf_counter()
                answer = await client.post(
                    url,
                    content=body(index, deliveries),
                    headers={"Content-Type": "application/json"},
                )
                latencies.append(time.perf_counter() - started)
                assert answer.status_code == 200, answer.status_code

        started = time.perf_counter()
        await asyncio.gather(*(sender() for _ in range(senders)))
        return {"seconds": time.perf_counter() - started, "latencies": latencies}


if __name__ == "__main__":
    target, count, parallel = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    print(json.dumps(asyncio.run(burst(target, count, parallel))))
