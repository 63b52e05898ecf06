"""Simulated ComfyDeploy deliveries: the scenarios, their payloads, the report and the verdicts.

This is the pure half of the simulator (the sending half is :mod:`composer.client.simulator`).
Payloads are exactly API-CONTRACT section 5: ``run.updated`` on every status change from
``queued`` on, with all outputs so far; progress updates (``outputs: []``) once per executing
node when intermediate status is on; one ``run.output`` per saved output when the URL asks for
it. The trap scenarios add what the real service does to handlers: GET retries, events out of
order, a repeated terminal event, and a 20 s limit per attempt.
"""

from __future__ import annotations

import json
import struct
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Literal

from composer.core.webhook_io import format_time
from composer.core.webhooks import RUN_OUTPUT, RUN_UPDATED

# A small text-to-image graph: the node classes a real run walks through, in order.
NODES: Final[tuple[str, ...]] = (
    "CheckpointLoaderSimple",
    "CLIPTextEncode",
    "CLIPTextEncode",
    "EmptyLatentImage",
    "KSampler",
    "VAEDecode",
    "SaveImage",
)
OUTPUT_COUNT: Final = 2
SLOW_WARNING_SHARE: Final = 0.25  # an answer slower than this share of the limit gets a warning

Outcome = Literal["pass", "warn", "fail"]


@dataclass(frozen=True, slots=True)
class PlannedDelivery:
    """One webhook the simulator will send, and which trap (if any) it exercises.

    ``first_attempt`` is 2 for the GET-retry trap: the delivery is sent as the service's second
    attempt, as if the first POST had failed.
    """

    label: str
    payload: dict[str, Any]
    trap: str | None = None
    first_attempt: int = 1

    @property
    def body(self) -> bytes:
        """The JSON body as sent."""
        return json.dumps(self.payload).encode("utf-8")


@dataclass(frozen=True, slots=True)
class ScenarioInfo:
    """A named scenario: a description for menus and ``--help``, and how to build its plan."""

    name: str
    description: str
    build: Callable[[str], list[PlannedDelivery]]
    trap: bool = False


@dataclass(frozen=True, slots=True)
class AttemptReport:
    """One HTTP attempt of a delivery and how the handler answered."""

    number: int  # 1..3, as the service counts
    method: str
    status: int | None  # None: no answer (timeout or connection error)
    elapsed: float  # seconds
    timed_out: bool = False
    error: str | None = None
    body_excerpt: str = ""

    @property
    def ok(self) -> bool:
        """True when the service would count the attempt as delivered (status < 400)."""
        return self.status is not None and self.status < 400


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """A planned delivery and all its attempts."""

    index: int
    label: str
    event_type: str
    run_status: str
    trap: str | None
    attempts: list[AttemptReport]
    payload: dict[str, Any] = field(default_factory=dict)  # the JSON body that was sent

    @property
    def accepted(self) -> bool:
        """True when some attempt got an answer below 400."""
        return any(attempt.ok for attempt in self.attempts)

    @property
    def retried(self) -> bool:
        """True when the service would have sent it more than once."""
        return len(self.attempts) > 1


@dataclass(frozen=True, slots=True)
class Verdict:
    """What one check concluded about the handler."""

    check: str
    outcome: Outcome
    message: str


@dataclass(frozen=True, slots=True)
class ScenarioReport:
    """The deliveries of one scenario and the verdicts on them."""

    scenario: str
    run_id: str
    deliveries: list[DeliveryReport]
    verdicts: list[Verdict] = field(default_factory=list)

    @property
    def outcome(self) -> Outcome:
        """The worst verdict."""
        return _worst(verdict.outcome for verdict in self.verdicts)


