"""Preset commands of the window: new, open, save, save as (with the non-modal questions
they may ask first), and the offer to restore a crashed session's draft."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QWidget

from composer.core.wire import RequestKind
from composer.ui.document import Document

if TYPE_CHECKING:
    from composer.core.library import PresetLibrary
    from composer.ui.banner import Banner
    from composer.ui.binding import DraftBinding
    from composer.ui.form import RequestForm
    from composer.ui.library_panel import LibraryPanel
    from composer.ui.problems import ProblemMarker
    from composer.ui.targets import TargetSelector


class PresetCommands:
    """Mixed into the main window; the attributes below are the window's."""

    binding: DraftBinding
    document: Document
    form: RequestForm
    library_panel: LibraryPanel
    marker: ProblemMarker
    prompt: QWidget | None
    restore_banner: Banner
    targets: TargetSelector
    show_message: Callable[[str], None]

    def as_widget(self) -> QWidget:
        """The window as the parent of the questions it asks."""
        assert isinstance(self, QWidget)
        return self

    def confirm_discard(self, action: str, then: Callable[[], None]) -> None:
        """Run ``then`` now if nothing is unsaved, else after the user saved or discarded."""
        if not self.document.dirty:
            then()
            return

        def answered(choice: str) -> None:
            self.prompt = None
            if choice == "discard":
                then()
            elif choice == "save":
                self.save(after=then)

        from composer.ui.prompts import ask_unsaved  # dialogs: loaded when first needed (#perf)

        self.prompt = ask_unsaved(self.as_widget(), self.document.title, action, answered)

    def new_request(self) -> None:
        """Start an empty request (asks about unsaved changes first)."""
        self.confirm_discard("starting a new request", self._new_now)

    def _new_now(self) -> None:
        self.document.new(self.binding.kind)  # the form follows the draft's change
        self.marker.clear_server_errors()

    def open_preset(self, path: Path) -> None:
        """Open a preset file (asks about unsaved changes first)."""

        def go() -> None:
            if self.document.open_path(path):
                self.targets.select(self.document.target)
                self.marker.clear_server_errors()
            else:
                self.library_panel.set_current(self.document.path, self.document.dirty)

        self.confirm_discard(f"opening {path.stem}", go)
        if self.prompt is not None:  # asked: show the open preset as selected until answered
            self.library_panel.set_current(self.document.path, self.document.dirty)

    def save(self, after: Callable[[], None] | None = None) -> None:
        """Save to the preset's file, or ask for a name first (a new request)."""
        self.binding.settle_now()
        self.document.target = self.targets.key
        if self.document.path is not None:
            if self.document.save() and after is not None:
                after()
            return
        self.save_as(after)

    def save_as(self, after: Callable[[], None] | None = None) -> None:
        """Ask for a name and save as a new preset."""
        from composer.ui.prompts import ask_name  # dialogs: loaded when first needed

        problem = self.document.problems_before_saving()
        if problem:
            self.show_message(problem)
            return

        def named(name: str | None) -> None:
            self.prompt = None
            if name is None:
                return
            self.document.target = self.targets.key
            if self.document.save_as(name) is not None:
                self.library_panel.refresh(select=self.document.path)
                if after is not None:
                    after()

        suggestion = self.document.name or _suggest_name(self.binding.draft.body, self.binding.kind)
        self.prompt = ask_name(self.as_widget(), "Save preset", suggestion, named)

    def offer_restore(self) -> bool:
        """Offer the newest draft a crashed session left behind; True when one is offered."""
        orphans = self.document.store.orphans()
        if not orphans:
            return False
        newest = orphans[0]
        others = orphans[1:]

        def restore() -> None:
            for other in others:
                self.document.store.remove(other)
            self.document.restore(newest)
            self.targets.select(self.document.target)
            self.show_message(f"Restored {Document.describe_saved(newest)}: save it to keep it")

        def discard() -> None:
            for orphan in orphans:
                self.document.store.remove(orphan)

        self.restore_banner.show_message(
            f"composer did not close cleanly. Restore your unsaved request "
            f"{Document.describe_saved(newest)}?",
            [("Restore", restore), ("Discard", discard)],
            level="warning",
        )
        return True


def install_samples_once(library: PresetLibrary) -> None:
    """On the very first start, fill the new library with the sample presets."""
    if library.folder.exists():
        return
    from composer.core.presets import parse_preset
    from composer.resources import sample_preset_names, sample_preset_text

    for name in sample_preset_names():
        with contextlib.suppress(Exception):  # a broken sample must never stop the app
            library.save(parse_preset(sample_preset_text(name)))


def _suggest_name(body: dict[str, Any], kind: RequestKind) -> str:
    from composer.ui.prompts import suggested_name  # dialogs: loaded when first needed

    inputs = body.get("inputs")
    prompt = inputs.get("prompt") if isinstance(inputs, dict) else None
    detail = prompt.strip() if isinstance(prompt, str) else None
    return suggested_name(body.get(kind.key) or kind.label, detail, kind.label)
