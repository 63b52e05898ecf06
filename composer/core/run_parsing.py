"""Reading the API's run shapes into :mod:`composer.core.runs` types.

Three shapes carry news of a run (API-CONTRACT sections 4 to 6): the run object of
``GET /run/{id}`` (and the rows of ``GET /deployment/{id}/runs``), a webhook payload, and the
frames of a run stream. Each parser is lenient with values (a wrong type becomes None, unknown
keys are ignored) but strict about the run id, without which an update means nothing:
:class:`RunParseError` then says what was missing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final

from composer.core.runs import (
    MediaItem,
    RunOutput,
    RunTimings,
    RunUpdate,
    UpdateSource,
    clean_progress,
)

SSE_EVENT_UPDATE: Final = "event_update"
SSE_LOG_UPDATE: Final = "log_update"


class RunParseError(ValueError):
    """A payload that cannot be read as news of a run (no run id, not an object)."""


def parse_timestamp(value: object) -> datetime | None:
    """An aware UTC datetime from any of the API's three timestamp forms, else None.

    ``2025-05-01T10:00:41.512000Z`` (run objects), ``2025-05-01T10:00:41.512Z`` (webhooks) and
    ``2025-05-01T10:00:41.512000`` without a zone (deployment run lists, stored in UTC).
    """
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _integer(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def _run_id(payload: Mapping[str, Any], *keys: str) -> str:
    for key in keys:
        value = payload.get(key)
        if isinstance(value, str) and value:
            return value
    raise RunParseError(f"no run id in the payload (expected one of: {', '.join(keys)})")


def parse_media_item(kind: str, item: object) -> MediaItem | None:
    """One media item of an output's ``data`` list; None for entries that are not files."""
    if not isinstance(item, Mapping):
        return None
    url = _text(item.get("url"))
    if not url:
        return None
    filename = _text(item.get("filename")) or url.rsplit("/", 1)[-1].split("?", 1)[0]
    is_public = item.get("is_public")
    return MediaItem(
        kind=kind,
        url=url,
        filename=filename,
        type=_text(item.get("type")),
        is_public=is_public if isinstance(is_public, bool) else None,
        subfolder=_text(item.get("subfolder")),
        upload_duration=_number(item.get("upload_duration")),
    )


def parse_output(raw: object, run_id: str | None = None) -> RunOutput | None:
    """One output object (contract section 4); None for something that is not an object."""
    if not isinstance(raw, Mapping):
        return None
    data = raw.get("data")
    data = data if isinstance(data, Mapping) else {}
    media: list[MediaItem] = []
    texts: list[str] = []
    for kind, items in data.items():
        if not isinstance(items, list):
            continue
        for item in items:
            if isinstance(item, str):
                texts.append(item)
            elif (parsed := parse_media_item(str(kind), item)) is not None:
                media.append(parsed)
    output_id = _text(raw.get("id"))
    node_id = _text(raw.get("node_id"))
    # Outputs are merged by id; an output without one is identified by its node and content.
    identity = output_id or f"{node_id}:{json.dumps(data, sort_keys=True, default=str)}"
    return RunOutput(
        id=identity,
        run_id=_text(raw.get("run_id")) or run_id,
        node_id=node_id,
        output_id=_text(raw.get("output_id")),
        type=_text(raw.get("type")),
        created_at=parse_timestamp(raw.get("created_at")),
        updated_at=parse_timestamp(raw.get("updated_at")),
        media=tuple(media),
        texts=tuple(texts),
        data=dict(data),
    )


def parse_outputs(raw: object, run_id: str | None = None) -> tuple[RunOutput, ...]:
    """A list of output objects (a run's ``outputs`` or a sync answer); others are skipped."""
    if not isinstance(raw, Sequence) or isinstance(raw, str | bytes):
        return ()
    parsed = (parse_output(item, run_id) for item in raw)
    return tuple(output for output in parsed if output is not None)


def parse_timings(raw: Mapping[str, Any]) -> RunTimings:
    """The timestamps and durations of a run object."""
    return RunTimings(
        created_at=parse_timestamp(raw.get("created_at")),
        queued_at=parse_timestamp(raw.get("queued_at")),
        started_at=parse_timestamp(raw.get("started_at")),
        ended_at=parse_timestamp(raw.get("ended_at")),
        updated_at=parse_timestamp(raw.get("updated_at")),
        duration=_number(raw.get("duration")),
        run_duration=_number(raw.get("run_duration")),
        cold_start_duration=_number(raw.get("cold_start_duration")),
        cold_start_duration_total=_number(raw.get("cold_start_duration_total")),
    )


