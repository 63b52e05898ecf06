"""Replay: resend selected events to any URL and show how it answered each one.

Sending is :func:`composer.client.replay.replay` on the app's asyncio loop: one request after
another in arrival order, with the original method, headers and body. Each answer shows as it
comes (status, time, the start of its body), so a slow handler never freezes the window.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Final

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from composer.client.replay import DEFAULT_TIMEOUT, ReplayResult, replay
from composer.core.settings import Settings
from composer.core.webhooks import WebhookRecord
from composer.ui.theme import current_theme, set_role
from composer.ui.webhooks.recent import RecentUrls, remember, url_combo
from composer.ui.webhooks.tasks import spawn

RECENT_KEY: Final = "webhooks.replay_urls"
PLACEHOLDER: Final = "Resend to, e.g. http://localhost:3000/api/webhook"


def normalise_url(text: str) -> str:
    """The URL as typed, with ``http://`` added when no scheme was given."""
    text = text.strip()
    return text if not text or "://" in text else f"http://{text}"


class ReplayPanel(QWidget):
    """Choose a URL, send the selected events, read the answers.

    :meth:`set_selection` says what would be sent; :meth:`send` sends it (also the button).
    ``message(str)`` carries status-bar text.
    """

    message = Signal(str)
    COLUMNS: Final = ("#", "Sent", "Answer", "Time", "Body (start)")

    def __init__(self, settings: Settings | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("replay")
        self.recent = RecentUrls(settings, RECENT_KEY)
        self.records: list[WebhookRecord] = []
        self.results: list[ReplayResult] = []
        self.request_timeout = DEFAULT_TIMEOUT
        self.task: asyncio.Task[list[ReplayResult]] | None = None
        self.selection = QLabel()
        self.selection.setObjectName("replay__selection")
        self.url = url_combo("replay__url", PLACEHOLDER, self.recent)
        self.keep_query = QCheckBox("Keep the original query")
        self.keep_query.setObjectName("replay__keep_query")
        self.keep_query.setToolTip(
            "Append the query the event was received with (target_events, a signed URL's "
            "timestamp and signature) to the URL above"
        )
        self.send_button = QPushButton("Send")
        self.send_button.setObjectName("replay__send")
        self.send_button.clicked.connect(self.send_or_stop)
        self.results_view = QTreeWidget()
        self.results_view.setObjectName("replay__results")
        self.results_view.setAccessibleName("Replay answers")
        self.results_view.setHeaderLabels(list(self.COLUMNS))
        self.results_view.setRootIsDecorated(False)
        self.results_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.results_view.header()
        for column, width in enumerate((50, 280, 80, 70)):
            header.resizeSection(column, width)
        header.setStretchLastSection(True)
        self.summary = QLabel()
        self.summary.setObjectName("replay__summary")
        set_role(self.summary, "muted")
        row = QHBoxLayout()
        row.setSpacing(6)
        row.addWidget(self.url, 1)
        row.addWidget(self.keep_query)
        row.addWidget(self.send_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.selection)
        layout.addLayout(row)
        layout.addWidget(self.results_view, 1)
        layout.addWidget(self.summary)
        self.set_selection([])

    def set_selection(self, records: Sequence[WebhookRecord]) -> None:
        """The events :meth:`send` would resend (the events view's selection)."""
        self.records = list(records)
        count = len(self.records)
        if count == 0:
            self.selection.setText("Select events in the Events tab, then resend them here.")
        else:
            numbers = ", ".join(f"#{record.seq}" for record in self.records[:8])
            more = f" and {count - 8} more" if count > 8 else ""
            self.selection.setText(
                f"Resend {count} event{'s' if count > 1 else ''} ({numbers}{more}) "
                "with their method, headers and body to:"
            )
        self._refresh_button()

    def _refresh_button(self) -> None:
        running = self.task is not None and not self.task.done()
        self.send_button.setText("Stop" if running else "Send")
        self.send_button.setEnabled(running or bool(self.records))

    def send_or_stop(self) -> None:
        """The button: send, or stop what is being sent."""
        if self.task is not None and not self.task.done():
            self.task.cancel()
            return
        self.send()

    def send(self) -> asyncio.Task[list[ReplayResult]] | None:
        """Resend the selected events to the URL in the box; the task, or None when not sent."""
        url = normalise_url(self.url.currentText())
        if not url:
            self.message.emit("Type the URL to resend the events to.")
            self.url.setFocus()
            return None
        if not self.records:
            self.message.emit("Select the events to resend first.")
            return None
        remember(self.url, self.recent, url)
        self.results = []
        self.results_view.clear()
        self.summary.setText(f"Sending {len(self.records)} to {url}…")
        self.task = spawn(self._send(list(self.records), url), self.message.emit)
        if self.task is not None:
            self.task.add_done_callback(lambda _task: self._refresh_button())
        self._refresh_button()
        return self.task

    async def _send(self, records: list[WebhookRecord], url: str) -> list[ReplayResult]:
        try:
            return await replay(
                records,
                url,
                keep_query=self.keep_query.isChecked(),
                request_timeout=self.request_timeout,
                on_result=self.add_result,
            )
        except asyncio.CancelledError:
            self.summary.setText(f"Stopped after {len(self.results)} of {len(records)}.")
            raise
        finally:
            if len(self.results) == len(records):
                self._summarise(url)

    def add_result(self, result: ReplayResult) -> None:
        """Show one answer (called as each arrives)."""
        self.results.append(result)
        theme = current_theme()
        if result.status is None:
            answer, body = "no answer", result.error or ""
        else:
            answer, body = str(result.status), " ".join(result.body_excerpt.split())
        item = QTreeWidgetItem(
            [
                str(result.seq),
                f"{result.method} {result.url}",
                answer,
                f"{result.elapsed * 1000:.0f} ms",
                body,
            ]
        )
        item.setToolTip(1, result.url)
        item.setToolTip(4, result.body_excerpt or result.error or "")
        color = theme.json_string if result.ok else theme.error
        item.setForeground(2, QColor(color))
        item.setTextAlignment(3, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.results_view.addTopLevelItem(item)

    def _summarise(self, url: str) -> None:
        ok = sum(1 for result in self.results if result.ok)
        failed = len(self.results) - ok
        text = f"{ok} of {len(self.results)} answered below 400"
        if failed:
            text += f", {failed} did not"
        self.summary.setText(f"{text} ({url}).")
        self.message.emit(f"Replay: {text}")
