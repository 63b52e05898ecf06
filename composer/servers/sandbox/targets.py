"""The kinds of thing the sandbox's catalogue is made of: typed inputs, workflow nodes, outputs,
and the targets (models and deployments) that runs execute, with the JSON shapes they are served in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final, Literal
from uuid import UUID, uuid5

_NAMESPACE: Final = UUID("5b1f8f3e-8d0c-4f7e-9a51-3c5d2f6b7a90")
SANDBOX_USER_ID: Final = "user_sandbox"
CATALOGUE_CREATED_AT: Final = "2025-03-14T09:26:53.589Z"


def stable_uuid(name: str) -> UUID:
    """A UUID that is the same in every sandbox for the same name."""
    return uuid5(_NAMESPACE, name)


@dataclass(frozen=True, slots=True)
class InputDef:
    """One external input of a workflow."""

    input_id: str
    class_type: str
    default: Any = None
    required: bool = False
    min_value: float | None = None
    max_value: float | None = None
    display_name: str = ""
    description: str = ""
    enum_values: tuple[str, ...] | None = None
    step: float | None = None

    @property
    def value_type(self) -> str:
        """The deployment API's ``type`` word for this input."""
        name = self.class_type.removeprefix("ComfyUIDeployExternal")
        return {
            "Text": "string",
            "Seed": "integer",
            "NumberInt": "integer",
            "Number": "float",
            "NumberSlider": "float",
            "Boolean": "boolean",
            "Image": "image",
            "Enum": "enum",
        }.get(name, "string")


@dataclass(frozen=True, slots=True)
class NodeDef:
    """One executed node: ``seconds`` at speed 1, or per step when ``steps_input`` is set."""

    node_id: str
    class_type: str
    seconds: float
    steps_input: str | None = None
    default_steps: int = 20


@dataclass(frozen=True, slots=True)
class OutputDef:
    """What a workflow saves: ``kind`` is the key in an output's ``data`` (images, gifs, text)."""

    node_id: str
    output_id: str
    kind: Literal["images", "gifs", "text"]
    class_type: str


@dataclass(frozen=True, slots=True)
class Target:
    """A model or a deployment: what a run executes."""

    kind: Literal["model", "deployment"]
    id: str
    name: str
    description: str
    inputs: tuple[InputDef, ...]
    pipeline: tuple[NodeDef, ...]
    outputs: tuple[OutputDef, ...]
    gpu: str = "A10G"
    tags: tuple[str, ...] = ()
    environment: str = "production"
    run_timeout: int = 300
    concurrency_limit: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def machine_id(self) -> UUID:
        """The machine a target's runs execute on (its queue)."""
        return stable_uuid(f"machine:{self.id}")

    @property
    def workflow_id(self) -> UUID | None:
        """The deployment's workflow; model runs have none."""
        return stable_uuid(f"workflow:{self.id}") if self.kind == "deployment" else None

    @property
    def workflow_version_id(self) -> UUID | None:
        """The deployed workflow version; model runs have none."""
        return stable_uuid(f"version:{self.id}") if self.kind == "deployment" else None

    @property
    def nodes(self) -> tuple[NodeDef, ...]:
        """Every node a run executes: the input nodes first, then the pipeline."""
        input_nodes = tuple(
            NodeDef(str(100 + index), spec.class_type, 0.02)
            for index, spec in enumerate(self.inputs)
        )
        return input_nodes + self.pipeline

    def input(self, input_id: str) -> InputDef | None:
        """The input with this id, if the workflow has one."""
        return next((spec for spec in self.inputs if spec.input_id == input_id), None)

    def defaults(self) -> dict[str, Any]:
        """The value of each input a run gets when the request leaves it out."""
        return {spec.input_id: spec.default for spec in self.inputs if spec.default is not None}


# --- the JSON shapes of the catalogue endpoints ---


def model_json(target: Target, files_url: str) -> dict[str, Any]:
    """One entry of ``GET /models``."""
    return {
        "id": target.id,
        "name": target.name,
        "description": target.description,
        "preview_image": f"{files_url}/previews/{target.id}.png",
        "tags": list(target.tags),
        "inputs": [
            {
                "input_id": spec.input_id,
                "class_type": spec.class_type,
                "required": spec.required,
                "default_value": spec.default,
                "min_value": spec.min_value,
                "max_value": spec.max_value,
                "display_name": spec.display_name,
                "description": spec.description,
                "enum_values": list(spec.enum_values) if spec.enum_values else None,
            }
            for spec in target.inputs
        ],
        "outputs": [
            {"class_type": out.class_type, "output_id": out.output_id} for out in target.outputs
        ],
        "gpu": target.gpu,
    }


def deployment_json(target: Target, files_url: str) -> dict[str, Any]:
    """One deployment as ``GET /deployments`` and ``GET /deployment/{id}`` answer it."""
    return {
        "id": target.id,
        "user_id": SANDBOX_USER_ID,
        "org_id": None,
        "workflow_version_id": str(target.workflow_version_id),
        "workflow_id": str(target.workflow_id),
        "machine_id": str(target.machine_id),
        "share_slug": None,
        "description": target.description,
        "share_options": None,
        "showcase_media": None,
        "environment": target.environment,
        "created_at": CATALOGUE_CREATED_AT,
        "updated_at": CATALOGUE_CREATED_AT,
        "workflow": {
            "id": str(target.workflow_id),
            "name": target.name,
            "cover_url": f"{files_url}/previews/{target.id}.png",
        },
        "version": {"version": 1},
        "machine": {"id": str(target.machine_id), "name": f"sandbox-{target.gpu.lower()}"},
        "input_types": [
            {
                "type": spec.value_type,
                "class_type": spec.class_type,
                "input_id": spec.input_id,
                "default_value": spec.default,
                "min_value": spec.min_value,
                "max_value": spec.max_value,
                "display_name": spec.display_name,
                "description": spec.description,
                "enum_options": list(spec.enum_values) if spec.enum_values else None,
                "step": spec.step,
            }
            for spec in target.inputs
        ],
        "output_types": [
            {"class_type": out.class_type, "output_id": out.output_id} for out in target.outputs
        ],
        "dub_link": None,
        "gpu": target.gpu,
        "machine_version_id": None,
        "modal_image_id": None,
        "concurrency_limit": target.concurrency_limit,
        "run_timeout": target.run_timeout,
        "idle_timeout": 60,
        "keep_warm": 0,
        "activated_at": CATALOGUE_CREATED_AT,
        "modal_app_id": None,
    }
