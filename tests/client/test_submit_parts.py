"""Pieces of ``composer submit`` without a subprocess: rendering, the webhook catcher, errors."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import httpx

from composer.client.errors import error_for_status, member_errors
from composer.client.submission import is_loopback
from composer.commands.submit_follow import mask_secrets
from composer.commands.submit_view import (
    JsonLinesView,
    TerminalView,
    format_elapsed,
    progress_bar,
    run_line,
    summary_line,
)
from composer.commands.submit_webhooks import WebhookCatcher
from composer.core.output_files import safe_name
from composer.core.runs import MediaItem, RunOutput, RunState, RunTimings, initial_state

RUN = "3f2b6a9e-1c4d-4e8f-9a0b-1c2d3e4f5a6b"


def done_state() -> RunState:
    output = RunOutput(id="o1", media=(MediaItem("images", "http://x/a.png", "a.png"),))
    created = datetime(2025, 5, 1, 10, 0, tzinfo=UTC)
    return RunState(
        RUN, status="success", progress=0.95, outputs=(output,),
        timings=RunTimings(created_at=created), batch_id="b", batch_index=2, inputs={"seed": 3},
    )  # fmt: skip


def test_run_lines_show_bar_percent_status_time_and_detail() -> None:
    running = RunState(RUN, status="running", progress=0.42, live_status="Executing KSampler")
    line = run_line(running, 75.2, 120)
    assert line.startswith("3f2b6a9e  [") and " 42%  running" in line
    assert "01:15" in line and line.endswith("Executing KSampler")
    queued = RunState(RUN, status="queued", queue_position=3)
    assert "queued (3 ahead)" in run_line(queued, 0, 120)
    done = run_line(done_state(), 3, 120)
    assert done.startswith("#3   3f2b6a9e") and "100%" in done and done.endswith("1 file")
    assert len(run_line(running, 1, 50)) <= 50
    assert progress_bar(0.5, False, width=4, ascii_only=True) == "[##--]"
    assert format_elapsed(3725) == "1:02:05"
    assert summary_line([done_state(), running]) == "2 runs: 1 running, 1 success"


def test_terminal_view_redraws_in_place_only_when_something_changed() -> None:
    out, err = io.StringIO(), io.StringIO()
    clock = iter(range(100))
    view = TerminalView(out, err, width=80, clock=lambda: float(next(clock)))
    view.submitted(run_id=RUN, endpoint="POST http://h/api/run")
    view.state(initial_state(RUN))
    view.draw()
    first = out.getvalue()
    view.state(RunState(RUN, status="running", progress=0.5))
    view.draw()
    assert "\x1b[1F\x1b[J" in out.getvalue()[len(first) :]
    view.error("boom")
    assert err.getvalue() == "composer: error: boom\n"
    view.finished(done_state(), ["/tmp/x/3f2b6a9e-a.png"])
    view.close()
    assert out.getvalue().endswith("  saved /tmp/x/3f2b6a9e-a.png\n")


def test_json_lines_view_writes_one_object_per_event() -> None:
    out, err = io.StringIO(), io.StringIO()
    view = JsonLinesView(out, err)
    view.submitted(run_id=RUN, endpoint="POST http://h/api/run")
    view.state(RunState(RUN, status="running", progress=0.5))
    view.finished(done_state(), ["f.png"])
    view.finished(done_state(), ["f.png"])  # reported once
    view.state(done_state())  # no updates after the end
    view.error("bad", kind="X")
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [line["event"] for line in lines] == ["submitted", "update", "finished", "error"]
    finished = lines[2]
    assert finished["outputs"] == [
        {"kind": "images", "url": "http://x/a.png", "filename": "a.png", "node_id": None}
    ]
    assert finished["batch_index"] == 2 and finished["inputs"] == {"seed": 3}
    assert finished["created_at"] == "2025-05-01T10:00:00+00:00"
    assert err.getvalue() == "composer: error: bad\n"


def test_file_names_and_secrets() -> None:
    assert safe_name("../../etc/passwd") == "passwd"
    assert safe_name("a:b*c?.png") == "a_b_c_.png"
    assert safe_name("..") == "output"
    assert mask_secrets({"cd_token": "abc", "inputs": {}}) == {"cd_token": "***", "inputs": {}}


def test_the_webhook_catcher_keeps_early_deliveries() -> None:
    catcher = WebhookCatcher()
    try:
        url = catcher.start()
        assert is_loopback(url) and not is_loopback("https://api.comfydeploy.com/api")
        with httpx.Client(trust_env=False) as client:
            client.post(url, json={"run_id": "early"})
            got: list[object] = []
            catcher.attach(got.append)
            client.request("GET", url, json={"run_id": "retried as GET"})
            client.post(url, content=b"not json")
        assert got == [{"run_id": "early"}, {"run_id": "retried as GET"}]
        assert catcher.received == 2
    finally:
        catcher.stop()


def test_a_422_is_narrowed_to_the_kind_that_was_sent() -> None:
    def item(member: str, *path: str) -> dict[str, object]:
        return {"type": "x", "loc": ["body", member, *path], "msg": f"bad {path[-1]}"}

    detail = [
        item("WorkflowRunRequest", "workflow_id"),
        item("ModelRunRequest", "batch_input_params", "seed"),
        item("DeploymentRunRequest", "deployment_id"),
    ]
    assert member_errors(detail, "ModelRunRequest") == [detail[1]]
    assert member_errors(detail, "WorkflowRunVersionRequest") == detail  # none of its own
    assert member_errors("text", "ModelRunRequest") == "text"
    error = error_for_status(422, detail, union_member="ModelRunRequest")
    assert [e.loc for e in error.errors] == [("batch_input_params", "seed")]  # type: ignore[attr-defined]
