"""The "Summary" detail page: everything known about the selected run or batch, as rich text.

Links (output files) open in the browser. Other pages (outputs gallery, batch grid, webhook
timeline) sit beside it; see :meth:`composer.ui.runs.view.RunsView.add_detail_page`.
"""

from __future__ import annotations

import html
from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QTextBrowser, QWidget

from composer.core.runs import RunState
from composer.ui.runs import cells, texts
from composer.ui.runs.delegates import status_color
from composer.ui.runs.selection import BatchSnapshot, RunSelection
from composer.ui.theme import current_theme

if TYPE_CHECKING:
    from composer.client.session import Submission

EMPTY_HINT = "Select a run to see its details."
MAX_VALUES = 20
"""A batch column's values listed (a column of hundreds of seeds says nothing more)."""


def _e(value: object) -> str:
    return html.escape(str(value))


def _time(moment: datetime | None) -> str:
    return moment.astimezone().strftime("%H:%M:%S") if moment is not None else "–"


class SummaryPage(QTextBrowser):
    """What the panel knows about the selection: status, ids, timings, inputs, outputs."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("run_summary")
        self.setOpenExternalLinks(True)
        self.setPlaceholderText(EMPTY_HINT)
        self._selection = RunSelection()
        self._shown = ""  # the HTML shown (laid out again only when it changes)

    def show_selection(self, selection: RunSelection) -> None:
        """Show a run, a batch or nothing (called again whenever what is selected changes)."""
        self._selection = selection
        if selection.submission is None:
            text = ""
        elif selection.batch is not None:
            text = self._batch_html(selection.batch)
        else:
            text = self._run_html(selection.submission, selection.state, selection.index)
        if text == self._shown:
            return  # a change this page does not show: no new layout
        self._shown = text
        scroll = self.verticalScrollBar()
        position = scroll.value()
        if text:
            self.setHtml(text)
        else:
            self.clear()
        scroll.setValue(position)  # a live update keeps the reader's place

    # --- pages ---

    def _header(self, title: str, status: str, line: str) -> str:
        theme = current_theme()
        color = status_color(status).name()
        return (
            f"<p style='margin:0'><b style='font-size:larger'>{_e(title)}</b> &nbsp;"
            f"<span style='color:{color}'><b>{_e(texts.status_label(status))}</b></span></p>"
            f"<p style='margin:2px 0 8px 0; color:{theme.muted}'>{_e(line)}</p>"
        )

    def _run_html(self, submission: Submission, state: RunState | None, index: int | None) -> str:
        title = submission.label
        if index is not None:
            title = f"{title} · run {index + 1} of {len(submission.combinations)}"
        # The chip and the detail line of the run's row, so the page and the row agree.
        status = cells.run_status(submission, state)
        line = f"{submission.target} · {submission.endpoint.describe(submission.base_url)}"
        parts = [self._header(title, status, line)]
        detail = cells.detail(submission, state, status)
        if detail:
            parts.append(f"<p>{_e(detail)}</p>")
        rows: list[tuple[str, str]] = []
        if state is not None:
            rows.append(("Run id", f"<code>{_e(state.run_id)}</code>"))
            going = not state.is_terminal
            if going and state.progress is not None:
                rows.append(("Progress", _e(texts.percent(state.progress))))
            if going and state.live_status and state.live_status != detail:
                rows.append(("Live status", _e(state.live_status)))
            timings = state.timings
            rows.append(
                ("Times", " → ".join(
                    f"{name} {_time(moment)}"
                    for name, moment in (
                        ("created", timings.created_at), ("queued", timings.queued_at),
                        ("started", timings.started_at), ("ended", timings.ended_at),
                    )
                    if moment is not None
                ) or "–")
            )  # fmt: skip
            if timings.cold_start_duration is not None:
                rows.append(("Cold start", texts.duration(timings.cold_start_duration)))
            if timings.run_duration is not None:
                rows.append(("Run time", texts.duration(timings.run_duration)))
            if state.source is not None:
                rows.append(("Last news", f"{state.source} ({state.updates} updates)"))
        if submission.batch_id:
            rows.append(("Batch id", f"<code>{_e(submission.batch_id)}</code>"))
        inputs = (
            submission.combinations[index or 0]
            if submission.combinations
            else submission.body.get("inputs") or {}
        )
        if inputs:
            rows.append(("Inputs", "<br>".join(
                f"{_e(key)} = {_e(texts.value_text(value, 120))}" for key, value in inputs.items()
            )))  # fmt: skip
        parts.append(self._table(rows))
        if state is not None and state.outputs:
            parts.append(self._outputs(state))
        if submission.notes and detail != "; ".join(submission.notes):  # not twice
            parts.append("".join(f"<p><i>{_e(note)}</i></p>" for note in submission.notes))
        return "".join(parts)

    def _outputs(self, state: RunState) -> str:
        items = []
        for output in state.outputs:
            for media in output.media:
                items.append(
                    f"<li>{_e(media.kind)}: <a href='{_e(media.url)}'>{_e(media.filename)}</a></li>"
                )
            for text in output.texts:
                items.append(f"<li>text: {_e(texts.value_text(text, 300))}</li>")
        return f"<p style='margin-bottom:2px'><b>Outputs</b></p><ul>{''.join(items)}</ul>"

    def _batch_html(self, batch: BatchSnapshot) -> str:
        submission = batch.submission
        total = len(batch.combinations)
        statuses = list(batch.statuses)
        status = texts.batch_status(statuses)
        line = f"{submission.target} · {submission.endpoint.describe(submission.base_url)}"
        parts = [self._header(f"{batch.label} · {total} runs", status, line)]
        summary = texts.status_counts(statuses)
        rows = [
            ("Runs", _e(f"{batch.done} of {total} done" + (f" ({summary})" if summary else "")))
        ]
        if submission.batch_id:
            rows.append(("Batch id", f"<code>{_e(submission.batch_id)}</code>"))
        for key, values in batch.params.items():
            shown = ", ".join(texts.value_text(v, 40) for v in values[:MAX_VALUES])
            if len(values) > MAX_VALUES:
                shown += f", … ({len(values)} values)"
            rows.append((key, _e(shown)))
        parts.append(self._table(rows))
        if submission.discovery_error:
            parts.append(
                f"<p style='color:{current_theme().warning}'>{_e(submission.discovery_error)}</p>"
            )
        if submission.notes:
            parts.append("".join(f"<p><i>{_e(note)}</i></p>" for note in submission.notes))
        return "".join(parts)

    @staticmethod
    def _table(rows: list[tuple[str, str]]) -> str:
        muted = current_theme().muted
        cells = "".join(
            f"<tr><td style='color:{muted}; padding-right:12px; vertical-align:top'>{_e(name)}</td>"
            f"<td>{value}</td></tr>"
            for name, value in rows
        )
        return f"<table cellspacing='0' cellpadding='2'>{cells}</table>"
