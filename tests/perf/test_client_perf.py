"""Benchmark: 500 runs followed at once, requests per run, memory, and the cost of one GET.

Run with ``./dev bench tests/perf/test_client_perf.py``; the figures are printed. Baselines are
measured in the same run against the same sandbox: a bare ``httpx.AsyncClient`` loop for the
per-GET overhead, and the second round of tracking for memory (the first warms caches; resident
memory is read from the OS, as tracemalloc would slow the client down several times).

The sandbox runs in its own process (``composer sandbox``): in this process it would share the
GIL with the client, and 500 runs executing at once would starve the client's loop, so the
figures would measure the sandbox rather than the client.
"""

from __future__ import annotations

import asyncio
import gc
import resource
import statistics
import time
from typing import Any

import httpx
import pytest

from composer.client.api import ApiClient
from composer.client.group import PollSchedule, TrackerGroup
from composer.client.results import RunQueued
from tests.perf.cli_sandbox import TOKEN, sandbox_process

RUNS = 500
ROUNDS = 3
GETS = 400
SCHEDULE = PollSchedule()  # the defaults the app and the CLI use
BODY = {"model_id": "flux-schnell", "inputs": {"prompt": "A fox", "steps": 4}}


async def submit_many(api: ApiClient, count: int) -> list[str]:
    gate = asyncio.Semaphore(12)  # + 8 pollers = the pool's 20 connections

    async def one() -> str:
        async with gate:
            result = await api.submit(BODY)
            assert isinstance(result, RunQueued)
            return result.run_id

    return list(await asyncio.gather(*(one() for _ in range(count))))


async def track_round(api: ApiClient) -> dict[str, Any]:
    """Submit 500 runs and follow each from the moment it is queued, all at once."""
    requests_before = api.requests_sent
    started = time.perf_counter()
    cpu_started = time.process_time()
    async with TrackerGroup(api, schedule=SCHEDULE, concurrency=8) as group:
        gate = asyncio.Semaphore(12)  # + 8 pollers = the pool's 20 connections

        async def submit_and_track() -> None:
            async with gate:
                result = await api.submit(BODY)
            assert isinstance(result, RunQueued)
            group.track(result.run_id)

        await asyncio.gather(*(submit_and_track() for _ in range(RUNS)))
        submitted = time.perf_counter() - started
        open_runs = sum(not s.is_terminal for s in group.states.values())
        tasks = len(asyncio.all_tasks())
        states = await group.wait()
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    assert len(states) == RUNS and all(s.is_terminal for s in states.values())
    return {
        "seconds": elapsed,
        "cpu": cpu,
        "submitted": submitted,
        "open": open_runs,
        "requests_per_run": (api.requests_sent - requests_before) / RUNS,
        "polls_per_run": group.polls / RUNS,
        "succeeded": sum(s.succeeded for s in states.values()),
        "tasks": tasks,
    }


@pytest.mark.timeout(600)
def test_five_hundred_runs_at_once() -> None:
    # Runs of about a second, 100 at a time: most wait in the queue, all are followed at once.
    with sandbox_process("--speed", "5", "--concurrency", "100") as base_url:

        async def main() -> list[dict[str, Any]]:
            rounds = []
            async with ApiClient(base_url, TOKEN, trust_env=False) as api:
                for _ in range(ROUNDS):
                    figures = await track_round(api)
                    gc.collect()
                    figures["memory"] = resident_bytes()
                    rounds.append(figures)
            return rounds

        rounds = asyncio.run(main())
    _report(rounds)


def resident_bytes() -> int:
    """This process's resident memory (Linux /proc; elsewhere the peak from getrusage)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * resource.getpagesize()
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _report(rounds: list[dict[str, Any]]) -> None:
    print()
    for number, figures in enumerate(rounds, start=1):
        print(
            f"round {number}: {RUNS} runs submitted in {figures['submitted']:.2f} s "
            f"({figures['open']} still running then), all terminal after "
            f"{figures['seconds']:.2f} s (client CPU {figures['cpu']:.2f} s); "
            f"{figures['polls_per_run']:.2f} GET /run per run, "
            f"{figures['requests_per_run']:.2f} requests per run in all; "
            f"{figures['succeeded']} success; {figures['tasks']} tasks while tracking; "
            f"resident memory after the round {figures['memory'] / 1e6:.1f} MB"
        )
    growth = rounds[-1]["memory"] - rounds[1]["memory"]
    print(f"memory growth from round 2 to round {ROUNDS}: {growth / 1e3:.1f} kB")
    assert all(r["polls_per_run"] < 20 for r in rounds)
    # The workers, main and the submit coroutines still waiting: no task per run or per tick.
    assert all(r["tasks"] <= 8 + 1 for r in rounds)
    assert growth < 2_000_000, "memory grows with every round of 500 runs"


def test_overhead_per_get_against_a_bare_httpx_loop() -> None:
    with sandbox_process("--speed", "300") as base_url:
        bare_times, ours = asyncio.run(compare_gets(base_url))
    bare = statistics.median(bare_times)
    mine = statistics.median(ours)
    print()
    print(
        f"GET /run/{{id}}: bare httpx {bare * 1e3:.3f} ms, composer ApiClient.get_run "
        f"{mine * 1e3:.3f} ms (parsed into a RunUpdate), ratio {mine / bare:.2f}"
    )
    assert mine / bare < 1.5


async def compare_gets(base_url: str) -> tuple[list[float], list[float]]:
    """Per-GET seconds of a bare httpx loop and of ApiClient.get_run, five interleaved rounds."""
    headers = {"Authorization": f"Bearer {TOKEN}"}
    bare_times: list[float] = []
    ours: list[float] = []
    async with (
        ApiClient(base_url, TOKEN, trust_env=False) as api,
        httpx.AsyncClient(headers=headers, trust_env=False) as bare,
    ):
        run_id = (await submit_many(api, 1))[0]
        url = f"{base_url}/run/{run_id}"
        for _ in range(5):  # interleaved, so both see the same machine load
            started = time.perf_counter()
            for _ in range(GETS):
                response = await bare.get(url, params={"queue_position": "true"})
                response.raise_for_status()
                response.json()
            bare_times.append((time.perf_counter() - started) / GETS)
            started = time.perf_counter()
            for _ in range(GETS):
                await api.get_run(run_id)
            ours.append((time.perf_counter() - started) / GETS)
    return bare_times, ours
