"""Saving outputs from the views: pick a folder or a file (non-modal), show progress and outcome.

The files are fetched and written by :func:`composer.client.files.save_outputs`; names come from
:mod:`composer.core.output_files` (nothing in the folder is overwritten). This module only asks
where and shows how it went.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QProgressBar, QVBoxLayout, QWidget
from shiboken6 import Shiboken

from composer.client.files import Fetcher, SavedFile, save_outputs
from composer.core.output_files import OutputFile, describe_saved, plan_paths
from composer.ui.theme import set_role

_last_folder: list[Path] = []  # where the user saved last in this session


def choose_folder(parent: QWidget, title: str, answer: Callable[[Path], object]) -> QFileDialog:
    """Ask for a folder without a nested event loop; ``answer`` gets it (not called on cancel)."""
    dialog = QFileDialog(parent, title)
    dialog.setObjectName("save_folder_dialog")
    dialog.setFileMode(QFileDialog.FileMode.Directory)
    dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptOpen)
    dialog.setLabelText(QFileDialog.DialogLabel.Accept, "Save here")
    if _last_folder:
        dialog.setDirectory(str(_last_folder[0]))

    def chosen(path: str) -> None:
        folder = Path(path)
        _last_folder[:] = [folder]
        answer(folder)

    dialog.fileSelected.connect(chosen)
    dialog.finished.connect(lambda _result: dialog.deleteLater())
    dialog.open()
    return dialog


def choose_file(
    parent: QWidget, title: str, suggestion: str, answer: Callable[[Path], object]
) -> QFileDialog:
    """Ask where to save one file (non-modal); ``answer`` gets the path."""
    dialog = QFileDialog(parent, title)
    dialog.setObjectName("save_file_dialog")
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    dialog.setFileMode(QFileDialog.FileMode.AnyFile)
    folder = _last_folder[0] if _last_folder else Path.home()
    dialog.setDirectory(str(folder))
    dialog.selectFile(suggestion)

    def chosen(path: str) -> None:
        target = Path(path)
        _last_folder[:] = [target.parent]
        answer(target)

    dialog.fileSelected.connect(chosen)
    dialog.finished.connect(lambda _result: dialog.deleteLater())
    dialog.open()
    return dialog


class SaveBar(QWidget):
    """Progress while files are saved, then what was saved where and what was not (and why)."""

    finished = Signal(object)  # list[SavedFile]

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("save_bar")
        self.status = QLabel()
        self.status.setObjectName("save_bar__status")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.status.setOpenExternalLinks(False)
        self.status.linkActivated.connect(lambda link: QDesktopServices.openUrl(QUrl(link)))
        self.progress = QProgressBar()
        self.progress.setObjectName("save_bar__progress")
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(6)
        self.progress.setMaximumWidth(160)
        self.problems = QLabel()
        self.problems.setObjectName("save_bar__problems")
        self.problems.setWordWrap(True)
        self.problems.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        set_role(self.problems, "error")
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.progress)
        top.addWidget(self.status, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addWidget(self.problems)
        self.results: list[SavedFile] = []
        self._task: asyncio.Task[list[SavedFile]] | None = None
        self.hide()

    @property
    def busy(self) -> bool:
        """True while a save is going on."""
        return self._task is not None and not self._task.done()

    def save(
        self, fetcher: Fetcher, files: Sequence[OutputFile], folder: Path
    ) -> asyncio.Task[list[SavedFile]] | None:
        """Save ``files`` into ``folder`` (new names for taken ones); the task gives the results."""
        if self.busy:
            self._say("Still saving the previous files…", "warning")
            return None
        if not files:
            self._say("Nothing to save yet: this run has no outputs.", "muted")
            return None
        try:
            # No mkdir here: the writer creates missing folders, and plan_paths takes a missing
            # folder as empty; listing it can still fail (permissions).
            paths = plan_paths(folder, [file.name for file in files])
        except OSError as exc:
            self._say(f"Cannot save to {folder}: {exc.strerror or exc}", "error")
            return None
        return self.save_to(fetcher, files, paths)

    def save_to(
        self, fetcher: Fetcher, files: Sequence[OutputFile], paths: Sequence[Path]
    ) -> asyncio.Task[list[SavedFile]] | None:
        """Save each file to the path at the same position."""
        if self.busy:
            self._say("Still saving the previous files…", "warning")
            return None
        self.results = []
        self.problems.hide()
        self._task = asyncio.ensure_future(self._run(fetcher, files, paths))
        self._say(f"Saving {len(files)} file{'s' if len(files) != 1 else ''}…", "muted")
        self.progress.setRange(0, len(files))
        self.progress.setValue(0)
        self.progress.show()
        return self._task

    async def _run(
        self, fetcher: Fetcher, files: Sequence[OutputFile], paths: Sequence[Path]
    ) -> list[SavedFile]:
        def progress(done: int, total: int, _result: SavedFile) -> None:
            if not Shiboken.isValid(self):
                return  # the view closed; the files are still saved
            self.progress.setValue(done)
            self.status.setText(f"Saving {done} of {total}…")

        try:
            results = await save_outputs(fetcher, files, paths, on_progress=progress)
        finally:
            if Shiboken.isValid(self):
                self.progress.hide()
        if not Shiboken.isValid(self):
            return results
        self.results = results
        self._report(results)
        self.finished.emit(results)
        return results

    def _report(self, results: list[SavedFile]) -> None:
        saved = [result.path for result in results if result.ok]
        failed = [result for result in results if not result.ok]
        folder = (saved[0] if saved else results[0].path).parent
        link = f'<a href="{QUrl.fromLocalFile(str(folder)).toString()}">Open folder</a>'
        if saved and not failed:
            self._say(f"✓ {describe_saved(saved, folder)} · {link}", "muted")
        elif saved:
            self._say(
                f"{describe_saved(saved, folder)}; {len(failed)} not saved · {link}", "warning"
            )
        else:
            self._say(
                f"✕ Nothing saved: {len(failed)} file{'s' if len(failed) != 1 else ''} failed",
                "error",
            )
        if failed:
            lines = [f"{result.file.name}: {result.error}" for result in failed[:8]]
            if len(failed) > 8:
                lines.append(f"… and {len(failed) - 8} more")
            self.problems.setText("\n".join(lines))
            self.problems.show()

    def _say(self, text: str, role: str) -> None:
        self.status.setText(text)
        set_role(self.status, role)
        if not self.busy:
            self.progress.hide()
        self.show()
