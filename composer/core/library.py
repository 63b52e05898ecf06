"""The presets library: the folder of preset files and the operations people do on it.

Every change is a file operation (atomic write, rename, delete) on the folder, so the folder is
always the truth and can be kept in git. Corrupt files are listed with their error and left alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from composer.core.atomic import write_text_atomic
from composer.core.paths import presets_dir
from composer.core.presets import (
    PRESET_SUFFIX,
    Preset,
    PresetError,
    load_preset,
    save_preset,
    slugify,
)


@dataclass(frozen=True, slots=True)
class LibraryEntry:
    """One file of the library: its preset when it loads, else the error that stops it."""

    path: Path
    preset: Preset | None
    error: PresetError | None = None

    @property
    def name(self) -> str:
        """The preset's name, or the file name for a file that does not load."""
        return self.preset.name if self.preset else self.path.stem


@dataclass(frozen=True, slots=True)
class DeletedPreset:
    """What :meth:`PresetLibrary.delete` removed, so that it can be put back (undo)."""

    path: Path
    text: str


class PresetLibrary:
    """The preset files of one folder (by default the composer home's ``presets/``)."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder if folder is not None else presets_dir()

    def holds(self, path: Path) -> bool:
        """True when ``path`` is a file of this library's folder (not of a subfolder).

        The folder is compared, not the file's target: a symlink listed in the folder counts.
        """
        return path.parent.resolve() == self.folder.resolve()

    def entries(self) -> list[LibraryEntry]:
        """Every ``*.json`` file, sorted by preset name; broken files carry their error."""
        if not self.folder.is_dir():
            return []
        entries: list[LibraryEntry] = []
        for path in self.folder.glob(f"*{PRESET_SUFFIX}"):
            try:
                entries.append(LibraryEntry(path, load_preset(path)))
            except PresetError as exc:
                entries.append(LibraryEntry(path, None, exc))
        return sorted(entries, key=lambda entry: (entry.name.casefold(), entry.path.name))

    def path_for(self, name: str, *, keep: Path | None = None) -> Path:
        """A free file path for a preset called ``name`` (``keep`` counts as free)."""
        stem = slugify(name)
        candidate = self.folder / f"{stem}{PRESET_SUFFIX}"
        number = 2
        while candidate.exists() and candidate != keep:
            candidate = self.folder / f"{stem}-{number}{PRESET_SUFFIX}"
            number += 1
        return candidate

    def save(
        self, preset: Preset, path: Path | None = None, *, secrets: Iterable[str] = ()
    ) -> Path:
        """Write ``preset`` (to ``path``, or a new file named after it); returns the path."""
        target = path or self.path_for(preset.name)
        save_preset(target, preset, secrets=secrets)
        return target

    def rename(self, path: Path, new_name: str) -> Path:
        """Give the preset at ``path`` a new name, and its file the matching file name."""
        preset = load_preset(path)
        preset.name = new_name.strip()
        target = self.path_for(preset.name, keep=path)
        save_preset(target, preset)
        if target != path:
            path.unlink()
        return target

    def duplicate(self, path: Path) -> Path:
        """Copy the preset at ``path`` as "<name> copy"; returns the new file's path."""
        preset = load_preset(path)
        preset.name = f"{preset.name} copy"
        return self.save(preset)

    def delete(self, path: Path) -> DeletedPreset:
        """Remove a preset file and return what is needed to restore it."""
        text = path.read_text(encoding="utf-8")
        path.unlink()
        return DeletedPreset(path, text)

    def restore(self, deleted: DeletedPreset) -> Path:
        """Put back a deleted preset (undo), at its old path when free."""
        target = deleted.path
        if target.exists():
            target = self.path_for(target.stem)
        write_text_atomic(target, deleted.text)
        return target

    def import_file(self, source: Path) -> Path:
        """Copy a preset (or a bare request body) from elsewhere into the library."""
        preset = load_preset(source, allow_bare=True)
        return self.save(preset)

    def export_file(self, path: Path, destination: Path) -> None:
        """Write the preset at ``path`` to ``destination`` (checked first, written atomically)."""
        save_preset(destination, load_preset(path))


def find_preset_file(given: Path, library: PresetLibrary | None = None) -> Path | None:
    """The preset a command-line argument means when ``given`` is not an existing path.

    ``flux-dev-portrait``, ``flux-dev-portrait.json`` and
    ``resources/presets/flux-dev-portrait.json`` typed from any folder all name the library's
    preset with that file name, else the shipped sample of that name. None when neither exists
    (the caller then reports the missing file as given).
    """
    if given.exists():
        return given
    stem = given.stem if given.suffix == PRESET_SUFFIX else given.name
    if not stem or stem in {".", ".."}:
        return None
    in_library = (library or PresetLibrary()).folder / f"{stem}{PRESET_SUFFIX}"
    if in_library.is_file():
        return in_library
    from composer.resources import sample_preset_path

    return sample_preset_path(f"{stem}{PRESET_SUFFIX}")