@dataclass(frozen=True, slots=True)
class SimulationReport:
    """The whole run of the simulator against one URL."""

    url: str
    scenarios: list[ScenarioReport]

    @property
    def outcome(self) -> Outcome:
        """The worst verdict over all scenarios."""
        return _worst(scenario.outcome for scenario in self.scenarios)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values (``composer simulate --json``)."""
        return {
            "url": self.url,
            "outcome": self.outcome,
            "scenarios": [
                {
                    "scenario": scenario.scenario,
                    "run_id": scenario.run_id,
                    "outcome": scenario.outcome,
                    "deliveries": [
                        {
                            "index": delivery.index,
                            "label": delivery.label,
                            "event_type": delivery.event_type,
                            "run_status": delivery.run_status,
                            "trap": delivery.trap,
                            "accepted": delivery.accepted,
                            "payload": delivery.payload,
                            "attempts": [
                                {
                                    "number": attempt.number,
                                    "method": attempt.method,
                                    "status": attempt.status,
                                    "elapsed_ms": round(attempt.elapsed * 1000, 1),
                                    "timed_out": attempt.timed_out,
                                    "error": attempt.error,
                                    "body_excerpt": attempt.body_excerpt,
                                }
                                for attempt in delivery.attempts
                            ],
                        }
                        for delivery in scenario.deliveries
                    ],
                    "verdicts": [
                        {"check": v.check, "outcome": v.outcome, "message": v.message}
                        for v in scenario.verdicts
                    ],
                }
                for scenario in self.scenarios
            ],
        }


def _worst(outcomes: Any) -> Outcome:
    ranked: list[Outcome] = ["pass", "warn", "fail"]
    worst = 0
    for outcome in outcomes:
        worst = max(worst, ranked.index(outcome))
    return ranked[worst]


# --- payloads -----------------------------------------------------------------------------------


def float32(value: float) -> float:
    """``value`` as the service stores it: a float32, so 0.95 arrives as 0.949999988079071."""
    result: float = struct.unpack("f", struct.pack("f", value))[0]
    return result


def payload(
    run_id: str,
    status: str,
    *,
    event_type: str = RUN_UPDATED,
    progress: float | None = None,
    live_status: str | None = None,
    outputs: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A webhook body, keys in the contract's order."""
    return {
        "event_type": event_type,
        "status": status,
        "live_status": live_status,
        "progress": progress,
        "run_id": run_id,
        "outputs": outputs or [],
    }


def make_output(run_id: str, index: int, created: datetime | None = None) -> dict[str, Any]:
    """A realistic output object of a SaveImage node: one PNG, public URL."""
    created = created or datetime.now(UTC)
    filename = f"ComfyUI_{index:05d}_.png"
    # Inside webhook payloads timestamps have milliseconds and a Z (API-CONTRACT section 4).
    stamp = format_time(created)
    return {
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{run_id}/output/{index}")),
        "output_id": None,
        "run_id": run_id,
        "data": {
            "images": [
                {
                    "url": f"https://outputs.comfydeploy.example/outputs/runs/{run_id}/{filename}",
                    "type": "output",
                    "filename": filename,
                    "is_public": True,
                    "subfolder": "",
                    "upload_duration": 0.412,
                }
            ]
        },
        "node_meta": {"node_id": "9", "node_class": "SaveImage"},
        "created_at": stamp,
        "updated_at": format_time(created + timedelta(milliseconds=3)),
        "type": None,
        "node_id": "9",
    }


def lifecycle(
    run_id: str,
    *,
    progress: bool = False,
    run_output: bool = False,
    ending: str = "success",
) -> list[PlannedDelivery]:
    """The deliveries of one run from ``queued`` to ``ending`` (success, failed or cancelled).

    A failed or cancelled run stops at the sampler and saves no output.
    """
    plan = [
        PlannedDelivery("queued", payload(run_id, "queued", progress=0.0)),
        PlannedDelivery("started", payload(run_id, "started", progress=0.0)),
        PlannedDelivery(
            "running", payload(run_id, "running", progress=0.0, live_status="Executing")
        ),
    ]
    stop_at = len(NODES) if ending == "success" else NODES.index("KSampler") + 1
    outputs: list[dict[str, Any]] = []
    for number, node in enumerate(NODES[:stop_at], start=1):
        fraction = float32(number / len(NODES))
        if progress:
            plan.append(
                PlannedDelivery(
                    f"progress {number}/{len(NODES)} {node}",
                    payload(run_id, "running", progress=fraction, live_status=f"Executing {node}"),
                )
            )
        if node == "SaveImage":
            for index in range(1, OUTPUT_COUNT + 1):
                output = make_output(run_id, index)
                outputs.append(output)
                if run_output:
                    plan.append(
                        PlannedDelivery(
                            f"output {index}/{OUTPUT_COUNT}",
                            payload(
                                run_id,
                                "running",
                                event_type=RUN_OUTPUT,
                                progress=fraction,
                                live_status=f"Executing {node}",
                                outputs=[output],
                            ),
                        )
                    )
    final_progress = float32(stop_at / len(NODES))
    plan.append(
        PlannedDelivery(
            ending,
            payload(run_id, ending, progress=final_progress, outputs=list(outputs)),
        )
    )
    return plan


