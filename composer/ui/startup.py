"""A quick look at a preset file, for the first frame of the window.

Validating a preset builds pydantic's request models, the slowest part of start-up. The window
therefore shows a preset's request from this quick, pydantic-free read first, and loads it fully
(validation, camelCase conversion, canonical form) right after it is on screen. Problems this
read can see (unreadable file, not JSON, not a preset, a newer format) are reported at once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

from composer.core.preset_file import (
    PresetError,
    bare_kind,
    check_envelope,
    looks_like_body,
    parse_document,
    read_preset_text,
    request_of,
)
from composer.core.wire import RequestKind, guess_kind


class QuickLookError(PresetError):
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
        document = parse_document(read_preset_text(path), path)
        if "format" not in document and looks_like_body(document):
            return QuickLook(path, path.stem, bare_kind(document), document)
        check_envelope(document, path, strict=False)
        request = request_of(document, path)
    except PresetError as exc:
        raise QuickLookError(path, exc.reason) from None
    name = document.get("name")
    target = document.get("target")
    return QuickLook(
        path,
        name.strip() if isinstance(name, str) and name.strip() else path.stem,
        guess_kind(document.get("kind"), request),
        request,
        target if isinstance(target, str) else None,
    )
