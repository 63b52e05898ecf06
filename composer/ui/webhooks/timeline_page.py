"""A run's timeline: its webhook events beside its polled statuses, with the traps marked.

The analysis is :func:`composer.core.timeline.analyse_run`; this page says what it found in words
a webhook handler's author can act on: each event in arrival order (time since the first), what
it reported, and under it why it matters ("Sent as GET: ..."). Above the list, the whole run:
how many events, which traps showed up, and whether the terminal event never came.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QBrush, QColor, QFont, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import Shiboken

from composer.core.runs import RunUpdate, UpdateSource
from composer.core.timeline import Mark, PolledStatus, Timeline, TimelineEntry, analyse_run
from composer.core.webhooks import WebhookRecord
from composer.core.wire import TERMINAL_STATUSES
from composer.ui.theme import current_theme, set_role

# Short names of the marks, as shown in the list and the summary line.
MARK_WORDS: Final[dict[Mark, str]] = {
    Mark.OUT_OF_ORDER: "out of order",
    Mark.DUPLICATE_TERMINAL: "terminal event again",
    Mark.GET_RETRY: "retry sent as GET",
    Mark.REDELIVERY: "same body again",
    Mark.RUN_OUTPUT: "run.output",
    Mark.NOT_COMFYDEPLOY: "not a ComfyDeploy payload",
    Mark.MISSING_TERMINAL: "no terminal event",
}
# The marks a handler must cope with (run.output is information, not a trap).
TRAPS: Final = frozenset(Mark) - {Mark.RUN_OUTPUT}
ANALYSIS_BUDGET: Final = 0.004  # seconds of a batch's runs analysed per turn of the loop

RecordsOf = Callable[[str], list[WebhookRecord]]


class PollLog:
    """The statuses seen by polling or streaming, per run, for the timelines."""

    def __init__(self) -> None:
        self._by_run: dict[str, list[PolledStatus]] = {}

    def add(self, update: RunUpdate) -> None:
        """Note a non-webhook update (repeats of the same status and progress are skipped)."""
        if update.source is UpdateSource.WEBHOOK or update.status is None:
            return
        seen = self._by_run.setdefault(update.run_id, [])
        if seen and (seen[-1].status, seen[-1].progress) == (update.status, update.progress):
            return
        seen.append(
            PolledStatus(update.received_at, update.status, update.progress, update.live_status)
        )

    def statuses(self, run_id: str) -> list[PolledStatus]:
        """What was polled for ``run_id``, in order."""
        return list(self._by_run.get(run_id, ()))


def summary_text(timeline: Timeline) -> str:
    """One line about the whole run: counts and the traps seen."""
    webhooks = len(timeline.webhook_entries)
    polls = len(timeline.entries) - webhooks
    parts = [f"{webhooks} webhook event{'s' if webhooks != 1 else ''}"]
    if polls:
        parts.append(f"{polls} polled status{'es' if polls != 1 else ''}")
    if timeline.terminal_status:
        parts.append(f"ended {timeline.terminal_status} (webhook)")
    elif timeline.polled_terminal_status:
        parts.append(f"ended {timeline.polled_terminal_status} (polling)")
    counts = timeline.mark_counts
    traps = [f"{counts[mark]}× {MARK_WORDS[mark]}" for mark in MARK_WORDS if counts.get(mark)]
    if traps:
        parts.append("seen: " + ", ".join(traps))
    elif webhooks:
        parts.append("no traps seen")
    return " · ".join(parts)


def _offset(at: datetime, start: datetime) -> str:
    seconds = (at - start).total_seconds()
    return f"+{seconds:.3f} s" if seconds >= 0 else f"{seconds:.3f} s"


def _what(entry: TimelineEntry) -> str:
    if entry.source == "poll":
        return f"polled: {entry.status}"
    record = entry.record
    name = entry.event_type or ("not ComfyDeploy" if record and record.body else "no body")
    return f"{name} {entry.status or ''}".strip()


@dataclass(frozen=True, slots=True)
class _BatchLine:
    """What one run's line in a batch shows."""

    texts: tuple[str, str, str, str, str]
    events: int
    trap: bool


