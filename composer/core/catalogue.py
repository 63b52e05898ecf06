"""What a target offers: catalogue models (``GET /models``) and deployments, with typed inputs.

The sandbox serves these shapes, the client parses answers into them, and the form turns each
:class:`InputSpec` into a typed input row (defaults, ranges, choices, description as tooltip).
Unknown keys are kept (``extra="allow"``): the real API adds fields over time.
"""

from __future__ import annotations

from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field


class InputSpec(BaseModel):
    """One declared input of a model or deployment (an external input node of the workflow)."""

    model_config = ConfigDict(extra="allow")

    input_id: str
    class_type: str | None = None
    required: bool | None = None
    default_value: Any = None
    min_value: float | None = None
    max_value: float | None = None
    display_name: str | None = None
    description: str | None = None
    # /models says enum_values; a deployment's input_types say enum_options.
    enum_values: list[Any] | None = Field(
        default=None, validation_alias=AliasChoices("enum_values", "enum_options")
    )

    @property
    def value_type(self) -> str:
        """The editor kind for this input: text, integer, number, boolean, image, list or enum."""
        if self.enum_values:
            return "enum"
        name = (self.class_type or "").lower()
        for marker, kind in _CLASS_TYPE_KINDS:
            if marker in name:
                return kind
        default = self.default_value
        if isinstance(default, bool):
            return "boolean"
        if isinstance(default, int):
            return "integer"
        if isinstance(default, float):
            return "number"
        if isinstance(default, list):
            return "list"
        return "text"

    @property
    def label(self) -> str:
        """The name people read: the display name, else the input id."""
        return self.display_name or self.input_id


# Substrings of ComfyDeploy's external-input class types, most specific first.
_CLASS_TYPE_KINDS: tuple[tuple[str, str], ...] = (
    ("image", "image"),
    ("video", "image"),
    ("seed", "integer"),
    ("numberint", "integer"),
    ("integer", "integer"),
    ("slider", "number"),
    ("number", "number"),
    ("float", "number"),
    ("boolean", "boolean"),
    ("checkpoint", "enum"),
    ("lora", "enum"),
    ("text", "text"),
)


class ModelInfo(BaseModel):
    """A catalogue model of ``GET /models``; its ``id`` is a ``model_id``."""

    model_config = ConfigDict(extra="allow")

    id: str
    name: str | None = None
    inputs: list[InputSpec] = Field(default_factory=list)
    outputs: list[Any] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    preview_image: str | None = None
    description: str | None = None


class DeploymentInfo(BaseModel):
    """A deployment of ``GET /deployments`` or ``GET /deployment/{id}``."""

    model_config = ConfigDict(extra="allow")

    id: str
    name: str | None = None
    description: str | None = None
    environment: str | None = None
    gpu: str | None = None
    input_types: list[InputSpec] = Field(default_factory=list)

    @property
    def label(self) -> str:
        """The name people read: the deployment's name, else its workflow's, else its id."""
        workflow = (self.model_extra or {}).get("workflow")
        if self.name:
            return self.name
        if isinstance(workflow, dict) and workflow.get("name"):
            return str(workflow["name"])
        return self.id
