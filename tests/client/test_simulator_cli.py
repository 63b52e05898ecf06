"""``composer simulate``: the report on a terminal and as JSON, exit codes, bad arguments."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from composer.cli import main
from composer.servers.receiver import WebhookReceiver


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as running:
        yield running


def test_text_report_lists_deliveries_and_verdicts(
    receiver: WebhookReceiver, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["simulate", receiver.url, "--scenario", "duplicate-terminal"]) == 0
    out = capsys.readouterr().out
    assert "duplicate-terminal: trap: success delivered twice" in out
    assert "  ok   #5  run.updated success, again: POST 200 " in out
    assert "PASS duplicate-terminal:" in out
    assert out.rstrip().endswith("Result: PASS")
    assert receiver.count == 5


def test_json_report_and_failure_exit_code(
    receiver: WebhookReceiver, capsys: pytest.CaptureFixture[str]
) -> None:
    receiver.set_answer(status=500)
    code = main(["simulate", receiver.url, "--scenario", "cancel", "--json", "--backoff", "0,0"])
    assert code == 1
    report = json.loads(capsys.readouterr().out)
    assert report["outcome"] == "fail" and report["url"] == receiver.url
    (scenario,) = report["scenarios"]
    assert scenario["deliveries"][-1]["run_status"] == "cancelled"
    assert [a["method"] for a in scenario["deliveries"][0]["attempts"]] == ["POST", "GET", "GET"]
    assert receiver.records()[1].method == "GET"


def test_warnings_still_exit_0(
    receiver: WebhookReceiver, capsys: pytest.CaptureFixture[str]
) -> None:
    receiver.answer_next(502)
    assert main(["simulate", receiver.url, "--scenario", "lifecycle", "--backoff", "0"]) == 0
    out = capsys.readouterr().out
    assert "POST 502" in out and "GET 200" in out and "Result: WARN" in out


def test_bad_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "localhost:3000/hook"]) == 2
    assert "not an http:// or https:// URL" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exited:
        main(["simulate", "http://h/", "--scenario", "nope"])
    assert exited.value.code == 2
    with pytest.raises(SystemExit):
        main(["simulate", "http://h/", "--timeout", "0"])
