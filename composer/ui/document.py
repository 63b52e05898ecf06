"""The open document: which preset the draft came from, saving it, autosave and crash restore.

The draft's content lives in :class:`~composer.core.draft.Draft`; this object adds the preset's
identity (file, name, description, target), turns "save" into library operations, and keeps an
autosaved copy of unsaved work in the drafts folder a moment after each edit.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal
from shiboken6 import Shiboken

from composer.core.autosave import DraftStore, SavedDraft
from composer.core.draft import path_text, same_value
from composer.core.wire import RequestKind
from composer.ui.binding import DraftBinding

if TYPE_CHECKING:  # presets use the pydantic request models: loaded after the window shows
    from concurrent.futures import Future, ThreadPoolExecutor

    from composer.core.library import PresetLibrary
    from composer.core.presets import Preset
    from composer.ui.startup import QuickLook

AUTOSAVE_DELAY_MS = 1000


class Document(QObject):
    """The preset behind the draft, and the operations that write it."""

    changed = Signal()  # name, path or dirty state may have changed
    message = Signal(str)
    _autosave_failed = Signal(str)  # emitted on the worker; queued to the UI thread

    def __init__(
        self,
        binding: DraftBinding,
        library: PresetLibrary | None,
        store: DraftStore,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.binding = binding
        self.library = library
        self.store = store
        self.path: Path | None = None
        self.name: str | None = None
        self.description: str | None = None
        self.target: str | None = None
        self.notes: list[str] = []
        self._autosave = QTimer(self)
        self._autosave.setSingleShot(True)
        self._autosave.setInterval(AUTOSAVE_DELAY_MS)
        self._autosave.timeout.connect(self._autosave_later)
        # Autosaves and discards run in order on one worker thread: serialising a body with a
        # large inline image and syncing it to disk takes long enough to stall typing.
        self._pool: ThreadPoolExecutor | None = None
        self._pending: list[Future[None]] = []
        self._autosave_failed.connect(self.message)
        binding.changed.connect(self._on_change)

    # --- state ---

    @property
    def dirty(self) -> bool:
        """True when the draft differs from the preset as saved (or was never saved)."""
        return self.binding.draft.dirty

    @property
    def title(self) -> str:
        """The preset's name, or "Untitled model run"."""
        return self.name or f"Untitled {self.binding.kind.label.lower()}"

    def _on_change(self, _change: object) -> None:
        self._autosave.start()
        self.changed.emit()

    # --- opening ---

    def open_path(self, path: Path) -> bool:
        """Load a preset file into the draft; a bad file gets a message and changes nothing."""
        from composer.core.presets import PresetError, load_preset

        try:
            preset = load_preset(path, allow_bare=True)
        except PresetError as exc:
            self.message.emit(f"Cannot open {exc}")
            return False
        in_library = self.library is not None and self.library.holds(path)
        self.open_preset(preset, path if in_library else None)
        if not in_library:
            self.message.emit(f"Opened {path.name}; save it to add it to the library")
        return True

    def open_preset(self, preset: Preset, path: Path | None) -> None:
        """Show ``preset`` as the document (``path``: its library file, if any)."""
        self.path = path
        self.name = preset.name
        self.description = preset.description
        self.target = preset.target
        draft = self.binding.draft
        draft.replace(preset.request, preset.kind, reason="load")
        draft.clear_history()
        if path is not None:
            draft.mark_saved()
        else:
            draft.mark_unsaved()
        self._after_io()
        for note in preset.notes:
            self.message.emit(f"Note: {note}")

    def show_quick_look(self, look: QuickLook) -> None:
        """Show a preset read without validation (the first frame); :meth:`open_path` follows."""
        self.path = look.path
        self.name = look.name
        self.target = look.target
        draft = self.binding.draft
        draft.replace(look.request, look.kind, reason="load")
        draft.clear_history()
        draft.mark_saved()
        self.changed.emit()

    def keep_unchecked(self, path: Path) -> None:
        """The full load of ``path`` failed (invalid fields): keep what is shown as unsaved work,
        with its problems marked, so it can be fixed and saved."""
        in_library = self.library is not None and self.library.holds(path)
        self.path = path if in_library else None
        self.binding.draft.mark_unsaved()
        self.changed.emit()

    def new(self, kind: RequestKind = RequestKind.MODEL) -> None:
        """Start an empty request of ``kind``."""
        self.path = None
        self.name = None
        self.description = None
        self.target = None
        draft = self.binding.draft
        draft.replace({}, kind, reason="load")
        draft.clear_history()
        draft.mark_saved()  # nothing typed yet: nothing to lose
        self._after_io()

    def restore(self, saved: SavedDraft) -> None:
        """Bring back a draft a crashed session left, as unsaved work."""
        self.path = saved.preset_path if saved.preset_path and saved.preset_path.exists() else None
        self.name = saved.preset_name
        draft = self.binding.draft
        draft.replace(saved.request, saved.kind, reason="load")
        draft.clear_history()
        draft.mark_unsaved()
        self.store.remove(saved)
        self._after_io()
        self.write_autosave()

    def _after_io(self) -> None:
        self._autosave.stop()
        if not self.dirty:
            self._run_later(self.store.discard)
        self.changed.emit()

    # --- saving ---

    def problems_before_saving(self) -> str | None:
        """Why the draft cannot be saved as a preset (a preset must be a valid request)."""
        validation = self.binding.draft.validation
        if validation.ok:
            return None
        first = validation.errors[0]
        more = f" (and {len(validation.errors) - 1} more)" if len(validation.errors) > 1 else ""
        where = path_text(first.loc) or "body"
        return f"Not saved: {where}: {first.message}{more}. Your edits are kept (autosaved)."

    def save(self) -> bool:
        """Write the preset to its file; False when it has no file yet (use :meth:`save_as`)."""
        if self.path is None or self.name is None:
            return False
        return self._write(self.name, self.path) is not None

    def save_as(self, name: str) -> Path | None:
        """Save as a new preset called ``name`` (a new file in the library)."""
        name = name.strip()
        if not name:
            self.message.emit("Not saved: a preset needs a name")
            return None
        return self._write(name, None)

    def _write(self, name: str, path: Path | None) -> Path | None:
        problem = self.problems_before_saving()
        if problem:
            self.message.emit(problem)
            return None
        from composer.core.presets import Preset, PresetError

        draft = self.binding.draft
        if self.library is None:
            self.message.emit("Not saved: the presets library is not open yet")
            return None
        body = draft.wire()
        preset = Preset(name, draft.kind, body, self.description, self.target)
        try:
            written = self.library.save(preset, path)
        except (PresetError, OSError) as exc:
            self.message.emit(f"Not saved: {exc}. Your edits are kept (autosaved).")
            return None
        if not same_value(
            body, draft.body
        ):  # keep the draft identical to the file (canonical form)
            draft.replace(body, draft.kind, reason="save")
        draft.mark_saved()
        self.path = written
        self.name = name
        self._after_io()
        self.message.emit(f"Saved “{name}” to {written.name}")
        return written

    def follow_rename(self, old: Path, new: Path) -> None:
        """The library renamed the open preset's file."""
        from composer.core.presets import PresetError, load_preset

        if self.path == old:
            self.path = new
            with contextlib.suppress(PresetError):
                self.name = load_preset(new).name
            self.changed.emit()

    def follow_delete(self, path: Path) -> None:
        """The open preset's file was deleted: the draft becomes unsaved work."""
        if self.path == path:
            self.path = None
            self.binding.draft.mark_unsaved()
            self.changed.emit()
            self._autosave.start()

    def follow_restore(self, path: Path) -> None:
        """A deleted preset came back; if it is the open one, it is its file again."""
        from composer.core.presets import PresetError, load_preset

        if self.path is None and self.name is not None:
            try:
                preset = load_preset(path)
            except PresetError:
                return
            if preset.name == self.name:
                self.path = path
                self.changed.emit()

    # --- autosave ---

    def write_autosave(self) -> None:
        """Write (or remove, when nothing is unsaved) this session's draft file now.

        Waits for the worker's earlier writes first, so none of them lands after this one.
        """
        self._autosave.stop()
        self.flush()
        error = self._autosave_job()()
        if error:
            self.message.emit(error)

    def _autosave_later(self) -> None:
        """The timer's autosave: the draft as it is now, written on the worker."""
        job = self._autosave_job()

        def run() -> None:
            error = job()
            if error and Shiboken.isValid(self):  # the window may have gone meanwhile
                self._autosave_failed.emit(error)

        self._run_later(run)

    def _autosave_job(self) -> Callable[[], str | None]:
        """The write (or removal) for the draft as it is now; it returns a failure message.

        The body is taken here, on the UI thread; the draft never changes a body in place
        (edits copy the path they change), so the worker can serialise it safely.
        """
        store = self.store
        if not self.dirty:

            def discard() -> None:
                store.discard()

            return discard
        draft = self.binding.draft
        kind, body, path, name = draft.kind, dict(draft.body), self.path, self.name

        def job() -> str | None:
            try:
                store.save(kind, body, preset_path=path, preset_name=name)
            except OSError as exc:
                return f"Autosave failed: {exc.strerror or exc}"
            return None

        return job

    def _run_later(self, job: Callable[[], Any]) -> None:
        if self._pool is None:
            # Imported at the first autosave, not before the first frame (start-up time).
            from concurrent.futures import ThreadPoolExecutor

            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="autosave")
        future = self._pool.submit(job)
        future.add_done_callback(_log_failure)
        self._pending = [item for item in self._pending if not item.done()]
        self._pending.append(future)

    def flush(self, timeout: float = 10.0) -> None:
        """Wait until the worker's autosaves and discards so far are done (tests, closing)."""
        for future in list(self._pending):
            with contextlib.suppress(Exception):  # already logged by _log_failure
                future.result(timeout)
        self._pending = []

    def close_clean(self) -> None:
        """A clean exit: the autosaved draft is not needed any more."""
        self._autosave.stop()
        self.flush()
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        self.store.discard()

    @staticmethod
    def describe_saved(saved: SavedDraft) -> str:
        """``“Fox” from 10:42`` for the restore banner."""
        when = time.strftime("%H:%M", time.localtime(saved.saved_at)) if saved.saved_at else ""
        return f"“{saved.title}”" + (f" from {when}" if when else "")


def _log_failure(future: Future[Any]) -> None:
    error = None if future.cancelled() else future.exception()
    if error is not None:
        import logging

        logging.getLogger(__name__).error("an autosave job failed", exc_info=error)
