"""Send simulated ComfyDeploy webhook deliveries to a URL and report how the handler answered.

Nothing runs anywhere: the scenarios of :mod:`composer.core.simulation` are sent one delivery at
a time, with the service's delivery rules (API-CONTRACT section 5): a time limit per attempt
(20 s), up to 3 attempts on any status >= 400 or error, a backoff of about 0.5 s then 1 s, and
attempts 2 and 3 sent as GET with the same JSON body. Tests shorten the limit and the backoff
through :class:`DeliveryPolicy`.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

import httpx

from composer import __version__
from composer.client.replay import body_excerpt, sending_problem
from composer.core.simulation import (
    DELIVERY_ATTEMPTS,
    DELIVERY_BACKOFF,
    DELIVERY_TIMEOUT,
    SCENARIOS,
    AttemptReport,
    DeliveryReport,
    PlannedDelivery,
    ScenarioReport,
    SimulationReport,
    judge,
    scenario_names,
)

EXCERPT_CHARS: Final = 300
USER_AGENT: Final = f"composer-simulator/{__version__}"


@dataclass(frozen=True, slots=True)
class DeliveryPolicy:
    """How deliveries are attempted; the defaults are the real service's."""

    attempt_timeout: float = DELIVERY_TIMEOUT
    attempts: int = DELIVERY_ATTEMPTS
    backoff: tuple[float, ...] = DELIVERY_BACKOFF  # wait before attempt 2, 3, ...
    retry_method: str = "GET"  # the service's quirk; "POST" imitates a fixed service

    def method_for(self, attempt: int) -> str:
        """POST for the first attempt, the retry method after."""
        return "POST" if attempt == 1 else self.retry_method

    def wait_before(self, attempt: int) -> float:
        """Seconds to wait before attempt ``attempt`` (2, 3, ...)."""
        if attempt <= 1 or not self.backoff:
            return 0.0
        return self.backoff[min(attempt - 2, len(self.backoff) - 1)]


DeliveryCallback = Callable[[str, DeliveryReport], None]


async def send_attempt(
    client: httpx.AsyncClient,
    url: str,
    planned: PlannedDelivery,
    number: int,
    policy: DeliveryPolicy,
) -> AttemptReport:
    """One HTTP attempt of a delivery, bounded in total by ``policy.attempt_timeout``."""
    method = policy.method_for(number)
    started = time.perf_counter()
    try:
        async with asyncio.timeout(policy.attempt_timeout):
            answer = await client.request(
                method,
                url,
                content=planned.body,
                headers={"Content-Type": "application/json", "User-Agent": USER_AGENT},
            )
    except (TimeoutError, httpx.TimeoutException):
        return AttemptReport(
            number,
            method,
            None,
            time.perf_counter() - started,
            timed_out=True,
            error=f"no answer within {policy.attempt_timeout:g} s",
        )
    except httpx.HTTPError as exc:
        error = sending_problem(exc)
        return AttemptReport(number, method, None, time.perf_counter() - started, error=error)
    return AttemptReport(
        number,
        method,
        answer.status_code,
        time.perf_counter() - started,
        body_excerpt=body_excerpt(answer.content, EXCERPT_CHARS),
    )


async def deliver(
    client: httpx.AsyncClient,
    url: str,
    planned: PlannedDelivery,
    index: int,
    policy: DeliveryPolicy,
) -> DeliveryReport:
    """Attempt one delivery until accepted or out of attempts, as the service does."""
    attempts: list[AttemptReport] = []
    for number in range(planned.first_attempt, policy.attempts + 1):
        if attempts:
            await asyncio.sleep(policy.wait_before(number))
        attempt = await send_attempt(client, url, planned, number, policy)
        attempts.append(attempt)
        if attempt.ok:
            break
    return DeliveryReport(
        index=index,
        label=planned.label,
        event_type=str(planned.payload["event_type"]),
        run_status=str(planned.payload["status"]),
        trap=planned.trap,
        attempts=attempts,
        payload=planned.payload,
    )


async def run_scenario(
    client: httpx.AsyncClient,
    url: str,
    scenario: str,
    *,
    policy: DeliveryPolicy = DeliveryPolicy(),
    run_id: str | None = None,
    on_delivery: DeliveryCallback | None = None,
) -> ScenarioReport:
    """Send one scenario's deliveries in order and judge the answers."""
    info = SCENARIOS[scenario]
    run_id = run_id or str(uuid.uuid4())
    deliveries: list[DeliveryReport] = []
    for index, planned in enumerate(info.build(run_id), start=1):
        report = await deliver(client, url, planned, index, policy)
        deliveries.append(report)
        if on_delivery is not None:
            on_delivery(scenario, report)
    return ScenarioReport(
        scenario, run_id, deliveries, judge(scenario, deliveries, policy.attempt_timeout)
    )


async def simulate(
    url: str,
    scenarios: str | Sequence[str] = "all",
    *,
    client: httpx.AsyncClient | None = None,
    policy: DeliveryPolicy = DeliveryPolicy(),
    on_delivery: DeliveryCallback | None = None,
) -> SimulationReport:
    """Run scenarios (a name, ``all``, ``traps`` or a list) against ``url``; each gets a new run id.

    Raises ValueError for an unknown scenario name, before anything is sent.
    """
    names = scenario_names(scenarios) if isinstance(scenarios, str) else tuple(scenarios)
    for name in names:
        scenario_names(name)
    if client is None:
        # The per-attempt limit is enforced above; the client's own timeout is only a backstop.
        timeout = httpx.Timeout(policy.attempt_timeout + 5)
        async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as own:
            return await simulate(url, names, client=own, policy=policy, on_delivery=on_delivery)
    reports = [
        await run_scenario(client, url, name, policy=policy, on_delivery=on_delivery)
        for name in names
    ]
    return SimulationReport(url, reports)
