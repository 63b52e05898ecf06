"""Which API endpoint a request goes to: one pure function for the client, preview and snippets.

Rules (API-CONTRACT section 3): deployment runs use ``/run/deployment/{queue,sync,stream}``, except
batches and native runs, which only the generic ``/run`` answers properly (the queue route creates
the runs and then answers 500 because it can only answer ``{"run_id"}``); ``sync_first_result`` is
answered by ``/run``. Model runs are only accepted by the generic routes.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, NamedTuple

from composer.core.wire import RequestKind, kind_of


class Answer(StrEnum):
    """What the endpoint answers with, so the client knows how to read it."""

    RUN_ID = "run_id"  # {"run_id": ...}
    BATCH_ID = "batch_id"  # {"batch_id": ...}
    OUTPUTS = "outputs"  # a list of output objects, after the run ends
    FIRST_RESULT = "first_result"  # raw bytes of the first image
    STREAM = "stream"  # text/event-stream
    WORKER_PARAMS = "worker_params"  # is_native_run: parameters for a worker, nothing runs


# A NamedTuple: defined at start-up, where a dataclass would cost ten times as much.
class Endpoint(NamedTuple):
    """A method and a path relative to the API base (``/run/deployment/queue``)."""

    method: str
    path: str
    answer: Answer

    def url(self, base_url: str) -> str:
        """The full URL under ``base_url`` (which ends in ``/api``)."""
        return base_url.rstrip("/") + self.path

    def describe(self, base_url: str) -> str:
        """``POST https://api.comfydeploy.com/api/run/deployment/queue``."""
        return f"{self.method} {self.url(base_url)}"


def is_batch(body: Mapping[str, Any]) -> bool:
    """True when the body asks for several runs (batch params, even empty, or batch_number > 1)."""
    if body.get("batch_input_params") is not None:
        return True
    number = body.get("batch_number")
    return isinstance(number, int) and not isinstance(number, bool) and number > 1


def choose_endpoint(body: Mapping[str, Any], kind: RequestKind | None = None) -> Endpoint:
    """The endpoint this body is sent to, and the kind of answer to expect."""
    kind = kind or kind_of(dict(body)) or RequestKind.MODEL
    mode = body.get("execution_mode", "async")
    native = body.get("is_native_run") is True
    if native:
        return Endpoint("POST", "/run", Answer.WORKER_PARAMS)
    if is_batch(body):
        return Endpoint("POST", "/run", Answer.BATCH_ID)
    answer = {
        "sync": Answer.OUTPUTS,
        "sync_first_result": Answer.FIRST_RESULT,
        "stream": Answer.STREAM,
    }.get(str(mode), Answer.RUN_ID)
    if kind is RequestKind.DEPLOYMENT and answer is not Answer.FIRST_RESULT:
        suffix = {Answer.OUTPUTS: "sync", Answer.STREAM: "stream"}.get(answer, "queue")
        return Endpoint("POST", f"/run/deployment/{suffix}", answer)
    return Endpoint("POST", "/run", answer)
