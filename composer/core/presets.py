"""Preset files: one human-readable JSON file per saved request, safe to keep in git.

Format (version 1)::

    {"format": "composer.preset", "version": 1, "name": "...", "kind": "model" | "deployment",
     "description": "..." (optional), "target": "..." (optional), "request": {<the wire body>}}

Files are written atomically with a 2-space indent, stable key order and a trailing newline. A
preset never holds an API key. Loading a bad file raises a :class:`PresetError` naming the file
and the problem; it never modifies the file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from composer.core.atomic import write_text_atomic
from composer.core.validation import FieldError, format_loc, import_body, validate_body
from composer.core.wire import RequestKind, kind_of

PRESET_FORMAT = "composer.preset"
PRESET_VERSION = 1
PRESET_SUFFIX = ".json"


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


class PresetInvalidError(PresetError):
    """A preset whose request has invalid fields; ``errors`` holds each one with its path."""

    def __init__(self, path: Path | None, errors: list[FieldError]) -> None:
        first = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        where = format_loc(("request", *first.loc))
        super().__init__(path, f"invalid field at {where}: {first.message}{more}")
        self.errors = errors


class PresetHoldsSecretError(PresetError):
    """Saving was refused because the preset would contain an API key."""


@dataclass
class Preset:
    """A named request: ``request`` is the exact wire body sent to the API."""

    name: str
    kind: RequestKind
    request: dict[str, Any]
    description: str | None = None
    target: str | None = None
    # What was converted on load (camelCase keys, a bare body); shown to the user, never saved.
    notes: list[str] = field(default_factory=list, compare=False)

    def to_json(self) -> str:
        """The file text: 2-space JSON, stable key order, trailing newline."""
        document: dict[str, Any] = {
            "format": PRESET_FORMAT,
            "version": PRESET_VERSION,
            "name": self.name,
            "kind": self.kind.value,
        }
        if self.description:
            document["description"] = self.description
        if self.target:
            document["target"] = self.target
        document["request"] = self.request
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def parse_preset(text: str, path: Path | None = None, *, allow_bare: bool = False) -> Preset:
    """Read a preset from its text; with ``allow_bare``, a bare request body is accepted too."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PresetNotJsonError(
            path, f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None
    if not isinstance(document, dict):
        raise NotAPresetError(path, "not a composer preset: the file holds no JSON object")
    if "format" not in document and allow_bare and _looks_like_body(document):
        name = path.stem if path else "Imported request"
        document = {"format": PRESET_FORMAT, "version": PRESET_VERSION, "name": name,
                    "request": document, "_bare": True}  # fmt: skip
    if document.get("format") != PRESET_FORMAT:
        raise NotAPresetError(path, f'not a composer preset: "format" is not "{PRESET_FORMAT}"')
    version = document.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise NotAPresetError(path, '"version" must be a positive integer')
    if version > PRESET_VERSION:
        raise PresetTooNewError(
            path,
            f"written by a newer composer (preset version {version}; this composer reads "
            f"version {PRESET_VERSION}): update composer to open it",
        )
    return _preset_from_document(document, path)


def _looks_like_body(document: Mapping[str, Any]) -> bool:
    keys = {"model_id", "deployment_id", "modelId", "deploymentId"}
    return bool(keys & set(document))


def _preset_from_document(document: dict[str, Any], path: Path | None) -> Preset:
    name = document.get("name")
    if not isinstance(name, str) or not name.strip():
        raise NotAPresetError(path, '"name" must be a non-empty string')
    raw_request = document.get("request")
    if not isinstance(raw_request, dict):
        raise NotAPresetError(path, '"request" must be a JSON object (the request body)')
    imported = import_body(raw_request)
    notes = list(imported.notes)
    if document.get("_bare"):
        notes.insert(0, "read a bare request body; saving it makes it a preset")
    body = imported.body
    kind = _read_kind(document.get("kind"), body, path)
    validation = validate_body(body, kind)
    if validation.request is None:
        raise PresetInvalidError(path, list(validation.errors))
    for key in ("description", "target"):
        if document.get(key) is not None and not isinstance(document[key], str):
            raise NotAPresetError(path, f'"{key}" must be a string')
    return Preset(
        name=name.strip(),
        kind=kind,
        request=validation.request.to_wire(),  # the canonical wire form
        description=document.get("description"),
        target=document.get("target"),
        notes=notes,
    )


def _read_kind(raw: object, body: dict[str, Any], path: Path | None) -> RequestKind:
    from_body = kind_of(body)
    if raw is None:
        if from_body is None:
            raise PresetInvalidError(path, list(validate_body(body).errors))
        return from_body
    try:
        return RequestKind(str(raw))
    except ValueError:
        allowed = " or ".join(f'"{k.value}"' for k in RequestKind)
        raise NotAPresetError(path, f'"kind" must be {allowed}, not {raw!r}') from None


def load_preset(path: Path, *, allow_bare: bool = False) -> Preset:
    """Read and check a preset file; raises a :class:`PresetError`, never edits the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PresetUnreadableError(path, "no such file") from None
    except IsADirectoryError:
        raise PresetUnreadableError(path, "is a folder, not a preset file") from None
    except UnicodeDecodeError:
        raise PresetNotJsonError(path, "not valid JSON: the file is not UTF-8 text") from None
    except OSError as exc:
        raise PresetUnreadableError(path, f"cannot be read: {exc.strerror or exc}") from None
    return parse_preset(text, path, allow_bare=allow_bare)


def save_preset(path: Path, preset: Preset, *, secrets: Iterable[str] = ()) -> None:
    """Write a preset atomically. Refuses when any of ``secrets`` (API keys) would be written."""
    text = preset.to_json()
    for secret in secrets:
        if secret and (secret in text or json.dumps(secret)[1:-1] in text):
            raise PresetHoldsSecretError(
                path, "not saved: it contains an API key; keys belong in the keyring"
            )
    write_text_atomic(path, text)


def slugify(name: str) -> str:
    """A file-name-safe form of a preset name: ``"Flux dev: portrait"`` -> ``flux-dev-portrait``."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:80] or "preset"
