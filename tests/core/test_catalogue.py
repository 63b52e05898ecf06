"""Catalogue types: typed inputs and the editor kind chosen for each."""

from __future__ import annotations

import pytest

from composer.core.catalogue import DeploymentInfo, InputSpec, ModelInfo


@pytest.mark.parametrize(
    ("spec", "kind"),
    [
        ({"input_id": "prompt", "class_type": "ComfyUIDeployExternalText"}, "text"),
        ({"input_id": "seed", "class_type": "ComfyUIDeployExternalSeed"}, "integer"),
        ({"input_id": "image", "class_type": "ComfyUIDeployExternalImage"}, "image"),
        ({"input_id": "cfg", "class_type": "ComfyUIDeployExternalNumber"}, "number"),
        ({"input_id": "steps", "class_type": "ComfyUIDeployExternalNumberInt"}, "integer"),
        ({"input_id": "hd", "class_type": "ComfyUIDeployExternalBoolean"}, "boolean"),
        (
            {
                "input_id": "style",
                "class_type": "ComfyUIDeployExternalEnum",
                "enum_values": ["a", "b"],
            },
            "enum",
        ),
        ({"input_id": "n", "default_value": 3}, "integer"),
        ({"input_id": "x", "default_value": 0.5}, "number"),
        ({"input_id": "flag", "default_value": False}, "boolean"),
    ],
)
def test_editor_kind(spec: dict[str, object], kind: str) -> None:
    assert InputSpec.model_validate(spec).value_type == kind


def test_unknown_keys_are_kept_and_labels_fall_back() -> None:
    model = ModelInfo.model_validate(
        {"id": "flux-dev", "inputs": [{"input_id": "prompt"}], "cost": 3}
    )
    assert model.model_extra == {"cost": 3}
    assert model.inputs[0].label == "prompt"
    deployment = DeploymentInfo.model_validate({"id": "d1", "workflow": {"name": "SDXL"}})
    assert deployment.label == "SDXL"
    assert DeploymentInfo(id="d2").label == "d2"


def test_deployment_enum_options_are_read_as_enum_values() -> None:
    # GET /models says enum_values; a deployment's input_types say enum_options.
    spec = InputSpec.model_validate(
        {"input_id": "style", "class_type": "ComfyUIDeployExternalEnum", "enum_options": ["a"]}
    )
    assert (spec.enum_values, spec.value_type) == (["a"], "enum")
