"""Server-side request models that mirror the real backend's, so 422 bodies come out the same.

The real API is FastAPI + pydantic v2 with these four request kinds; the generic routes take the
union of all four, in this order, which makes FastAPI report each member's errors under its class
name (``["body", "ModelRunRequest", "model_id"]``) and take a body holding both ``model_id`` and
``deployment_id`` as a model run (the string ``model_id`` matches strictly, the UUID does not).
These are deliberately separate from ``composer.core.request``: that is the client's view, this is
the server's, and the contract tests check that the two agree.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


class MachineGPU(StrEnum):
    """The GPUs a run may ask for."""

    CPU = "CPU"
    T4 = "T4"
    L4 = "L4"
    A10G = "A10G"
    L40S = "L40S"
    A100 = "A100"
    A100_80GB = "A100-80GB"
    H100 = "H100"
    H200 = "H200"
    B200 = "B200"


class WorkflowRequestShare(BaseModel):
    """The fields every run request shares, with the server's defaults and nullability."""

    # The server ignores unknown keys (a camelCase key is lost without an error).
    model_config = ConfigDict(extra="ignore", protected_namespaces=())

    execution_mode: Literal["async", "sync", "sync_first_result", "stream"] | None = "async"
    inputs: dict[str, str | int | float | bool | list[Any]] = Field(default_factory=dict)
    webhook: str | None = None
    webhook_intermediate_status: bool = False
    origin: str | None = "api"
    batch_number: int | None = None
    batch_input_params: dict[str, list[Any]] | None = None
    is_native_run: bool | None = False
    gpu_event_id: str | None = None
    gpu: MachineGPU | None = None
    flags: list[str] | None = None


class WorkflowRunVersionRequest(WorkflowRequestShare):
    """Run one version of a workflow on a machine."""

    workflow_version_id: UUID
    machine_id: UUID | None = None


class WorkflowRunRequest(WorkflowRequestShare):
    """Run a workflow given as API JSON on a machine."""

    workflow_id: UUID
    workflow_api_json: dict[str, Any]
    workflow: dict[str, Any] | None = None
    machine_id: UUID | None = None


class DeploymentRunRequest(WorkflowRequestShare):
    """Run a deployment: the main production request."""

    deployment_id: UUID


class ModelRunRequest(WorkflowRequestShare):
    """Run a catalogue model (``GET /models``)."""

    model_id: str


# The order matters: it is the real backend's, and FastAPI reports errors in it.
CreateRunRequest = (
    WorkflowRunVersionRequest | WorkflowRunRequest | DeploymentRunRequest | ModelRunRequest
)
