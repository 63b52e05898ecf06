"""Reading run objects, webhook payloads and stream frames (API-CONTRACT sections 4 to 6)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from composer.core.run_parsing import (
    RunParseError,
    parse_output,
    parse_outputs,
    parse_run,
    parse_sse,
    parse_timestamp,
    parse_webhook,
)
from composer.core.runs import UpdateSource, initial_state, merge

RUN = "3f2b6a9e-1c4d-4e8f-9a0b-1c2d3e4f5a6b"

OUTPUT: dict[str, Any] = {
    "id": "9d1e0c7a-0000-4000-8000-000000000001",
    "output_id": None,
    "run_id": RUN,
    "data": {
        "images": [
            {
                "url": "https://files.example/outputs/ComfyUI_00001_.png?X-Amz-Signature=abc",
                "type": "output",
                "filename": "ComfyUI_00001_.png",
                "is_public": False,
                "subfolder": "",
                "upload_duration": 0.42,
            }
        ],
        "text": ["a caption"],
    },
    "node_meta": {"node_class": "SaveImage"},
    "created_at": "2025-05-01T10:00:40.100000Z",
    "updated_at": "2025-05-01T10:00:40.100000Z",
    "type": None,
    "node_id": "9",
}

RUN_OBJECT: dict[str, Any] = {
    "id": RUN,
    "workflow_version_id": None,
    "workflow_inputs": {"prompt": "A lighthouse", "seed": 1234},
    "workflow_id": None,
    "machine_id": None,
    "origin": "api",
    "status": "success",
    "ended_at": "2025-05-01T10:00:41.512000Z",
    "created_at": "2025-05-01T10:00:00.000000Z",
    "updated_at": "2025-05-01T10:00:41.512000Z",
    "queued_at": "2025-05-01T10:00:00.250000Z",
    "started_at": "2025-05-01T10:00:05.000000Z",
    "gpu_event_id": None,
    "gpu": "A10G",
    "machine_version": None,
    "machine_type": None,
    "modal_function_call_id": None,
    "user_id": "user_1",
    "org_id": None,
    "live_status": "Executing SaveImage",
    "progress": 0.949999988079071,
    "is_realtime": False,
    "webhook": None,
    "webhook_status": None,
    "webhook_intermediate_status": False,
    "outputs": [OUTPUT],
    "number": 1,
    "duration": 41.512,
    "cold_start_duration": 3.2,
    "cold_start_duration_total": 4.75,
    "run_duration": 36.5,
    "queue_position": None,
}


@pytest.mark.parametrize(
    "text",
    ["2025-05-01T10:00:41.512000Z", "2025-05-01T10:00:41.512Z", "2025-05-01T10:00:41.512000"],
)
def test_all_three_timestamp_forms(text: str) -> None:
    assert parse_timestamp(text) == datetime(2025, 5, 1, 10, 0, 41, 512000, tzinfo=UTC)


def test_timestamps_with_offsets_become_utc_and_junk_is_none() -> None:
    assert parse_timestamp("2025-05-01T12:00:41+02:00") == datetime(
        2025, 5, 1, 10, 0, 41, tzinfo=UTC
    )
    for junk in ("", "yesterday", None, 17, "2025-13-01T00:00:00Z"):
        assert parse_timestamp(junk) is None


def test_a_run_object_becomes_a_full_update() -> None:
    update = parse_run(RUN_OBJECT)
    assert update.run_id == RUN and update.source is UpdateSource.POLL
    assert update.status == "success" and update.is_terminal
    assert update.progress == 0.95
    assert update.live_status == "Executing SaveImage"
    assert update.inputs == {"prompt": "A lighthouse", "seed": 1234}
    timings = update.timings
    assert timings is not None
    assert timings.ended_at == datetime(2025, 5, 1, 10, 0, 41, 512000, tzinfo=UTC)
    assert timings.queued_at is not None and timings.started_at is not None
    assert (timings.duration, timings.run_duration) == (41.512, 36.5)
    assert (timings.cold_start_duration, timings.cold_start_duration_total) == (3.2, 4.75)
    assert update.outputs is not None and len(update.outputs) == 1
    out = update.outputs[0]
    assert out.id == OUTPUT["id"] and out.node_id == "9" and out.texts == ("a caption",)
    (image,) = out.media
    assert image.kind == "images" and image.filename == "ComfyUI_00001_.png"
    assert image.is_public is False and image.upload_duration == 0.42
    assert update.raw is RUN_OBJECT


def test_queue_position_and_missing_outputs() -> None:
    queued = {**RUN_OBJECT, "status": "queued", "queue_position": 2, "outputs": None}
    update = parse_run(queued)
    assert update.queue_position == 2 and update.outputs is None


def test_a_deployment_run_list_row_with_naive_times() -> None:
    row = {"id": RUN, "status": "running", "created_at": "2025-05-01T10:00:00.123456"}
    update = parse_run(row)
    assert update.timings is not None
    assert update.timings.created_at == datetime(2025, 5, 1, 10, 0, 0, 123456, tzinfo=UTC)


@pytest.mark.parametrize("bad", [[], "x", {"status": "success"}, {"id": ""}])
def test_a_run_without_id_is_refused(bad: object) -> None:
    with pytest.raises(RunParseError):
        parse_run(bad)


def test_output_parsing_is_lenient() -> None:
    odd = {"data": {"images": [{"url": "https://x/y/z.png?sig=1"}, "not a file", 3], "n": 3}}
    parsed = parse_output(odd, RUN)
    assert parsed is not None and parsed.run_id == RUN
    assert [m.filename for m in parsed.media] == ["z.png"]
    assert parsed.texts == ("not a file",)
    assert parsed.id  # identified by node and content when the server sent no id
    assert parse_output("nope") is None
    assert parse_outputs({"not": "a list"}) == ()


def test_webhook_payloads() -> None:
    progress = parse_webhook(
        {"event_type": "run.updated", "status": "running", "live_status": "Executing KSampler",
         "progress": 0.42, "run_id": RUN, "outputs": []}
    )  # fmt: skip
    assert progress.source is UpdateSource.WEBHOOK and progress.event == "run.updated"
    assert progress.progress == 0.42 and progress.outputs is None  # [] says nothing
    output = parse_webhook(
        {"event_type": "run.output", "status": "running", "run_id": RUN, "outputs": [OUTPUT]}
    )
    assert output.event == "run.output" and output.outputs is not None
    with pytest.raises(RunParseError, match="no run id"):
        parse_webhook({"event_type": "run.updated", "status": "running"})


def frame(name: str, data: object) -> str:
    return json.dumps({"event": name, "data": data})


def test_stream_frames() -> None:
    live = parse_sse(
        "event_update", frame("live_status", {"live_status": "Sampling", "progress": 0.5}), RUN
    )
    assert live is not None and live.source is UpdateSource.STREAM
    assert (live.event, live.live_status, live.progress) == ("live_status", "Sampling", 0.5)
    status = parse_sse("event_update", frame("status", {"status": "success"}), RUN)
    assert status is not None and status.status == "success"
    named = parse_sse("event_update", frame("queuing", {"run_id": "other-run"}), None)
    assert named is not None and named.run_id == "other-run"
    bare = parse_sse(
        "event_update", json.dumps({"prompt_id": "p", "number": 3, "node_errors": {}}), RUN
    )
    assert bare is not None and bare.status is None and bare.event == "frame"
    logs = parse_sse(
        "log_update",
        json.dumps({"logs": "loading model", "timestamp": "2025-05-01T10:00:41.512Z"}),
        RUN,
    )
    assert logs is not None and logs.logs == "loading model"
    ready = parse_sse("event_update", frame("output_ready", {"outputs": [OUTPUT]}), RUN)
    assert ready is not None and ready.outputs is not None and len(ready.outputs) == 1


def test_stream_frames_that_say_nothing() -> None:
    assert parse_sse("event_update", "{not json", RUN) is None
    assert parse_sse("event_update", "[1, 2]", RUN) is None
    assert parse_sse("event_update", frame("gpu_ready", {}), None) is None
    assert parse_sse("log_update", json.dumps({"nothing": 1}), RUN) is None


def test_sources_merge_into_one_state() -> None:
    state = initial_state(RUN)
    for item in (
        parse_webhook(
            {
                "event_type": "run.updated",
                "status": "running",
                "run_id": RUN,
                "progress": 0.5,
                "outputs": [],
            }
        ),
        parse_sse(
            "event_update", frame("live_status", {"live_status": "VAE", "progress": 0.9}), RUN
        ),
        parse_run(RUN_OBJECT),
        parse_webhook(
            {
                "event_type": "run.updated",
                "status": "running",
                "run_id": RUN,
                "progress": 0.6,
                "outputs": [],
            }
        ),
    ):
        assert item is not None
        state = merge(state, item) or state
    assert state.status == "success" and state.progress == 0.95 and len(state.outputs) == 1