class RunTimelinePage(QWidget):
    """The timeline of one run; :meth:`show_run` fills it.

    ``records_of(run_id)`` gives the webhook records of a run (the events model's
    :meth:`~composer.ui.webhooks.events_model.EventsModel.run_records`); ``polls`` the statuses
    polled so far (feed it with :meth:`PollLog.add`).
    """

    COLUMNS: Final = ("When", "From", "What", "Progress", "Handler must cope with")

    def __init__(
        self, records_of: RecordsOf, polls: PollLog | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("run_timeline")
        self.records_of = records_of
        self.polls = polls or PollLog()
        self.run_id: str | None = None
        self.timeline: Timeline | None = None
        self._run_ended: bool | None = None
        self._batch_runs: list[str | None] | None = None
        self._batch_lines: list[_BatchLine] = []  # what each line of a batch shows
        self._finishing = False  # the rest of a batch's lines is due at the next turn
        self._missed = False  # news of the shown runs came while out of sight
        self._analysed = 0  # runs analysed in this call (for the time budget)
        # A batch run's line and what it was made from (record count, last seq, polled count).
        self._batch_cache: dict[str, tuple[tuple[int, int | None, int], _BatchLine]] = {}
        self.summary = QLabel("Select a run to see its webhook events")
        self.summary.setObjectName("run_timeline__summary")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.notes = QLabel()
        self.notes.setObjectName("run_timeline__notes")
        self.notes.setWordWrap(True)
        set_role(self.notes, "warning")
        self.notes.hide()
        self.tree = QTreeWidget()
        self.tree.setObjectName("run_timeline__entries")
        self.tree.setAccessibleName("Run timeline")
        self.tree.setColumnCount(len(self.COLUMNS))
        self.tree.setHeaderLabels(list(self.COLUMNS))
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(False)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.tree.header()
        header.setStretchLastSection(True)
        for column, width in enumerate((66, 104, 150, 56)):
            header.resizeSection(column, width)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.summary)
        layout.addWidget(self.notes)
        layout.addWidget(self.tree, 1)

    def show_run(
        self,
        run_id: str | None,
        *,
        polled: Sequence[PolledStatus] | None = None,
        run_ended: bool | None = None,
    ) -> Timeline | None:
        """Show the timeline of ``run_id`` (None: nothing); returns the analysis.

        ``polled`` defaults to what :attr:`polls` holds; ``run_ended`` to "a polled status is
        terminal" (only then is a missing terminal webhook event marked).
        """
        self.run_id = run_id
        self._run_ended = run_ended
        self._missed = False  # all is shown anew
        self._batch_runs = None
        self._batch_lines = []
        self._batch_cache.clear()
        self.tree.clear()
        self.tree.setUniformRowHeights(False)  # a run's entries have notes of several lines
        if run_id is None:
            self.timeline = None
            self.summary.setText("Select a run to see its webhook events")
            self.notes.hide()
            return None
        polls = list(polled) if polled is not None else self.polls.statuses(run_id)
        timeline = analyse_run(self.records_of(run_id), polls, run_ended=run_ended)
        self.timeline = timeline
        self.summary.setText(f"Run {run_id}: {summary_text(timeline)}")
        self.notes.setText("\n".join(timeline.notes))
        self.notes.setVisible(bool(timeline.notes))
        if not timeline.entries:
            item = QTreeWidgetItem(["", "", "No webhook event for this run yet"])
            item.setForeground(2, QColor(current_theme().muted))
            self.tree.addTopLevelItem(item)
            return timeline
        start = timeline.entries[0].at
        for entry in timeline.entries:
            self._add_entry(entry, start)
        return timeline

    def refresh(self, run_ids: set[str] | None = None) -> None:
        """Show the current run (or batch) again (when ``run_ids`` is None or names it).

        Out of sight, the page only notes that it missed news, and catches up when shown.
        """
        if not self._concerns(run_ids):
            return
        if not self.isVisible():
            self._missed = True
        elif self._batch_runs is not None:
            self.show_batch_runs(self._batch_runs)
        elif self.run_id is not None:
            self.show_run(self.run_id, run_ended=self._run_ended)

    def _concerns(self, run_ids: set[str] | None) -> bool:
        if self._batch_runs is not None:
            return run_ids is None or bool(
                run_ids & {run_id for run_id in self._batch_runs if run_id}
            )
        return self.run_id is not None and (run_ids is None or self.run_id in run_ids)

    def show_selection(self, selection: Any) -> None:
        """What the runs panel selected (its ``RunSelection``): a run, a batch or nothing."""
        batch = getattr(selection, "batch", None)
        if batch is not None:
            ids = [state.run_id if state is not None else None for state in batch.states]
            self.show_batch_runs(ids)
            return
        state = getattr(selection, "state", None)
        run_id = getattr(selection, "run_id", None)
        ended = bool(state.is_terminal) if state is not None else None
        self.show_run(run_id, run_ended=ended)

    def show_batch_runs(self, run_ids: Sequence[str | None]) -> None:
        """One line per run of a batch: its webhook events and the traps they showed.

        Called again while the batch runs: a run is analysed again only when it has new events
        or polled statuses, and only lines that changed are rewritten (a batch of hundreds of
        runs is shown several times a second)."""
        runs = list(run_ids)
        if self._batch_runs is None or len(self._batch_runs) != len(runs):
            self.tree.clear()
            self.tree.setRootIsDecorated(False)
            # One line per run, all alike: the tree need not measure hundreds of rows.
            self.tree.setUniformRowHeights(True)
            self._batch_lines = []
            items = [QTreeWidgetItem() for _ in runs]
            self.tree.addTopLevelItems(items)
        self._batch_runs = runs
        self._missed = False  # all is shown anew
        self.run_id = None
        self.timeline = None
        self.notes.hide()
        events = 0
        lines = self._batch_lines
        deadline = time.perf_counter() + ANALYSIS_BUDGET
        unfinished = False
        self._analysed = 0
        for position, run_id in enumerate(runs):
            analyse = self._analysed == 0 or time.perf_counter() < deadline  # one at least
            line = self._batch_line(position, len(runs), run_id, analyse)
            if line is None:  # news to analyse, no time left: the line waits for the next turn
                unfinished = True
                events += lines[position].events if position < len(lines) else 0
                continue
            events += line.events
            if position < len(lines) and lines[position] == line:
                continue
            item = self.tree.topLevelItem(position)
            if item is None:  # pragma: no cover - the items were made above
                continue
            for column, text in enumerate(line.texts):
                item.setText(column, text)
            item.setToolTip(1, run_id or "")
            muted, warning = current_theme().muted, current_theme().warning
            item.setForeground(2, QColor(muted) if run_id is None else QBrush())
            item.setForeground(4, QColor(warning) if line.trap else QBrush())
            if position < len(lines):
                lines[position] = line
            else:
                lines.append(line)
        known = sum(1 for run_id in runs if run_id)
        self.summary.setText(
            f"Batch of {len(runs)} runs ({known} known by id): {events} webhook events. "
            "Select a run for its timeline."
        )
        if unfinished and not self._finishing:
            self._finishing = True
            QTimer.singleShot(0, self._finish_batch)

    def _finish_batch(self) -> None:
        """The lines left for lack of time (a batch whose runs all had news)."""
        if not Shiboken.isValid(self):
            return  # the page went meanwhile
        self._finishing = False
        if self._batch_runs is not None:
            self.show_batch_runs(self._batch_runs)

    def _batch_line(
        self, position: int, total: int, run_id: str | None, analyse: bool = True
    ) -> _BatchLine | None:
        """The line of one run of a batch (its analysis kept until its events change); None
        when it has news but ``analyse`` is False."""
        label = f"run {position + 1} of {total}"
        if not run_id:
            return _BatchLine(("", label, "run id not known yet", "", ""), 0, False)
        records = self.records_of(run_id)
        polled = self.polls.statuses(run_id)
        seen = (len(records), records[-1].seq if records else None, len(polled))
        cached = self._batch_cache.get(run_id)
        if cached is not None and cached[0] == seen and cached[1].texts[1] == label:
            return cached[1]
        if not analyse:
            return None
        self._analysed += 1
        timeline = analyse_run(records, polled)
        count = len(timeline.webhook_entries)
        last = timeline.webhook_entries[-1] if count else None
        what = f"{count} event{'s' if count != 1 else ''}"
        if timeline.terminal_status:
            what += f", ended {timeline.terminal_status}"
        counts = timeline.mark_counts
        traps = ", ".join(
            f"{counts[mark]}× {MARK_WORDS[mark]}" for mark in MARK_WORDS if counts.get(mark)
        )
        progress = "" if last is None or last.progress is None else f"{last.progress:.0%}"
        # When the run's latest event came, in local time (a batch's runs have no common start).
        when = "" if last is None else last.at.astimezone().strftime("%H:%M:%S")
        line = _BatchLine((when, label, what, progress, traps), count, bool(counts.keys() & TRAPS))
        self._batch_cache[run_id] = (seen, line)
        return line

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        # Events that came while hidden, unless the page was shown anew already: the runs
        # panel tells a page coming into sight what it missed before this runs, and analysing
        # the run twice per tab switch is wasted time.
        if self._missed:
            self.refresh()

    def _add_entry(self, entry: TimelineEntry, start: datetime) -> None:
        theme = current_theme()
        source = f"webhook #{entry.record.seq}" if entry.record else "polling"
        if entry.record is not None and entry.record.method.upper() != "POST":
            source += f" ({entry.record.method})"
        progress = "" if entry.progress is None else f"{entry.progress * 100:.0f} %"
        traps = [MARK_WORDS[mark] for mark in MARK_WORDS if mark in entry.marks]
        item = QTreeWidgetItem(
            [_offset(entry.at, start), source, _what(entry), progress, ", ".join(traps)]
        )
        item.setToolTip(0, entry.at.astimezone().strftime("%H:%M:%S.%f")[:-3] + " local time")
        if entry.live_status:
            item.setToolTip(2, entry.live_status)
        if entry.source == "poll":
            for column in range(len(self.COLUMNS)):
                item.setForeground(column, QColor(theme.muted))
        if entry.status in TERMINAL_STATUSES:
            font = QFont(item.font(2))
            font.setBold(True)
            item.setFont(2, font)
        if entry.marks & TRAPS:
            item.setForeground(4, QColor(theme.warning))
        self.tree.addTopLevelItem(item)
        for note in entry.notes:
            # The whole width: the reason is what a handler's author reads.
            child = QTreeWidgetItem([note])
            child.setForeground(0, QColor(theme.muted))
            child.setToolTip(0, note)
            item.addChild(child)
            child.setFirstColumnSpanned(True)
        if entry.notes:
            self.tree.setRootIsDecorated(True)
            item.setExpanded(True)
