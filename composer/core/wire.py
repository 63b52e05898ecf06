"""Facts of the ComfyDeploy wire format (API-CONTRACT section 2) shared by every layer."""

from __future__ import annotations

from enum import StrEnum
from typing import Final, Literal


class RequestKind(StrEnum):
    """Which run request a body is; each kind adds one identifying key to the shared fields."""

    MODEL = "model"
    DEPLOYMENT = "deployment"

    @property
    def key(self) -> str:
        """The wire key that identifies this kind (``model_id`` or ``deployment_id``)."""
        return KIND_KEYS[self]

    @property
    def label(self) -> str:
        """A human name for menus and messages."""
        return "Model run" if self is RequestKind.MODEL else "Deployment run"


KIND_KEYS: Final[dict[RequestKind, str]] = {
    RequestKind.MODEL: "model_id",
    RequestKind.DEPLOYMENT: "deployment_id",
}

ExecutionMode = Literal["async", "sync", "sync_first_result", "stream"]
EXECUTION_MODES: Final[tuple[str, ...]] = ("async", "sync", "sync_first_result", "stream")
DEFAULT_EXECUTION_MODE: Final = "async"

EXECUTION_MODE_HELP: Final[dict[str, str]] = {
    "async": "Queue the run and answer with its id at once; follow it by polling or webhooks.",
    "sync": "Wait until the run ends and answer with its outputs (the request stays open).",
    "sync_first_result": "Wait for the first image and answer with its raw bytes.",
    "stream": "Answer with a server-sent event stream of progress, logs and the final status.",
}

Gpu = Literal["CPU", "T4", "L4", "A10G", "L40S", "A100", "A100-80GB", "H100", "H200", "B200"]
GPUS: Final[tuple[str, ...]] = (
    "CPU",
    "T4",
    "L4",
    "A10G",
    "L40S",
    "A100",
    "A100-80GB",
    "H100",
    "H200",
    "B200",
)

# The server stores any origin, but its database only knows these; others fail later with 500.
KNOWN_ORIGINS: Final[tuple[str, ...]] = (
    "api",
    "manual",
    "public-share",
    "public-template",
    "workspace",
    "workspace-v2",
)
DEFAULT_ORIGIN: Final = "api"

# The order of API-CONTRACT's table; the kind key comes last, as in the seed example.
SHARED_FIELDS: Final[tuple[str, ...]] = (
    "execution_mode",
    "inputs",
    "webhook",
    "webhook_intermediate_status",
    "origin",
    "batch_number",
    "batch_input_params",
    "is_native_run",
    "gpu_event_id",
    "gpu",
)

# What the server assumes for a field left out of the body.
SERVER_DEFAULTS: Final[dict[str, object]] = {
    "execution_mode": "async",
    "inputs": {},
    "webhook": None,
    "webhook_intermediate_status": False,
    "origin": "api",
    "batch_number": None,
    "batch_input_params": None,
    "is_native_run": False,
    "gpu_event_id": None,
    "gpu": None,
}

# The TypeScript SDK's camelCase names; the API ignores them silently, so composer converts them.
CAMEL_TO_SNAKE: Final[dict[str, str]] = {
    "executionMode": "execution_mode",
    "webhookIntermediateStatus": "webhook_intermediate_status",
    "batchNumber": "batch_number",
    "batchInputParams": "batch_input_params",
    "isNativeRun": "is_native_run",
    "gpuEventId": "gpu_event_id",
    "modelId": "model_id",
    "deploymentId": "deployment_id",
}

# Known model ids of the catalogue (GET /models).
KNOWN_MODEL_IDS: Final[tuple[str, ...]] = (
    "flux-dev",
    "flux-schnell",
    "omnigen-v1",
    "flux-pro-v1.1-ultra",
    "sd-v35-medium",
    "sd-v35-large",
    "recraft-v3",
    "flux-dev-image-to-image",
    "minimax-video-image-to-video",
)

TERMINAL_STATUSES: Final[frozenset[str]] = frozenset({"success", "failed", "timeout", "cancelled"})
RUN_STATUSES: Final[tuple[str, ...]] = (
    "not-started",
    "queued",
    "started",
    "running",
    "uploading",
    "success",
    "failed",
    "timeout",
    "cancelled",
)


def kind_of(body: dict[str, object]) -> RequestKind | None:
    """The kind a wire body is taken as; the server reads a body with both keys as a model run."""
    if "model_id" in body:
        return RequestKind.MODEL
    if "deployment_id" in body:
        return RequestKind.DEPLOYMENT
    return None


def guess_kind(raw: object, body: dict[str, object]) -> RequestKind:
    """The kind a stored request says it is (``raw``, e.g. ``"model"``), else the one its body
    names, else a model run: for stored requests whose kind may be missing or unknown."""
    try:
        return RequestKind(str(raw))
    except ValueError:
        return kind_of(body) or RequestKind.MODEL