def _get_retry(run_id: str) -> list[PlannedDelivery]:
    plan = lifecycle(run_id)
    final = plan[-1]
    return [
        *plan,
        PlannedDelivery(
            f"{final.label}, again as GET (attempt 2)", final.payload, "get-retry", first_attempt=2
        ),
    ]


def _out_of_order(run_id: str) -> list[PlannedDelivery]:
    plan = lifecycle(run_id, progress=True)
    queued, started, running, *progress, success = plan
    late_progress = progress[-2]
    return [
        queued,
        running,
        PlannedDelivery("started, after running", started.payload, "out-of-order"),
        *progress[:-2],
        progress[-1],
        success,
        PlannedDelivery(
            f"{late_progress.label}, after success", late_progress.payload, "out-of-order"
        ),
    ]


def _duplicate_terminal(run_id: str) -> list[PlannedDelivery]:
    plan = lifecycle(run_id)
    final = plan[-1]
    return [*plan, PlannedDelivery(f"{final.label}, again", final.payload, "duplicate-terminal")]


def _slow(run_id: str) -> list[PlannedDelivery]:
    return [
        PlannedDelivery(d.label, d.payload, "slow")
        for d in lifecycle(run_id, progress=True, run_output=True)
    ]


SCENARIOS: Final[dict[str, ScenarioInfo]] = {
    info.name: info
    for info in (
        ScenarioInfo("lifecycle", "queued, started, running, success", lifecycle),
        ScenarioInfo(
            "lifecycle-progress",
            "a lifecycle with progress per node (webhook_intermediate_status)",
            lambda run_id: lifecycle(run_id, progress=True),
        ),
        ScenarioInfo(
            "lifecycle-outputs",
            "a lifecycle with one run.output per output (target_events=run.output)",
            lambda run_id: lifecycle(run_id, run_output=True),
        ),
        ScenarioInfo(
            "lifecycle-full",
            "progress per node and run.output events",
            lambda run_id: lifecycle(run_id, progress=True, run_output=True),
        ),
        ScenarioInfo(
            "cancel",
            "a run cancelled while sampling",
            lambda run_id: lifecycle(run_id, progress=True, ending="cancelled"),
        ),
        ScenarioInfo(
            "failure",
            "a run that fails while sampling",
            lambda run_id: lifecycle(run_id, progress=True, ending="failed"),
        ),
        ScenarioInfo(
            "get-retry",
            "trap: the terminal event again as GET, as the service retries",
            _get_retry,
            trap=True,
        ),
        ScenarioInfo(
            "out-of-order",
            "trap: started after running, progress after success",
            _out_of_order,
            trap=True,
        ),
        ScenarioInfo(
            "duplicate-terminal",
            "trap: success delivered twice",
            _duplicate_terminal,
            trap=True,
        ),
        ScenarioInfo(
            "slow",
            "trap: a full lifecycle timed against the 20 s limit per attempt",
            _slow,
            trap=True,
        ),
    )
}
SCENARIO_GROUPS: Final[dict[str, tuple[str, ...]]] = {
    "all": tuple(SCENARIOS),
    "traps": tuple(name for name, info in SCENARIOS.items() if info.trap),
}


def scenario_names(choice: str) -> tuple[str, ...]:
    """The scenarios a name stands for (a scenario, ``all`` or ``traps``)."""
    if choice in SCENARIO_GROUPS:
        return SCENARIO_GROUPS[choice]
    if choice in SCENARIOS:
        return (choice,)
    known = ", ".join([*SCENARIOS, *SCENARIO_GROUPS])
    raise ValueError(f"unknown scenario {choice!r}; choose one of: {known}")


# --- verdicts -----------------------------------------------------------------------------------


