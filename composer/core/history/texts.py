"""Text derived from a request body for the history: the search text, a one-line preview of the
inputs, secret redaction, and a submission's overall status from its runs' statuses."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any, Final

from composer.core.runs import status_rank
from composer.core.wire import TERMINAL_STATUSES

REDACTED: Final = "[redacted]"
MAX_SEARCH_TEXT: Final = 4000
MAX_PREVIEW: Final = 160
_LONG_VALUE: Final = 500  # longer strings (base64 images, ...) are not worth searching in full

# A finished batch whose runs ended differently: the most worrying outcome wins.
_OUTCOME_RANK: Final[tuple[str, ...]] = ("failed", "timeout", "cancelled", "success")


def body_json(body: Mapping[str, Any]) -> str:
    """The body as compact JSON, keys in their original order (the order that was sent)."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def redact(text: str, secrets: Iterable[str]) -> tuple[str, bool]:
    """``text`` with every occurrence of each secret (raw or JSON-escaped) replaced by
    :data:`REDACTED`; and whether anything was replaced."""
    found = False
    for secret in secrets:
        if not secret:
            continue
        for form in {secret, json.dumps(secret, ensure_ascii=False)[1:-1]}:
            if form in text:
                text = text.replace(form, REDACTED)
                found = True
    return text, found


def search_text(body: Mapping[str, Any], target_name: str, subject_id: str | None) -> str:
    """What a text search looks in: the model/deployment id, the target and the input values."""
    parts: list[str] = [subject_id or "", target_name]
    for key in ("inputs", "batch_input_params"):
        section = body.get(key)
        if isinstance(section, Mapping):
            parts.extend(_flatten(section))
    return " ".join(part for part in parts if part)[:MAX_SEARCH_TEXT]


def _flatten(value: Any) -> Iterable[str]:
    if isinstance(value, Mapping):
        for item in value.values():
            yield from _flatten(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _flatten(item)
    elif isinstance(value, str):
        if not value.startswith("data:"):
            yield value[:_LONG_VALUE]
    elif value is not None:
        yield json.dumps(value)


def inputs_preview(body: Mapping[str, Any]) -> str:
    """A one-line summary of the inputs: ``prompt=A lighthouse · seed=42 · batch seed[3]``."""
    pieces: list[str] = []
    inputs = body.get("inputs")
    if isinstance(inputs, Mapping):
        pieces.extend(f"{key}={_short(value)}" for key, value in inputs.items())
    params = body.get("batch_input_params")
    if isinstance(params, Mapping):
        sizes = ", ".join(
            f"{key}[{len(values) if isinstance(values, list) else 1}]"
            for key, values in params.items()
        )
        pieces.append(f"batch {sizes}")
    text = " · ".join(pieces)
    return text if len(text) <= MAX_PREVIEW else text[: MAX_PREVIEW - 1] + "…"


def _short(value: Any) -> str:
    if isinstance(value, str):
        if value.startswith("data:"):
            return "<data URL>"
        return value if len(value) <= 60 else value[:59] + "…"
    return json.dumps(value, ensure_ascii=False)[:60]


def overall_status(statuses: Mapping[str | None, int], run_count: int, error: str | None) -> str:
    """A submission's status from how many of its runs have each status (None = not known yet).

    ``error`` when it was never accepted; ``submitted`` when no run status is known; while runs
    are going, the furthest along of them (``running`` also when some runs are not yet known);
    when all ended, their common status, else the most worrying one (failed > timeout > cancelled).
    """
    known = {status: count for status, count in statuses.items() if status and count}
    if not known:
        return "error" if error else "submitted"
    going = [status for status in known if status not in TERMINAL_STATUSES]
    finished = sum(count for status, count in known.items() if status in TERMINAL_STATUSES)
    if going:
        # The lifecycle order of composer.core.runs; a status composer does not know ranks last.
        return max(going, key=_going_rank)
    if finished < run_count:
        return "running"
    for outcome in _OUTCOME_RANK:
        if outcome in known:
            return outcome
    return next(iter(known))


def _going_rank(status: str) -> int:
    rank = status_rank(status)
    return -1 if rank is None else rank
