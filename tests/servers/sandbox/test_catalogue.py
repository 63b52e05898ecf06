"""Catalogue endpoints: whole bodies, parsing with composer's own types, presets that run."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from composer.core.catalogue import DeploymentInfo, ModelInfo
from composer.core.presets import load_preset
from composer.core.wire import KNOWN_MODEL_IDS
from composer.servers.sandbox import Sandbox
from tests.servers.sandbox.helpers import POSTER, RESTYLE, SDXL, UNKNOWN_UUID

PRESETS = Path(__file__).resolve().parents[3] / "composer" / "resources" / "presets"


def test_models_need_no_token_and_list_every_contract_id(sandbox: Sandbox) -> None:
    answer = httpx.get(f"{sandbox.base_url}/models", trust_env=False)
    assert answer.status_code == 200
    models = answer.json()
    assert [m["id"] for m in models] == list(KNOWN_MODEL_IDS)
    files = f"{sandbox.base_url}/files"
    assert models[0] == {
        "id": "flux-dev",
        "name": "FLUX.1 [dev]",
        "description": "Text to image, 12B parameters: detailed, follows prompts closely.",
        "preview_image": f"{files}/previews/flux-dev.png",
        "tags": ["text-to-image", "flux"],
        "inputs": [
            {
                "input_id": "prompt",
                "class_type": "ComfyUIDeployExternalText",
                "required": True,
                "default_value": None,
                "min_value": None,
                "max_value": None,
                "display_name": "Prompt",
                "description": "What the image should show",
                "enum_values": None,
            },
            {
                "input_id": "seed",
                "class_type": "ComfyUIDeployExternalSeed",
                "required": False,
                "default_value": 0,
                "min_value": 0,
                "max_value": 4294967295,
                "display_name": "Seed",
                "description": "The same seed and inputs give the same image",
                "enum_values": None,
            },
            {
                "input_id": "steps",
                "class_type": "ComfyUIDeployExternalNumberInt",
                "required": False,
                "default_value": 28,
                "min_value": 1,
                "max_value": 50,
                "display_name": "Steps",
                "description": "Sampling steps: more is slower and finer",
                "enum_values": None,
            },
            {
                "input_id": "guidance",
                "class_type": "ComfyUIDeployExternalNumber",
                "required": False,
                "default_value": 3.5,
                "min_value": 1,
                "max_value": 10,
                "display_name": "Guidance",
                "description": "Prompt strength",
                "enum_values": None,
            },
        ],
        "outputs": [{"class_type": "SaveImage", "output_id": "output_image"}],
        "gpu": "H100",
    }


def test_models_parse_as_model_info_with_typed_inputs(sandbox: Sandbox) -> None:
    models = [
        ModelInfo.model_validate(item)
        for item in httpx.get(f"{sandbox.base_url}/models", trust_env=False).json()
    ]
    kinds = {m.id: {i.input_id: i.value_type for i in m.inputs} for m in models}
    assert kinds["flux-dev"] == {
        "prompt": "text",
        "seed": "integer",
        "steps": "integer",
        "guidance": "number",
    }
    assert kinds["flux-schnell"] == {"prompt": "text", "seed": "integer", "steps": "integer"}
    assert kinds["flux-dev-image-to-image"]["input_image"] == "image"  # image-to-image
    assert kinds["flux-pro-v1.1-ultra"]["aspect_ratio"] == "enum"  # an enum input
    assert kinds["flux-pro-v1.1-ultra"]["raw"] == "boolean"


def test_deployment_body_whole(sandbox: Sandbox, sandbox_http: httpx.Client) -> None:
    files = f"{sandbox.base_url}/files"
    body = sandbox_http.get(f"/deployment/{POSTER}").json()
    workflow_id = body["workflow_id"]
    machine_id = body["machine_id"]
    assert body == {
        "id": POSTER,
        "user_id": "user_sandbox",
        "org_id": None,
        "workflow_version_id": body["workflow_version_id"],
        "workflow_id": workflow_id,
        "machine_id": machine_id,
        "share_slug": None,
        "description": "Text to image with a choice of poster styles.",
        "share_options": None,
        "showcase_media": None,
        "environment": "staging",
        "created_at": "2025-03-14T09:26:53.589Z",
        "updated_at": "2025-03-14T09:26:53.589Z",
        "workflow": {
            "id": workflow_id,
            "name": "Poster in a style",
            "cover_url": f"{files}/previews/{POSTER}.png",
        },
        "version": {"version": 1},
        "machine": {"id": machine_id, "name": "sandbox-a10g"},
        "input_types": [
            {
                "type": "string",
                "class_type": "ComfyUIDeployExternalText",
                "input_id": "prompt",
                "default_value": "A mountain village at night",
                "min_value": None,
                "max_value": None,
                "display_name": "Prompt",
                "description": "What the image should show",
                "enum_options": None,
                "step": None,
            },
            {
                "type": "enum",
                "class_type": "ComfyUIDeployExternalEnum",
                "input_id": "style",
                "default_value": "art deco",
                "min_value": None,
                "max_value": None,
                "display_name": "Style",
                "description": "The poster style",
                "enum_options": ["art deco", "swiss grid", "risograph", "ukiyo-e", "bauhaus"],
                "step": None,
            },
            {
                "type": "integer",
                "class_type": "ComfyUIDeployExternalSeed",
                "input_id": "seed",
                "default_value": 0,
                "min_value": 0,
                "max_value": 4294967295,
                "display_name": "Seed",
                "description": "The same seed and inputs give the same image",
                "enum_options": None,
                "step": None,
            },
        ],
        "output_types": [{"class_type": "SaveImage", "output_id": "output_image"}],
        "dub_link": None,
        "gpu": "A10G",
        "machine_version_id": None,
        "modal_image_id": None,
        "concurrency_limit": None,
        "run_timeout": 300,
        "idle_timeout": 60,
        "keep_warm": 0,
        "activated_at": "2025-03-14T09:26:53.589Z",
        "modal_app_id": None,
    }
    for key in ("workflow_id", "machine_id", "workflow_version_id"):
        assert len(body[key]) == 36


def test_deployments_parse_as_deployment_info(sandbox_http: httpx.Client) -> None:
    listed = [DeploymentInfo.model_validate(d) for d in sandbox_http.get("/deployments").json()]
    assert [d.id for d in listed] == [SDXL, RESTYLE, POSTER]
    sdxl = DeploymentInfo.model_validate(sandbox_http.get(f"/deployment/{SDXL}").json())
    assert sdxl.label == "SDXL text to image"
    assert [i.input_id for i in sdxl.input_types] == [
        "positive_prompt",
        "negative_prompt",
        "seed",
        "steps",
        "cfg",
    ]
    restyle = {i.input_id: i.value_type for i in listed[1].input_types}
    poster = {i.input_id: i for i in listed[2].input_types}
    assert restyle["input_image"] == "image"
    assert poster["style"].value_type == "enum"
    assert poster["style"].enum_values == [
        "art deco",
        "swiss grid",
        "risograph",
        "ukiyo-e",
        "bauhaus",
    ]
    staging = sandbox_http.get("/deployments", params={"environment": "staging"}).json()
    assert [d["id"] for d in staging] == [POSTER]


def test_unknown_deployment_is_404_and_bad_id_422(sandbox_http: httpx.Client) -> None:
    missing = sandbox_http.get(f"/deployment/{UNKNOWN_UUID}")
    assert (missing.status_code, missing.json()) == (404, {"detail": "Deployment not found"})
    runs = sandbox_http.get(f"/deployment/{UNKNOWN_UUID}/runs")
    assert (runs.status_code, runs.json()) == (404, {"detail": "Deployment not found"})
    bad = sandbox_http.get("/deployment/not-a-uuid")
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["path", "deployment_id"]
    assert bad.json()["detail"][0]["type"] == "uuid_parsing"


def test_preview_images_are_public_pngs(sandbox: Sandbox) -> None:
    answer = httpx.get(f"{sandbox.base_url}/files/previews/flux-dev.png", trust_env=False)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "image/png"
    assert answer.content.startswith(b"\x89PNG\r\n\x1a\n")
    missing = httpx.get(f"{sandbox.base_url}/files/nothing.png", trust_env=False)
    assert (missing.status_code, missing.json()) == (404, {"detail": "File not found"})


@pytest.mark.parametrize(
    "name", ["flux-dev-portrait.json", "deployment-run.json", "batch-grid-3x3.json"]
)
def test_sample_presets_run_unchanged(
    name: str, sandbox: Sandbox, sandbox_http: httpx.Client
) -> None:
    preset = load_preset(PRESETS / name)
    answer = sandbox_http.post("/run", json=preset.request)
    assert answer.status_code == 200, answer.text
    runs = sandbox.wait_all()
    assert runs and all(run["status"] == "success" for run in runs)
    expected_inputs = preset.request["inputs"]
    for run in runs:
        # Each run received the preset's inputs (batch columns override theirs).
        overridden = set(preset.request.get("batch_input_params", {}))
        assert {k: v for k, v in run["workflow_inputs"].items() if k not in overridden} == {
            k: v for k, v in expected_inputs.items() if k not in overridden
        }
    assert len(runs) == (9 if "batch" in name else 1)


def test_seed_example_preset_is_a_native_batch(
    sandbox: Sandbox, sandbox_http: httpx.Client
) -> None:
    # The SDK's placeholder model id must be replaced; with a real id the body is accepted.
    body = json.loads((PRESETS / "seed-example.json").read_text())["request"]
    placeholder = sandbox_http.post("/run", json=body)
    assert (placeholder.status_code, placeholder.json()) == (404, {"detail": "Model not found"})
    body["model_id"] = "flux-dev"
    answer = sandbox_http.post("/run", json=body)
    assert answer.status_code == 200
    assert list(answer.json()) == ["batch_id"]
    runs = sandbox.runs()
    assert len(runs) == 9  # batch_input_params wins over batch_number: 3 x 3
    assert {r["status"] for r in runs} == {"not-started"}  # native: nothing runs


def test_interactive_docs_are_served_without_a_token(sandbox: Sandbox) -> None:
    schema = httpx.get(f"{sandbox.base_url}/openapi.json", trust_env=False)
    assert schema.status_code == 200
    assert "/api/run/deployment/queue" in schema.json()["paths"]
    page = httpx.get(f"{sandbox.base_url}/docs", trust_env=False)
    assert page.status_code == 200 and "/api/openapi.json" in page.text
