"""What a submit answers, one type per kind of answer (:class:`composer.core.endpoints.Answer`).

``ApiClient.submit`` returns one of these; ``match`` on the type to handle each::

    match await api.submit(body):
        case RunQueued(run_id=run_id): ...
        case BatchQueued(batch_id=batch_id, runs=runs): ...
        case SyncOutputs(outputs=outputs): ...
        case FirstResult(content=content, content_type=content_type): ...
        case NativeRun(params=params): ...
        case StreamOpened(stream=stream): ...   # async for update in stream
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from composer.core.endpoints import Endpoint
from composer.core.runs import RunOutput, RunUpdate

if TYPE_CHECKING:
    from composer.client.stream import RunStream


@dataclass(frozen=True, slots=True)
class Submission:
    """Common to every answer: where the body went and the body itself (exactly what was sent)."""

    endpoint: Endpoint
    body: Mapping[str, Any] = field(repr=False)


@dataclass(frozen=True, slots=True)
class RunQueued(Submission):
    """One run was created (``{"run_id"}``); follow it with a tracker."""

    run_id: str


@dataclass(frozen=True, slots=True)
class BatchQueued(Submission):
    """Several runs were created, but the API names only the batch (``{"batch_id"}``).

    ``runs`` is each run's ``inputs`` in the order the server creates them
    (:func:`composer.core.batch.expand_runs`); the run ids are discovered afterwards.
    ``deployment_id`` is set for a deployment batch, whose runs ``GET /deployment/{id}/runs``
    lists; ``submitted_at`` is the client's clock when the POST was answered.
    """

    batch_id: str
    runs: tuple[Mapping[str, Any], ...]
    deployment_id: str | None = None
    submitted_at: float = 0.0

    @property
    def count(self) -> int:
        """How many runs the batch starts."""
        return len(self.runs)


@dataclass(frozen=True, slots=True)
class SyncOutputs(Submission):
    """A sync run ended and the answer holds its outputs (newest first, as the API sends them).

    ``run_id`` is read from the outputs (None when the run saved nothing).
    """

    outputs: tuple[RunOutput, ...]
    run_id: str | None = None


@dataclass(frozen=True, slots=True)
class FirstResult(Submission):
    """``sync_first_result``: the raw bytes of the first result and their content type."""

    content: bytes = field(repr=False)
    content_type: str
    filename: str | None = None


@dataclass(frozen=True, slots=True)
class NativeRun(Submission):
    """``is_native_run``: the server created the run without running it; ``params`` is what a
    worker would need to run it."""

    params: Mapping[str, Any]
    run_id: str | None = None


@dataclass(frozen=True, slots=True)
class StreamOpened(Submission):
    """A stream-mode run: read its updates from ``stream`` (and close it when done)."""

    stream: RunStream


SubmitResult = RunQueued | BatchQueued | SyncOutputs | FirstResult | NativeRun | StreamOpened


@dataclass(frozen=True, slots=True)
class CancelResult:
    """The API's answer to ``POST /run/{id}/cancel``: ``{"status", "message"}``."""

    run_id: str
    status: str
    message: str

    @property
    def ok(self) -> bool:
        """True when the API said the cancel succeeded."""
        return self.status == "success"


@dataclass(frozen=True, slots=True)
class DeploymentRuns:
    """One page of ``GET /deployment/{id}/runs``: the runs (as poll updates) and the page meta."""

    runs: tuple[RunUpdate, ...]
    meta: Mapping[str, Any] = field(default_factory=dict)
