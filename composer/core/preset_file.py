"""The preset file's envelope: reading the file, its JSON, its ``format`` and ``version``.

Pydantic-free on purpose: the window's first frame reads a preset through this module (see
``composer.ui.startup``) before the request models are loaded, and :mod:`composer.core.presets`
builds the full, validated :class:`~composer.core.presets.Preset` on top of the same checks, so
both report a bad file in the same words.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from composer.core.wire import RequestKind

PRESET_FORMAT: Final = "composer.preset"
PRESET_VERSION: Final = 1
PRESET_SUFFIX: Final = ".json"

# A JSON object with one of these keys is taken as a bare request body (an API body saved as is).
_BODY_KEYS: Final = frozenset({"model_id", "deployment_id", "modelId", "deploymentId"})


class PresetError(Exception):
    """A preset file that cannot be used; ``str()`` names the file and the reason in one line."""

    def __init__(self, path: Path | None, reason: str) -> None:
        super().__init__(f"{path}: {reason}" if path else reason)
        self.path = path
        self.reason = reason


class PresetUnreadableError(PresetError):
    """The file cannot be read (missing, a folder, no permission, not UTF-8)."""


class PresetNotJsonError(PresetError):
    """The file is not valid JSON; the reason gives line and column."""


class NotAPresetError(PresetError):
    """Valid JSON, but not a composer preset (nor a bare request body)."""


class PresetTooNewError(PresetError):
    """Written by a newer composer, in a format version this one does not know."""


def read_preset_text(path: Path) -> str:
    """The file's text; raises :class:`PresetUnreadableError` or :class:`PresetNotJsonError`."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PresetUnreadableError(path, "no such file") from None
    except IsADirectoryError:
        raise PresetUnreadableError(path, "is a folder, not a preset file") from None
    except UnicodeDecodeError:
        raise PresetNotJsonError(path, "not valid JSON: the file is not UTF-8 text") from None
    except OSError as exc:
        raise PresetUnreadableError(path, f"cannot be read: {exc.strerror or exc}") from None


def parse_document(text: str, path: Path | None = None) -> dict[str, Any]:
    """The JSON object in ``text``; raises :class:`PresetNotJsonError` or
    :class:`NotAPresetError` (JSON that is not an object)."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PresetNotJsonError(
            path, f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None
    if not isinstance(document, dict):
        raise NotAPresetError(path, "not a composer preset: the file holds no JSON object")
    return document


def looks_like_body(document: Mapping[str, Any]) -> bool:
    """True when a document without ``format`` is a bare request body (it names a model or a
    deployment, in snake_case or camelCase)."""
    return not _BODY_KEYS.isdisjoint(document)


def bare_kind(document: Mapping[str, Any]) -> RequestKind:
    """The kind of a bare body: a deployment run when it names only a deployment."""
    names_model = "model_id" in document or "modelId" in document
    names_deployment = "deployment_id" in document or "deploymentId" in document
    return RequestKind.DEPLOYMENT if names_deployment and not names_model else RequestKind.MODEL


def check_envelope(
    document: Mapping[str, Any], path: Path | None = None, *, strict: bool = True
) -> None:
    """Check ``format`` and ``version``: raises :class:`NotAPresetError` or
    :class:`PresetTooNewError`.

    ``strict=False`` (the first frame's quick read) lets a malformed ``version`` through, for the
    full load to report with the rest of the file's problems; a newer version is refused always.
    """
    if "format" not in document:
        raise NotAPresetError(path, 'not a composer preset: "format" is missing')
    if document["format"] != PRESET_FORMAT:
        raise NotAPresetError(path, f'not a composer preset: "format" is not "{PRESET_FORMAT}"')
    version = document.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        if strict:
            raise NotAPresetError(path, '"version" must be a positive integer')
        return
    if version > PRESET_VERSION:
        raise PresetTooNewError(
            path,
            f"written by a newer composer (preset version {version}; this composer reads "
            f"version {PRESET_VERSION}): update composer to open it",
        )


def request_of(document: Mapping[str, Any], path: Path | None = None) -> dict[str, Any]:
    """The preset's ``request`` object; raises :class:`NotAPresetError` when it is not one."""
    request = document.get("request")
    if not isinstance(request, dict):
        raise NotAPresetError(path, '"request" must be a JSON object (the request body)')
    return request