def judge(scenario: str, deliveries: list[DeliveryReport], attempt_timeout: float) -> list[Verdict]:
    """The verdicts on a scenario's deliveries: delivery in general, then its trap."""
    verdicts = [_judge_delivery(deliveries)]
    trapped = [delivery for delivery in deliveries if delivery.trap == scenario]
    if scenario == "get-retry":
        verdicts.append(_judge_get_retry(trapped))
    elif scenario == "out-of-order":
        verdicts.append(_judge_late(trapped))
    elif scenario == "duplicate-terminal":
        verdicts.append(_judge_duplicate(trapped))
    elif scenario == "slow":
        verdicts.append(_judge_slow(deliveries, attempt_timeout))
    return verdicts


def _judge_delivery(deliveries: list[DeliveryReport]) -> Verdict:
    lost = [d for d in deliveries if not d.accepted]
    retried = [d for d in deliveries if d.retried and d.accepted]
    if lost:
        names = ", ".join(f"#{d.index} {d.label}" for d in lost[:5])
        return Verdict(
            "delivered",
            "fail",
            f"{len(lost)} of {len(deliveries)} deliveries were never accepted, even after "
            f"retries: {names}. The service gives up after 3 attempts and the event is lost.",
        )
    if retried:
        return Verdict(
            "delivered",
            "warn",
            f"{len(retried)} deliveries needed retries (sent again as GET); answer 2xx at "
            "the first attempt.",
        )
    return Verdict("delivered", "pass", f"all {len(deliveries)} deliveries answered below 400.")


def _judge_get_retry(trapped: list[DeliveryReport]) -> Verdict:
    if trapped and all(d.accepted for d in trapped):
        return Verdict(
            "get-retry",
            "pass",
            "the handler accepts a retry sent as GET with the JSON body "
            "(treat it as the same event as the POST).",
        )
    statuses = ", ".join(str(a.status or a.error) for d in trapped for a in d.attempts)
    return Verdict(
        "get-retry",
        "fail",
        f"the GET retry was refused ({statuses}). ComfyDeploy sends attempts 2 and 3 as GET "
        "with the same JSON body: accept GET on the webhook path and read its body.",
    )


def _judge_late(trapped: list[DeliveryReport]) -> Verdict:
    if trapped and all(d.accepted for d in trapped):
        return Verdict(
            "out-of-order",
            "pass",
            "late events were answered below 400. Check that your handler keeps the newest "
            "state: a progress event after success must not move the run back.",
        )
    return Verdict(
        "out-of-order",
        "fail",
        "a late event (started after running, or progress after success) was refused or broke "
        "the handler; events are not ordered, so ignore the ones older than what you know.",
    )


def _judge_duplicate(trapped: list[DeliveryReport]) -> Verdict:
    if trapped and all(d.accepted for d in trapped):
        return Verdict(
            "duplicate-terminal",
            "pass",
            "the repeated terminal event was answered below 400; make sure it is handled "
            "idempotently (no second e-mail, no second charge).",
        )
    return Verdict(
        "duplicate-terminal",
        "fail",
        "the repeated terminal event was refused: the service then retries it twice more. "
        "Answer 2xx to a terminal event you have already handled.",
    )


def _judge_slow(deliveries: list[DeliveryReport], attempt_timeout: float) -> Verdict:
    attempts = [a for d in deliveries for a in d.attempts]
    timed_out = [a for a in attempts if a.timed_out]
    slowest = max((a.elapsed for a in attempts), default=0.0)
    if timed_out:
        return Verdict(
            "slow",
            "fail",
            f"{len(timed_out)} attempts got no answer within {attempt_timeout:g} s; the service "
            "counts those as failures. Answer first, then do the work in the background.",
        )
    if slowest > attempt_timeout * SLOW_WARNING_SHARE:
        return Verdict(
            "slow",
            "warn",
            f"the slowest answer took {slowest:.1f} s of the {attempt_timeout:g} s allowed; "
            "answer at once and do the work later.",
        )
    return Verdict(
        "slow",
        "pass",
        f"every answer came within {slowest * 1000:.0f} ms (limit {attempt_timeout:g} s).",
    )


# ComfyDeploy's delivery rules (API-CONTRACT section 5), shared by the simulator, the replay and
# the sandbox's webhook sender: a time limit per attempt, the number of attempts, and the wait
# before attempt 2 and attempt 3.
DELIVERY_TIMEOUT: Final = 20.0  # seconds
DELIVERY_ATTEMPTS: Final = 3
DELIVERY_BACKOFF: Final[tuple[float, ...]] = (0.5, 1.0)
