"""Runtime assets (sample presets, icons, stylesheets), read through importlib.resources so the
frozen app finds them as well as an installed package does."""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path


def resource(*parts: str) -> Traversable:
    """A file or folder under ``composer/resources``."""
    node = resources.files(__name__)
    for part in parts:
        node = node / part
    return node


def sample_preset_names() -> list[str]:
    """File names of the sample presets shipped with composer, sorted."""
    folder = resource("presets")
    return sorted(item.name for item in folder.iterdir() if item.name.endswith(".json"))


def sample_preset_text(name: str) -> str:
    """The text of one sample preset file."""
    return resource("presets", name).read_text(encoding="utf-8")


def sample_preset_path(name: str) -> Path | None:
    """The file of the sample preset called ``name`` (``seed-example.json``), None if none is.

    Samples are plain files in an installed package and in the app bundle alike, so the
    resource converts to a path that commands can read and report like any other preset.
    """
    node = resource("presets", name)
    if "/" in name or "\\" in name or not node.is_file():
        return None
    return Path(str(node))
