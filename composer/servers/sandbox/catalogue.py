"""What the sandbox can run: the catalogue models and a few believable deployments.

Each target has typed inputs (served by ``GET /models`` and ``GET /deployment/{id}``), a small
ComfyUI-like workflow whose nodes the lifecycle executes one by one (per-node progress and
``live_status``), and the outputs it saves. The model ids are the real catalogue's, so a request
written for the real service runs here unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final
from uuid import UUID

from composer.servers.sandbox.targets import (
    InputDef,
    NodeDef,
    OutputDef,
    Target,
    deployment_json,
    model_json,
)

__all__ = [
    "ALL_TARGETS",
    "DEPLOYMENTS",
    "MODELS",
    "deployment_json",
    "find_deployment",
    "find_model",
    "model_json",
]


# --- input and pipeline building blocks ---


def _prompt(input_id: str = "prompt", default: str = "", required: bool = True) -> InputDef:
    label = input_id.replace("_", " ").capitalize()
    return InputDef(
        input_id,
        "ComfyUIDeployExternalText",
        default or None,
        required,
        display_name=label,
        description="What the image should show" if "negative" not in input_id else "What to avoid",
    )


def _seed(default: int = 0) -> InputDef:
    return InputDef(
        "seed",
        "ComfyUIDeployExternalSeed",
        default,
        min_value=0,
        max_value=2**32 - 1,
        display_name="Seed",
        description="The same seed and inputs give the same image",
    )


def _steps(default: int, maximum: int) -> InputDef:
    return InputDef(
        "steps",
        "ComfyUIDeployExternalNumberInt",
        default,
        min_value=1,
        max_value=maximum,
        display_name="Steps",
        description="Sampling steps: more is slower and finer",
    )


def _number(input_id: str, default: float, low: float, high: float, text: str) -> InputDef:
    return InputDef(
        input_id,
        "ComfyUIDeployExternalNumber",
        default,
        min_value=low,
        max_value=high,
        display_name=input_id.replace("_", " ").capitalize(),
        description=text,
        step=0.1 if high > 1 else 0.05,
    )


def _image(input_id: str = "input_image", required: bool = True) -> InputDef:
    return InputDef(
        input_id,
        "ComfyUIDeployExternalImage",
        None,
        required,
        display_name="Input image",
        description="A URL or a data:image/png;base64 string",
    )


def _enum(input_id: str, values: Iterable[str], text: str) -> InputDef:
    choices = tuple(values)
    return InputDef(
        input_id,
        "ComfyUIDeployExternalEnum",
        choices[0],
        display_name=input_id.replace("_", " ").capitalize(),
        description=text,
        enum_values=choices,
    )


def _sd_pipeline(checkpoint_seconds: float = 1.2, per_step: float = 0.12) -> tuple[NodeDef, ...]:
    return (
        NodeDef("4", "CheckpointLoaderSimple", checkpoint_seconds),
        NodeDef("6", "CLIPTextEncode", 0.2),
        NodeDef("7", "CLIPTextEncode", 0.2),
        NodeDef("5", "EmptyLatentImage", 0.05),
        NodeDef("3", "KSampler", per_step, steps_input="steps", default_steps=20),
        NodeDef("8", "VAEDecode", 0.4),
        NodeDef("9", "SaveImage", 0.3),
    )


def _flux_pipeline(per_step: float, default_steps: int) -> tuple[NodeDef, ...]:
    return (
        NodeDef("12", "UNETLoader", 1.5),
        NodeDef("11", "DualCLIPLoader", 0.8),
        NodeDef("10", "VAELoader", 0.3),
        NodeDef("6", "CLIPTextEncode", 0.25),
        NodeDef("26", "FluxGuidance", 0.02),
        NodeDef("27", "EmptySD3LatentImage", 0.05),
        NodeDef("31", "KSampler", per_step, steps_input="steps", default_steps=default_steps),
        NodeDef("8", "VAEDecode", 0.4),
        NodeDef("9", "SaveImage", 0.3),
    )


def _img2img_pipeline(per_step: float = 0.12) -> tuple[NodeDef, ...]:
    return (
        NodeDef("4", "CheckpointLoaderSimple", 1.2),
        NodeDef("20", "LoadImage", 0.3),
        NodeDef("21", "ImageScale", 0.1),
        NodeDef("22", "VAEEncode", 0.3),
        NodeDef("6", "CLIPTextEncode", 0.2),
        NodeDef("3", "KSampler", per_step, steps_input="steps", default_steps=20),
        NodeDef("8", "VAEDecode", 0.4),
        NodeDef("9", "SaveImage", 0.3),
    )


_IMAGE_OUT: Final = OutputDef("9", "output_image", "images", "SaveImage")

ASPECT_RATIOS: Final = ("1:1", "16:9", "21:9", "4:3", "3:4", "9:16")

MODELS: Final[tuple[Target, ...]] = (
    Target(
        "model",
        "flux-dev",
        "FLUX.1 [dev]",
        "Text to image, 12B parameters: detailed, follows prompts closely.",
        (_prompt(), _seed(), _steps(28, 50), _number("guidance", 3.5, 1, 10, "Prompt strength")),
        _flux_pipeline(0.15, 28),
        (_IMAGE_OUT,),
        gpu="H100",
        tags=("text-to-image", "flux"),
    ),
    Target(
        "model",
        "flux-schnell",
        "FLUX.1 [schnell]",
        "Text to image in a few steps: the fast FLUX.",
        (_prompt(), _seed(), _steps(4, 8)),
        _flux_pipeline(0.15, 4),
        (_IMAGE_OUT,),
        gpu="A100",
        tags=("text-to-image", "flux", "fast"),
    ),
    Target(
        "model",
        "omnigen-v1",
        "OmniGen v1",
        "One model for generation and editing: an optional image guides the result.",
        (
            _prompt(),
            _image("input_image", required=False),
            _seed(),
            _number("guidance", 2.5, 1, 5, "Prompt strength"),
        ),
        _img2img_pipeline(0.1),
        (_IMAGE_OUT,),
        gpu="A100",
        tags=("text-to-image", "image-to-image"),
    ),
    Target(
        "model",
        "flux-pro-v1.1-ultra",
        "FLUX1.1 [pro] ultra",
        "Up to 4 megapixels, with a choice of aspect ratios.",
        (
            _prompt(),
            _seed(),
            _enum("aspect_ratio", ASPECT_RATIOS, "Width to height of the image"),
            InputDef(
                "raw",
                "ComfyUIDeployExternalBoolean",
                False,
                display_name="Raw",
                description="Less processed, more natural looking images",
            ),
        ),
        _flux_pipeline(0.2, 20),
        (_IMAGE_OUT,),
        gpu="H100",
        tags=("text-to-image", "flux", "pro"),
    ),
    Target(
        "model",
        "sd-v35-medium",
        "Stable Diffusion 3.5 Medium",
        "Text to image, 2.5B parameters.",
        (
            _prompt(),
            _prompt("negative_prompt", required=False),
            _seed(),
            _steps(28, 50),
            _number("cfg", 4.5, 1, 10, "Classifier-free guidance"),
        ),
        _sd_pipeline(1.0, 0.08),
        (_IMAGE_OUT,),
        gpu="L40S",
        tags=("text-to-image", "stable-diffusion"),
    ),
    Target(
        "model",
        "sd-v35-large",
        "Stable Diffusion 3.5 Large",
        "Text to image, 8B parameters.",
        (
            _prompt(),
            _prompt("negative_prompt", required=False),
            _seed(),
            _steps(28, 50),
            _number("cfg", 4.5, 1, 10, "Classifier-free guidance"),
        ),
        _sd_pipeline(1.6, 0.14),
        (_IMAGE_OUT,),
        gpu="A100",
        tags=("text-to-image", "stable-diffusion"),
    ),
    Target(
        "model",
        "recraft-v3",
        "Recraft V3",
        "Text to image in a chosen style, good at text in images.",
        (
            _prompt(),
            _enum(
                "style",
                ("realistic_image", "digital_illustration", "vector_illustration", "icon"),
                "The look of the result",
            ),
        ),
        _sd_pipeline(0.6, 0.1),
        (_IMAGE_OUT,),
        gpu="L4",
        tags=("text-to-image", "style"),
    ),
    Target(
        "model",
        "flux-dev-image-to-image",
        "FLUX.1 [dev] image to image",
        "Redraws an input image following a prompt.",
        (
            _image(),
            _prompt(),
            _number("strength", 0.85, 0, 1, "How far to move away from the input image"),
            _seed(),
            _steps(28, 50),
        ),
        _img2img_pipeline(0.15),
        (_IMAGE_OUT,),
        gpu="H100",
        tags=("image-to-image", "flux"),
    ),
    Target(
        "model",
        "minimax-video-image-to-video",
        "MiniMax video: image to video",
        "Animates an input image into a short clip.",
        (_image(), _prompt()),
        (
            NodeDef("20", "LoadImage", 0.3),
            NodeDef("30", "VideoGenerate", 0.5, steps_input="frames", default_steps=16),
            NodeDef("31", "VHS_VideoCombine", 0.8),
        ),
        (OutputDef("31", "output_video", "gifs", "VHS_VideoCombine"),),
        gpu="H100",
        tags=("image-to-video", "video"),
    ),
)

SDXL_DEPLOYMENT_ID: Final = "0f6c2d1e-4b7a-4c1e-9a53-2f8d6b1c7e40"

DEPLOYMENTS: Final[tuple[Target, ...]] = (
    Target(
        "deployment",
        SDXL_DEPLOYMENT_ID,
        "SDXL text to image",
        "Stable Diffusion XL base 1.0 with a negative prompt; also saves its settings as text.",
        (
            _prompt("positive_prompt", "A cozy reading nook, warm light"),
            _prompt("negative_prompt", "blurry, watermark", required=False),
            _seed(),
            _steps(20, 60),
            _number("cfg", 7.0, 1, 15, "Classifier-free guidance"),
        ),
        _sd_pipeline(),
        (_IMAGE_OUT, OutputDef("15", "generation_info", "text", "ComfyDeployOutputText")),
        gpu="A10G",
    ),
    Target(
        "deployment",
        "7d3e9b52-1f0a-4c6d-8e2b-5a9c4d7f1e63",
        "Restyle a photo",
        "Image to image: keeps the composition of the input image, changes its style.",
        (
            _image("input_image"),
            _prompt("prompt", "A watercolor painting"),
            _number("denoise", 0.6, 0, 1, "How much of the input image to redraw"),
            _seed(),
            _steps(20, 50),
        ),
        _img2img_pipeline(),
        (_IMAGE_OUT,),
        gpu="L4",
    ),
    Target(
        "deployment",
        "c41a6f0e-92d8-4b3f-a7e5-0d8b2c6e9f14",
        "Poster in a style",
        "Text to image with a choice of poster styles.",
        (
            _prompt("prompt", "A mountain village at night"),
            _enum(
                "style",
                ("art deco", "swiss grid", "risograph", "ukiyo-e", "bauhaus"),
                "The poster style",
            ),
            _seed(),
        ),
        _sd_pipeline(0.9, 0.1),
        (_IMAGE_OUT,),
        gpu="A10G",
        environment="staging",
    ),
)

ALL_TARGETS: Final[dict[str, Target]] = {target.id: target for target in MODELS + DEPLOYMENTS}


def find_model(model_id: str) -> Target | None:
    """The catalogue model with this id."""
    target = ALL_TARGETS.get(model_id)
    return target if target is not None and target.kind == "model" else None


def find_deployment(deployment_id: UUID | str) -> Target | None:
    """The deployment with this id."""
    target = ALL_TARGETS.get(str(deployment_id))
    return target if target is not None and target.kind == "deployment" else None