def parse_run(raw: object, source: UpdateSource = UpdateSource.POLL) -> RunUpdate:
    """A run object of ``GET /run/{id}`` (or a row of a deployment's run list) as an update."""
    if not isinstance(raw, Mapping):
        raise RunParseError("a run must be a JSON object")
    run_id = _run_id(raw, "id", "run_id")
    inputs = raw.get("workflow_inputs")
    outputs = raw.get("outputs")
    return RunUpdate(
        run_id=run_id,
        source=source,
        status=_text(raw.get("status")),
        live_status=_text(raw.get("live_status")),
        progress=clean_progress(raw.get("progress")),
        queue_position=_integer(raw.get("queue_position")),
        outputs=parse_outputs(outputs, run_id) if isinstance(outputs, list) else None,
        timings=parse_timings(raw),
        inputs=dict(inputs) if isinstance(inputs, Mapping) else None,
        raw=raw,
    )


def parse_webhook(payload: object) -> RunUpdate:
    """A webhook delivery's JSON (contract section 5) as an update.

    ``run.updated`` carries the status and all outputs so far; progress events carry
    ``outputs: []``, which says nothing about outputs; ``run.output`` carries one new output.
    """
    if not isinstance(payload, Mapping):
        raise RunParseError("a webhook payload must be a JSON object")
    run_id = _run_id(payload, "run_id", "id")
    outputs = parse_outputs(payload.get("outputs"), run_id)
    return RunUpdate(
        run_id=run_id,
        source=UpdateSource.WEBHOOK,
        status=_text(payload.get("status")),
        live_status=_text(payload.get("live_status")),
        progress=clean_progress(payload.get("progress")),
        outputs=outputs or None,
        event=_text(payload.get("event_type")),
        raw=payload,
    )


def parse_sse(event: str, data: str, run_id: str | None = None) -> RunUpdate | None:
    """One server-sent event of a run stream (contract section 6) as an update.

    ``event`` is the SSE event name (``event_update`` or ``log_update``), ``data`` its data text.
    ``run_id`` is the run the stream belongs to when known; a frame naming its run (``run_id``,
    or ComfyUI's ``prompt_id``, which ComfyDeploy sets to the run id) wins. Pass ``""`` to read
    frames before the run is known (their updates then carry an empty run id). Returns None for
    frames that say nothing about a run (bad JSON, or no run id known and none given).
    """
    try:
        frame = json.loads(data) if data else None
    except ValueError:
        return None
    if not isinstance(frame, Mapping):
        return None
    if event == SSE_LOG_UPDATE:
        found = _find_run_id(frame) or run_id
        logs = frame.get("logs")
        if found is None or not isinstance(logs, str):
            return None
        return RunUpdate(
            run_id=found, source=UpdateSource.STREAM, event="logs", logs=logs, raw=frame
        )
    name = _text(frame.get("event"))
    inner = frame.get("data") if name is not None else frame
    inner_map: Mapping[str, Any] = inner if isinstance(inner, Mapping) else {}
    found = _find_run_id(inner_map) or _find_run_id(frame) or run_id
    if found is None:
        return None
    status = _text(inner_map.get("status")) if name in (None, "status") else None
    if name == "status" and status is None and isinstance(inner, str):
        status = inner
    outputs = None
    if name == "output_ready":
        outputs = parse_outputs(_as_list(inner_map.get("outputs", inner)), found) or None
    return RunUpdate(
        run_id=found,
        source=UpdateSource.STREAM,
        status=status,
        live_status=_text(inner_map.get("live_status")),
        progress=clean_progress(inner_map.get("progress")) if name != "progress" else None,
        outputs=outputs,
        event=name or "frame",
        raw=frame,
    )


def _find_run_id(data: Mapping[str, Any]) -> str | None:
    # ComfyDeploy hands the run id to ComfyUI as its prompt id, so ComfyUI's frames name the run.
    for key in ("run_id", "prompt_id"):
        value = data.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def _as_list(value: object) -> list[Any]:
    if isinstance(value, list):
        return value
    return [value] if isinstance(value, Mapping) else []
