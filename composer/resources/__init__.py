"""Runtime assets (sample presets, icons, stylesheets), read through importlib.resources so the
frozen app finds them as well as an installed package does."""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable


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
