"""The "Outputs" page of the runs panel: a run's gallery, or a batch's grid filled in live.

::

    install_outputs_page(window)     # adds the page beside "Summary" in the runs panel

The runs panel tells the page what is selected (:meth:`OutputsPage.show_selection`) and again on
every change of it. A run shows its outputs gallery; a batch shows the grid, updated cell by cell
(only the runs that changed since the last call are passed on, so a busy batch stays cheap).
Pictures come through the client of the submission's target (``submission.session.api``).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QStackedWidget, QWidget

from composer.core.runs import RunState
from composer.ui.outputs.gallery import OutputsGallery
from composer.ui.outputs.grid_view import BatchGridView

if TYPE_CHECKING:
    from composer.ui.main_window import MainWindow
    from composer.ui.runs.selection import RunSelection


class OutputsPage(QStackedWidget):
    """Gallery or grid, following the runs panel's selection."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("outputs_page")
        self.gallery = OutputsGallery()
        self.grid = BatchGridView()
        self.addWidget(self.gallery)
        self.addWidget(self.grid)
        self._batch_of: object | None = None  # the submission whose batch the grid shows
        self._seen: dict[int, RunState] = {}

    def show_selection(self, selection: RunSelection) -> None:
        """Show what the runs panel has selected (a run, a batch, or nothing)."""
        submission = selection.submission
        source = _source_of(submission)
        if selection.batch is not None and submission is not None:
            self.setCurrentWidget(self.grid)
            self._show_batch(submission, source, selection.batch.states)
            return
        if self._batch_of is not None:
            # Another selection: drop the grid's page (its cells would go on being made, and
            # a new source would make them all again).
            self._batch_of = None
            self._seen = {}
            self.grid.show_batch({})
        self.gallery.set_source(source)
        self.setCurrentWidget(self.gallery)
        self.gallery.show_run(selection.state)

    def _show_batch(
        self, submission: Any, source: Any, states: tuple[RunState | None, ...]
    ) -> None:
        fresh = submission is not self._batch_of
        if fresh:
            self._batch_of = submission
            self._seen = {}
            self.grid.show_batch({})  # the old page goes before the source changes
            self.grid.set_source(source)
            self.grid.show_batch(submission.sent_body)
        changed = []
        for index, state in enumerate(states):
            if state is None or self._seen.get(index) is state:
                continue
            self._seen[index] = state
            if state.batch_index != index:
                state = dataclasses.replace(state, batch_index=index)
            changed.append(state)
        if changed:
            self.grid.update_runs(changed)


def _source_of(submission: Any) -> Any:
    session = getattr(submission, "session", None)
    return getattr(session, "api", None)


def install_outputs_page(window: MainWindow) -> OutputsPage:
    """Put the Outputs page in the window's runs panel (beside "Summary") and return it."""
    page = OutputsPage()
    view = window.ensure_runs_view()
    view.add_detail_page("Outputs", page)
    page.gallery.message.connect(window.show_message)
    page.grid.message.connect(window.show_message)
    page.grid.run_activated.connect(view.select_run)
    return page
