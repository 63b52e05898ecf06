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
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from composer.core.atomic import write_text_atomic

# The envelope's names, re-exported: users of presets find the whole format here.
from composer.core.preset_file import PRESET_FORMAT as PRESET_FORMAT
from composer.core.preset_file import PRESET_SUFFIX as PRESET_SUFFIX
from composer.core.preset_file import PRESET_VERSION as PRESET_VERSION
from composer.core.preset_file import NotAPresetError as NotAPresetError
from composer.core.preset_file import PresetError as PresetError
from composer.core.preset_file import PresetNotJsonError as PresetNotJsonError
from composer.core.preset_file import PresetTooNewError as PresetTooNewError
from composer.core.preset_file import PresetUnreadableError as PresetUnreadableError
from composer.core.preset_file import (
    check_envelope,
    looks_like_body,
    parse_document,
    read_preset_text,
    request_of,
)
from composer.core.validation import FieldError, format_loc, import_body, validate_body
from composer.core.wire import RequestKind, kind_of


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
    document = parse_document(text, path)
    if "format" not in document and allow_bare and looks_like_body(document):
        name = path.stem if path else "Imported request"
        document = {"format": PRESET_FORMAT, "version": PRESET_VERSION, "name": name,
                    "request": document, "_bare": True}  # fmt: skip
    check_envelope(document, path)
    return _preset_from_document(document, path)


def _preset_from_document(document: dict[str, Any], path: Path | None) -> Preset:
    name = document.get("name")
    if not isinstance(name, str) or not name.strip():
        raise NotAPresetError(path, '"name" must be a non-empty string')
    imported = import_body(request_of(document, path))
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
    return parse_preset(read_preset_text(path), path, allow_bare=allow_bare)


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
