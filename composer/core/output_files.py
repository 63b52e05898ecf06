"""Which files "save" writes for a run's outputs, and under which names, in a folder of the user's.

Names come from the API's ``filename`` (else the URL's last path segment), made safe for every
file system. A batch's files start with the run's number and batch values
(``03_seed-1_steps-30_output_image_00003_.png``), so a folder of a 3 x 3 batch reads like the grid.
Nothing is ever overwritten: a name taken on disk or earlier in the same save gets ``-2``, ``-3``.
Pure Python; the client fetches and writes (:mod:`composer.client.files`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Final
from urllib.parse import unquote, urlsplit

from composer.core.batch import format_cell
from composer.core.runs import MediaItem, RunState

_UNSAFE: Final = re.compile(r'[\x00-\x1f<>:"/\\|?*]+')
_NAME_LIMIT: Final = 120  # characters of a file name before its extension
_VALUE_LIMIT: Final = 24  # characters of one batch value in a file name prefix
_EXTENSIONS: Final = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/webp": ".webp",
    "image/gif": ".gif",
    "video/mp4": ".mp4",
    "text/plain": ".txt",
}


@dataclass(frozen=True, slots=True)
class OutputFile:
    """One output to save: the file at ``url``, or a ``text`` output; ``name`` is its file name."""

    name: str
    url: str | None = None
    text: str | None = None
    run_id: str | None = None


def safe_name(name: str, fallback: str = "output") -> str:
    """A file name without folders, reserved characters or leading dots; ``fallback`` if empty."""
    base = PurePosixPath(name.replace("\\", "/")).name
    cleaned = _UNSAFE.sub("_", base).strip(" .")
    if not cleaned:
        return fallback
    stem, dot, suffix = cleaned.rpartition(".")
    if dot and stem and len(suffix) <= 8:
        return stem[:_NAME_LIMIT] + "." + suffix
    return cleaned[:_NAME_LIMIT]


def media_file_name(item: MediaItem, position: int = 1) -> str:
    """The file name of one output file (its ``filename``, else from its URL, else made up)."""
    if item.filename:
        return safe_name(item.filename)
    path = unquote(urlsplit(item.url).path)
    from_url = PurePosixPath(path).name
    if from_url:
        return safe_name(from_url)
    extension = _EXTENSIONS.get((item.type or "").lower(), "")
    return f"{safe_name(item.kind, 'output')}-{position}{extension}"


def batch_prefix(index: int, combination: Mapping[str, Any] | None, total: int) -> str:
    """``03_seed-1_steps-30_``: the run's number in the batch (1-based) and its batch values."""
    width = max(2, len(str(total)))
    parts = [f"{index + 1:0{width}d}"]
    for name, value in (combination or {}).items():
        text = format_cell(value).strip('"')
        text = re.sub(r"[^0-9A-Za-z.+-]+", "-", text).strip("-")[:_VALUE_LIMIT]
        parts.append(f"{re.sub(r'[^0-9A-Za-z]+', '-', name).strip('-')}-{text or 'x'}")
    return "_".join(parts) + "_"


def files_of_run(state: RunState, prefix: str = "") -> list[OutputFile]:
    """Every file and text output of a run as files to save, named with ``prefix``."""
    files: list[OutputFile] = []
    position = 0
    for output in state.outputs:
        for item in output.media:
            position += 1
            files.append(
                OutputFile(
                    prefix + media_file_name(item, position), url=item.url, run_id=state.run_id
                )
            )
        for number, text in enumerate(output.texts, start=1):
            node = safe_name(output.node_id or "", "text")
            files.append(
                OutputFile(f"{prefix}{node}-text-{number}.txt", text=text, run_id=state.run_id)
            )
    return files


def plan_paths(folder: Path, names: Iterable[str]) -> list[Path]:
    """A path in ``folder`` for each name; names taken on disk or earlier get ``-2``, ``-3``..."""
    # Case-folded, so that a case-insensitive file system (macOS, Windows) never overwrites.
    taken = {entry.name.casefold() for entry in folder.iterdir()} if folder.is_dir() else set()
    paths: list[Path] = []
    for name in names:
        candidate = name
        stem, dot, suffix = name.rpartition(".")
        if not dot or not stem:
            stem, suffix = name, ""
        number = 2
        while candidate.casefold() in taken:
            candidate = f"{stem}-{number}" + (f".{suffix}" if suffix else "")
            number += 1
        taken.add(candidate.casefold())
        paths.append(folder / candidate)
    return paths


def describe_saved(paths: Sequence[Path], folder: Path) -> str:
    """``Saved 9 files to /home/me/out`` (or the one file's name)."""
    if len(paths) == 1:
        return f"Saved {paths[0].name} to {folder}"
    return f"Saved {len(paths)} files to {folder}"
