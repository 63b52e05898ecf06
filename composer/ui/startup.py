"""A quick look at a preset file, for the first frame of the window.

Validating a preset builds pydantic's request models, the slowest part of start-up. The window
therefore shows a preset's request from this quick, pydantic-free read first, and loads it fully
(validation, camelCase conversion, canonical form) right after it is on screen. Problems this
read can see (unreadable file, not JSON, not a preset, a newer format) are reported at once.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, NamedTuple

from composer.core.wire import RequestKind, kind_of

PRESET_FORMAT = "composer.preset"  # as in composer.core.presets (which imports pydantic)
PRESET_VERSION = 1


class QuickLookError(ValueError):
    """A file that is clearly not an openable preset; ``str()`` names the file and the reason."""


# A NamedTuple: defined at start-up, where a dataclass would cost ten times as much.
class QuickLook(NamedTuple):
    """What the first frame shows of a preset file."""

    path: Path
    name: str
    kind: RequestKind
    request: dict[str, Any]
    target: str | None = None


def quick_look(path: Path) -> QuickLook:
    """Read a preset (or a bare request body) without validating its fields."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise QuickLookError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise QuickLookError(f"{path}: is a folder, not a preset file") from None
    except UnicodeDecodeError:
        raise QuickLookError(f"{path}: not valid JSON: the file is not UTF-8 text") from None
    except OSError as exc:
        raise QuickLookError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise QuickLookError(
            f"{path}: not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None
    if not isinstance(document, dict):
        raise QuickLookError(f"{path}: not a composer preset: the file holds no JSON object")
    if "format" not in document:
        if not {"model_id", "deployment_id", "modelId", "deploymentId"} & set(document):
            raise QuickLookError(f'{path}: not a composer preset: "format" is missing')
        kind = (
            RequestKind.DEPLOYMENT
            if {"deployment_id", "deploymentId"} & set(document)
            and not ({"model_id", "modelId"} & set(document))
            else RequestKind.MODEL
        )
        return QuickLook(path, path.stem, kind, document)
    if document.get("format") != PRESET_FORMAT:
        raise QuickLookError(f'{path}: not a composer preset: "format" is not "{PRESET_FORMAT}"')
    version = document.get("version")
    if isinstance(version, int) and not isinstance(version, bool) and version > PRESET_VERSION:
        raise QuickLookError(
            f"{path}: written by a newer composer (preset version {version}; this composer reads "
            f"version {PRESET_VERSION}): update composer to open it"
        )
    request = document.get("request")
    if not isinstance(request, dict):
        raise QuickLookError(f'{path}: "request" must be a JSON object (the request body)')
    try:
        kind = RequestKind(str(document.get("kind")))
    except ValueError:
        kind = kind_of(request) or RequestKind.MODEL
    name = document.get("name")
    target = document.get("target")
    return QuickLook(
        path,
        name.strip() if isinstance(name, str) and name.strip() else path.stem,
        kind,
        request,
        target if isinstance(target, str) else None,
    )
