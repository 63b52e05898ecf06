"""Autosaved drafts: the request being composed, kept on disk so a crash loses nothing.

Each running composer writes its own file ``drafts/draft-<pid>.json`` (atomically) a moment after
each edit and removes it on a clean exit. A file left behind by a process that is no longer running
means that process crashed: the next start offers to restore it.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from pathlib import Path
from typing import Any, Final, NamedTuple

from composer.core.paths import drafts_dir
from composer.core.wire import RequestKind

DRAFT_FORMAT: Final = "composer.draft"
DRAFT_VERSION: Final = 1


# A NamedTuple: defined at start-up, where a dataclass would cost ten times as much.
class SavedDraft(NamedTuple):
    """A draft read back from disk."""

    path: Path
    kind: RequestKind
    request: dict[str, Any]
    preset_path: Path | None
    preset_name: str | None
    saved_at: float
    pid: int

    @property
    def title(self) -> str:
        """What to call it in a message: the preset's name, or the request's target."""
        if self.preset_name:
            return self.preset_name
        target = self.request.get(self.kind.key)
        return f"untitled {self.kind.label.lower()}" + (f" ({target})" if target else "")


class DraftStore:
    """The drafts folder; this process writes only its own file."""

    def __init__(self, folder: Path | None = None, pid: int | None = None) -> None:
        self.folder = folder if folder is not None else drafts_dir()
        self.pid = pid if pid is not None else os.getpid()

    @property
    def own_path(self) -> Path:
        """This process's draft file."""
        return self.folder / f"draft-{self.pid}.json"

    def save(
        self,
        kind: RequestKind,
        request: dict[str, Any],
        *,
        preset_path: Path | None = None,
        preset_name: str | None = None,
    ) -> Path:
        """Write this process's draft atomically; returns its path."""
        document = {
            "format": DRAFT_FORMAT,
            "version": DRAFT_VERSION,
            "pid": self.pid,
            "saved_at": time.time(),
            "kind": kind.value,
            "preset_path": str(preset_path) if preset_path else None,
            "preset_name": preset_name,
            "request": request,
        }
        from composer.core.atomic import write_text_atomic  # tempfile: loaded on first write

        write_text_atomic(self.own_path, json.dumps(document, ensure_ascii=False) + "\n")
        return self.own_path

    def discard(self) -> None:
        """Remove this process's draft (a clean exit, or the draft was saved as a preset)."""
        with contextlib.suppress(FileNotFoundError):
            self.own_path.unlink()

    def orphans(self) -> list[SavedDraft]:
        """Drafts left by processes that are not running any more, newest first.

        Files that cannot be read are skipped (and left alone): a broken draft must never stop
        the app from starting.
        """
        if not self.folder.is_dir():
            return []
        found: list[SavedDraft] = []
        for path in self.folder.glob("draft-*.json"):
            draft = read_draft(path)
            if draft is None or draft.pid == self.pid or _process_alive(draft.pid):
                continue
            found.append(draft)
        return sorted(found, key=lambda draft: draft.saved_at, reverse=True)

    @staticmethod
    def remove(draft: SavedDraft) -> None:
        """Delete a restored or dismissed draft file."""
        with contextlib.suppress(FileNotFoundError):
            draft.path.unlink()


def read_draft(path: Path) -> SavedDraft | None:
    """A draft file's content, or None when it is not a readable draft."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(document, dict) or document.get("format") != DRAFT_FORMAT:
        return None
    request = document.get("request")
    pid = document.get("pid")
    saved_at = document.get("saved_at")
    try:
        kind = RequestKind(str(document.get("kind")))
    except ValueError:
        return None
    if not isinstance(request, dict) or not isinstance(pid, int):
        return None
    preset_path = document.get("preset_path")
    preset_name = document.get("preset_name")
    return SavedDraft(
        path=path,
        kind=kind,
        request=request,
        preset_path=Path(preset_path) if isinstance(preset_path, str) else None,
        preset_name=preset_name if isinstance(preset_name, str) else None,
        saved_at=float(saved_at) if isinstance(saved_at, int | float) else 0.0,
        pid=pid,
    )


def _process_alive(pid: int) -> bool:
    if sys.platform == "win32":
        # os.kill(pid, 0) would terminate the process on Windows; treat another pid's draft as
        # left behind (at worst a second running composer's draft is offered too).
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    except OSError:
        return False
    return True
