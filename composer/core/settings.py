"""UI settings (window geometry, splitter sizes, last preset, chosen target) in one JSON file.

Kept in the composer home next to presets and history, written atomically, readable by people.
Qt's QSettings is not used: it writes files behind core's back and adds an organisation name to
its paths. Binary values (Qt's ``saveGeometry()``) are stored as base64 text. A damaged or foreign
file is set aside as unreadable (:attr:`Settings.problem` says why) and never crashes the app.
"""

from __future__ import annotations

import base64
import binascii
import json
from pathlib import Path
from typing import Any, Final

from composer.core.paths import composer_home

SETTINGS_FORMAT: Final = "composer.settings"
SETTINGS_VERSION: Final = 1


def settings_path() -> Path:
    """The settings file in the composer home."""
    return composer_home() / "settings.json"


class Settings:
    """A small key/value store of JSON values, saved as one file."""

    def __init__(self, path: Path | None = None) -> None:
        self.path: Path | None = path if path is not None else settings_path()
        self.values: dict[str, Any] = {}
        self.problem: str | None = None
        self._load()

    @classmethod
    def ephemeral(cls) -> Settings:
        """Default settings that live in memory only: nothing is read and :meth:`save` writes
        nothing (for screenshots and other runs that must not touch the user's session)."""
        settings = cls.__new__(cls)
        settings.path = None
        settings.values = {}
        settings.problem = None
        return settings

    def _load(self) -> None:
        if self.path is None:
            return
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return
        except UnicodeDecodeError:
            self._set_aside("not UTF-8 text")
            return
        except OSError as exc:
            # Not damaged, only unreadable now (permissions, a folder): the file is left alone.
            self.problem = f"{self.path}: cannot be read ({exc}); using default settings"
            return
        try:
            document = json.loads(text)
        except json.JSONDecodeError as exc:
            self._set_aside(f"not valid JSON ({exc.msg})")
            return
        if not isinstance(document, dict) or not isinstance(document.get("values"), dict):
            self._set_aside("not a composer settings file")
            return
        self.values = dict(document["values"])

    def _set_aside(self, reason: str) -> None:
        # Moved aside rather than left for the next save to overwrite: the user keeps the file.
        from composer.core.atomic import move_aside  # tempfile: loaded only when needed

        assert self.path is not None
        try:
            kept = f"set aside as {move_aside(self.path).name}"
        except OSError as exc:
            kept = f"could not be set aside ({exc})"
        self.problem = f"{self.path}: {reason}; {kept}; using default settings"

    def get(self, key: str, default: Any = None) -> Any:
        """The value stored under ``key``, else ``default``."""
        return self.values.get(key, default)

    def get_str(self, key: str, default: str = "") -> str:
        """A text value; anything else stored there gives ``default``."""
        value = self.values.get(key)
        return value if isinstance(value, str) else default

    def get_int_list(self, key: str) -> list[int] | None:
        """A list of integers (splitter sizes), or None when absent or malformed."""
        value = self.values.get(key)
        if isinstance(value, list) and all(
            isinstance(item, int) and not isinstance(item, bool) for item in value
        ):
            return list(value)
        return None

    def get_bytes(self, key: str) -> bytes | None:
        """Binary data stored as base64 (window geometry), or None when absent or malformed."""
        value = self.values.get(key)
        if not isinstance(value, str):
            return None
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            return None

    def set(self, key: str, value: Any) -> None:
        """Store a JSON-serialisable value (None removes the key); call :meth:`save` to write."""
        if value is None:
            self.values.pop(key, None)
        else:
            self.values[key] = value

    def set_bytes(self, key: str, data: bytes) -> None:
        """Store binary data as base64 text."""
        self.values[key] = base64.b64encode(data).decode("ascii")

    def save(self) -> None:
        """Write the file atomically (raises OSError when the folder is not writable)."""
        from composer.core.atomic import write_text_atomic  # tempfile: loaded on first write

        if self.path is None:
            return

        document = {"format": SETTINGS_FORMAT, "version": SETTINGS_VERSION, "values": self.values}
        write_text_atomic(self.path, json.dumps(document, indent=2, sort_keys=True) + "\n")
