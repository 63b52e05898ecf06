"""The simulator's scenarios: contract-shaped payloads, trap plans and verdicts (no network)."""

from __future__ import annotations

import json

import pytest

from composer.core.simulation import (
    NODES,
    OUTPUT_COUNT,
    SCENARIO_GROUPS,
    SCENARIOS,
    AttemptReport,
    DeliveryReport,
    ScenarioReport,
    SimulationReport,
    float32,
    judge,
    lifecycle,
    scenario_names,
)

RUN = "0b7f2a9c-1d2e-4f30-8a41-5b6c7d8e9f00"
CONTRACT_KEYS = ["event_type", "status", "live_status", "progress", "run_id", "outputs"]
OUTPUT_KEYS = {
    "id",
    "output_id",
    "run_id",
    "data",
    "node_meta",
    "created_at",
    "updated_at",
    "type",
    "node_id",
}


def test_plain_lifecycle_is_one_run_updated_per_status() -> None:
    plan = lifecycle(RUN)
    assert [d.payload["status"] for d in plan] == ["queued", "started", "running", "success"]
    for delivery in plan:
        assert list(delivery.payload) == CONTRACT_KEYS
        assert delivery.payload["event_type"] == "run.updated"
        assert delivery.payload["run_id"] == RUN
        assert json.loads(delivery.body) == delivery.payload
    # Outputs so far: none until the end, then all of them.
    assert [len(d.payload["outputs"]) for d in plan] == [0, 0, 0, OUTPUT_COUNT]
    for output in plan[-1].payload["outputs"]:
        assert set(output) == OUTPUT_KEYS and output["run_id"] == RUN
        image = output["data"]["images"][0]
        assert image["filename"].endswith(".png") and image["url"].startswith("https://")
        assert output["created_at"].endswith("Z") and len(output["created_at"]) == 24


def test_progress_events_once_per_node_with_float32_noise() -> None:
    plan = lifecycle(RUN, progress=True)
    progress = [d for d in plan if d.label.startswith("progress")]
    assert len(progress) == len(NODES)
    assert [d.payload["live_status"] for d in progress] == [f"Executing {n}" for n in NODES]
    assert all(d.payload["outputs"] == [] and d.payload["status"] == "running" for d in progress)
    fractions = [d.payload["progress"] for d in progress]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert float32(0.95) == 0.949999988079071


def test_run_output_events_carry_one_output_each() -> None:
    plan = lifecycle(RUN, run_output=True)
    outputs = [d for d in plan if d.payload["event_type"] == "run.output"]
    assert len(outputs) == OUTPUT_COUNT
    assert all(len(d.payload["outputs"]) == 1 for d in outputs)
    assert [d.payload["outputs"][0] for d in outputs] == plan[-1].payload["outputs"]
    assert plan.index(outputs[-1]) < len(plan) - 1  # before the terminal event


@pytest.mark.parametrize("ending", ["failed", "cancelled"])
def test_failure_and_cancel_end_early_without_outputs(ending: str) -> None:
    plan = lifecycle(RUN, progress=True, ending=ending)
    assert plan[-1].payload["status"] == ending and plan[-1].payload["outputs"] == []
    assert plan[-1].payload["progress"] < 1.0
    assert "Executing SaveImage" not in [d.payload["live_status"] for d in plan]


def test_trap_plans() -> None:
    retry = SCENARIOS["get-retry"].build(RUN)
    assert retry[-1].first_attempt == 2 and retry[-1].payload == retry[-2].payload
    late = SCENARIOS["out-of-order"].build(RUN)
    statuses = [d.payload["status"] for d in late]
    assert statuses.index("started") > statuses.index("running")
    assert statuses[-1] == "running" and statuses[-2] == "success"
    assert [d.trap for d in late].count("out-of-order") == 2
    duplicate = SCENARIOS["duplicate-terminal"].build(RUN)
    assert duplicate[-1].body == duplicate[-2].body
    assert {d.trap for d in SCENARIOS["slow"].build(RUN)} == {"slow"}


def test_scenario_names() -> None:
    assert scenario_names("cancel") == ("cancel",)
    assert scenario_names("all") == tuple(SCENARIOS)
    assert set(scenario_names("traps")) == {
        "get-retry",
        "out-of-order",
        "duplicate-terminal",
        "slow",
    }
    assert set(SCENARIO_GROUPS) == {"all", "traps"}
    with pytest.raises(ValueError, match="unknown scenario 'nope'; choose one of: lifecycle"):
        scenario_names("nope")


def delivery(
    index: int, *statuses: int | None, trap: str | None = None, elapsed: float = 0.01
) -> DeliveryReport:
    attempts = [
        AttemptReport(n, "POST" if n == 1 else "GET", s, elapsed, timed_out=s is None)
        for n, s in enumerate(statuses, start=1)
    ]
    return DeliveryReport(index, f"d{index}", "run.updated", "running", trap, attempts)


def outcomes(scenario: str, deliveries: list[DeliveryReport]) -> dict[str, str]:
    return {v.check: v.outcome for v in judge(scenario, deliveries, attempt_timeout=20)}


def test_delivery_verdicts() -> None:
    assert outcomes("lifecycle", [delivery(1, 200), delivery(2, 204)]) == {"delivered": "pass"}
    assert outcomes("lifecycle", [delivery(1, 500, 200)]) == {"delivered": "warn"}
    verdict = judge("lifecycle", [delivery(1, 500, 500, 500), delivery(2, 200)], 20)[0]
    assert verdict.outcome == "fail" and "1 of 2" in verdict.message and "#1 d1" in verdict.message


def test_trap_verdicts() -> None:
    assert (
        outcomes("get-retry", [delivery(1, 200), delivery(2, 200, trap="get-retry")])["get-retry"]
        == "pass"
    )
    refused = judge("get-retry", [delivery(1, 200), delivery(2, 405, 405, trap="get-retry")], 20)
    assert refused[1].outcome == "fail" and "405" in refused[1].message
    assert (
        outcomes("out-of-order", [delivery(1, 500, 500, 500, trap="out-of-order")])["out-of-order"]
        == "fail"
    )
    assert (
        outcomes("duplicate-terminal", [delivery(1, 409, 409, 409, trap="duplicate-terminal")])[
            "duplicate-terminal"
        ]
        == "fail"
    )
    assert outcomes("slow", [delivery(1, 200, trap="slow", elapsed=6)])["slow"] == "warn"
    assert outcomes("slow", [delivery(1, None, 200, trap="slow", elapsed=20)])["slow"] == "fail"
    assert outcomes("slow", [delivery(1, 200, trap="slow")])["slow"] == "pass"


def test_report_outcome_is_the_worst_and_serialises() -> None:
    good = ScenarioReport(
        "lifecycle", RUN, [delivery(1, 200)], judge("lifecycle", [delivery(1, 200)], 20)
    )
    bad_deliveries = [delivery(1, 500, 500, 500)]
    bad = ScenarioReport("cancel", RUN, bad_deliveries, judge("cancel", bad_deliveries, 20))
    report = SimulationReport("http://h/", [good, bad])
    assert (good.outcome, bad.outcome, report.outcome) == ("pass", "fail", "fail")
    data = json.loads(json.dumps(report.to_dict()))
    assert data["outcome"] == "fail"
    assert data["scenarios"][1]["deliveries"][0]["attempts"][2]["method"] == "GET"
    assert data["scenarios"][0]["verdicts"][0]["check"] == "delivered"
