"""``composer simulate URL``: send ComfyDeploy-shaped webhooks to a handler and report its answers.

On a terminal each delivery is printed as it is answered, then the verdicts of each scenario;
``--json`` prints the whole report as one JSON object instead. Exit code 0 when nothing failed
(warnings included), 1 when a verdict failed, 2 for bad arguments.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from composer.client.simulator import DeliveryPolicy, simulate
from composer.commands import positive_number
from composer.core.simulation import (
    DELIVERY_BACKOFF,
    DELIVERY_TIMEOUT,
    SCENARIO_GROUPS,
    SCENARIOS,
    AttemptReport,
    DeliveryReport,
    ScenarioReport,
    SimulationReport,
)

_OUTCOME_WORDS = {"pass": "PASS", "warn": "WARN", "fail": "FAIL"}


def _seconds_list(text: str) -> tuple[float, ...]:
    try:
        values = tuple(float(part) for part in text.split(",") if part.strip())
    except ValueError as exc:
        raise argparse.ArgumentTypeError("a comma-separated list of seconds, e.g. 0.5,1") from exc
    if any(value < 0 for value in values):
        raise argparse.ArgumentTypeError("seconds must not be negative")
    return values


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the subcommand's options."""
    parser.add_argument(
        "url", help="the webhook handler to test, e.g. http://localhost:3000/api/webhook"
    )
    names = [*SCENARIO_GROUPS, *SCENARIOS]
    parser.add_argument(
        "--scenario",
        choices=names,
        default="all",
        metavar="NAME",
        help="what to send (default all): "
        + "; ".join(f"{name}: {info.description}" for name, info in SCENARIOS.items())
        + "; traps: the four traps; all: everything",
    )
    parser.add_argument("--json", action="store_true", help="print the report as one JSON object")
    parser.add_argument(
        "--timeout",
        type=positive_number,
        default=DELIVERY_TIMEOUT,
        help=f"seconds allowed per attempt (default {DELIVERY_TIMEOUT:g}, as ComfyDeploy)",
    )
    parser.add_argument(
        "--backoff",
        type=_seconds_list,
        default=DELIVERY_BACKOFF,
        help="seconds to wait before attempts 2 and 3 (default "
        + ",".join(f"{seconds:g}" for seconds in DELIVERY_BACKOFF)
        + ")",
    )


def run(args: argparse.Namespace) -> int:
    """Run the scenarios and print the report."""
    if not args.url.startswith(("http://", "https://")):
        print(f"composer: {args.url!r} is not an http:// or https:// URL", file=sys.stderr)
        return 2
    policy = DeliveryPolicy(attempt_timeout=args.timeout, backoff=args.backoff)
    live = None if args.json else _LivePrinter()
    report = asyncio.run(simulate(args.url, args.scenario, policy=policy, on_delivery=live))
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False))
    else:
        _print_summary(report)
    return 1 if report.outcome == "fail" else 0


class _LivePrinter:
    """Prints each delivery as it is answered, with a heading per scenario."""

    def __init__(self) -> None:
        self.scenario: str | None = None

    def __call__(self, scenario: str, delivery: DeliveryReport) -> None:
        if scenario != self.scenario:
            self.scenario = scenario
            _out(f"\n{scenario}: {SCENARIOS[scenario].description}")
        attempts = ", ".join(_attempt_text(attempt) for attempt in delivery.attempts)
        mark = "ok  " if delivery.accepted else "LOST"
        _out(f"  {mark} #{delivery.index:<2} {delivery.event_type} {delivery.label}: {attempts}")


def _attempt_text(attempt: AttemptReport) -> str:
    answer = str(attempt.status) if attempt.status is not None else "no answer"
    text = f"{attempt.method} {answer} {attempt.elapsed * 1000:.0f} ms"
    if attempt.timed_out:
        return text + " (timed out)"
    return text + (f" ({attempt.error})" if attempt.error else "")


def _print_scenario_verdicts(scenario: ScenarioReport) -> None:
    _out(f"{scenario.scenario} (run {scenario.run_id}):")
    for verdict in scenario.verdicts:
        _out(f"  {_OUTCOME_WORDS[verdict.outcome]} {verdict.check}: {verdict.message}")


def _print_summary(report: SimulationReport) -> None:
    _out(f"\nVerdicts for {report.url}")
    for scenario in report.scenarios:
        _print_scenario_verdicts(scenario)
    _out(f"\nResult: {_OUTCOME_WORDS[report.outcome]}")


def _out(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()
