"""The run request kinds as pydantic models whose serialisation is the exact wire body.

The models mirror the server's own (FastAPI + pydantic v2, lax mode), so what they accept and
reject is what the API accepts and rejects. ``to_wire`` gives the body composer shows, saves and
sends: snake_case, only the fields that were set, keys in the contract's order, ints kept ints.
"""

from __future__ import annotations

from typing import Any, ClassVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from composer.core.wire import SHARED_FIELDS, ExecutionMode, Gpu, RequestKind

# What an entry of ``inputs`` may be. Smart-mode unions keep the exact JSON type: ``"42"`` stays a
# string, ``42`` an int, ``1.5`` a float, ``true`` a bool. Objects and null are rejected, as there.
InputValue = str | int | float | bool | list[Any]


class RunRequest(BaseModel):
    """The fields every run request shares (API-CONTRACT section 2), with the server's defaults."""

    model_config = ConfigDict(
        # The server ignores unknown keys; composer keeps them so nothing typed is lost, and warns.
        extra="allow",
        protected_namespaces=(),
        validate_default=False,
    )

    kind: ClassVar[RequestKind]

    execution_mode: ExecutionMode = "async"
    inputs: dict[str, InputValue] = Field(default_factory=dict)
    webhook: str | None = None
    webhook_intermediate_status: bool = False
    origin: str = "api"
    batch_number: int | None = None
    batch_input_params: dict[str, list[Any]] | None = None
    is_native_run: bool = False
    gpu_event_id: str | None = None
    gpu: Gpu | None = None

    def to_wire(self) -> dict[str, Any]:
        """The JSON body for the API: set fields only, in the contract's order, kind key last."""
        dumped = self.model_dump(mode="json", exclude_unset=True)
        ordered: dict[str, Any] = {}
        for name in (*SHARED_FIELDS, self.kind.key):
            if name in dumped:
                ordered[name] = dumped.pop(name)
        ordered.update(dumped)  # unknown keys the user typed, in their order
        return ordered

    @property
    def extra_keys(self) -> list[str]:
        """Keys the server will ignore (not fields of this request kind)."""
        return list(self.model_extra or {})

    @property
    def target_id(self) -> str:
        """The value of the kind's identifying key, as text."""
        return str(getattr(self, self.kind.key))


class ModelRunRequest(RunRequest):
    """A run of a catalogue model (``GET /models``): the seed type of the TypeScript SDK."""

    kind: ClassVar[RequestKind] = RequestKind.MODEL
    model_id: str


class DeploymentRunRequest(RunRequest):
    """A run of one of the user's deployments: the main production request."""

    kind: ClassVar[RequestKind] = RequestKind.DEPLOYMENT
    deployment_id: UUID


REQUEST_CLASSES: dict[RequestKind, type[RunRequest]] = {
    RequestKind.MODEL: ModelRunRequest,
    RequestKind.DEPLOYMENT: DeploymentRunRequest,
}
