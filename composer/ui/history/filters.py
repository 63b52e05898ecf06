"""The History view's filter bar: text, status, model or deployment, and date, as a HistoryQuery.

Typing is coalesced (a short timer) so the list follows the text without a query per key.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Final

from PySide6.QtCore import QDate, QTimer, Signal
from PySide6.QtWidgets import QComboBox, QDateEdit, QHBoxLayout, QLineEdit, QWidget

from composer.core.history import HistoryQuery

SEARCH_DELAY_MS: Final = 150
STATUSES: Final = (
    "success",
    "failed",
    "running",
    "queued",
    "submitted",
    "cancelled",
    "timeout",
    "error",
)
DATE_CHOICES: Final = ("Any time", "Today", "Last 7 days", "Last 30 days", "This year", "Between…")


def date_range(
    choice: str, today: date, first: date | None = None, last: date | None = None
) -> tuple[datetime | None, datetime | None]:
    """``since`` (inclusive) and ``until`` (exclusive) as UTC datetimes for a date choice, in
    the local time zone's days. "Between…" takes ``first`` to ``last`` inclusive."""

    def start_of(day: date) -> datetime:
        return datetime.combine(day, time()).astimezone().astimezone(UTC)

    tomorrow = today + timedelta(days=1)
    match choice:
        case "Today":
            return start_of(today), start_of(tomorrow)
        case "Last 7 days":
            return start_of(today - timedelta(days=6)), start_of(tomorrow)
        case "Last 30 days":
            return start_of(today - timedelta(days=29)), start_of(tomorrow)
        case "This year":
            return start_of(date(today.year, 1, 1)), start_of(tomorrow)
        case "Between…":
            since = start_of(first) if first else None
            until = start_of(last + timedelta(days=1)) if last else None
            return since, until
    return None, None


class HistoryFilters(QWidget):
    """Search field and filter choices; ``changed`` carries the query (after a short pause)."""

    changed = Signal(object)  # HistoryQuery

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("history_filters")
        self.text = QLineEdit()
        self.text.setObjectName("history_search")
        self.text.setPlaceholderText("Search prompts, inputs, models, run or batch ids…")
        self.text.setClearButtonEnabled(True)
        self.text.setAccessibleName("Search history")
        self.status = QComboBox()
        self.status.setObjectName("history_status")
        self.status.setAccessibleName("Status")
        self.status.addItem("Any status", None)
        for status in STATUSES:
            self.status.addItem(status, status)
        self.subject = QComboBox()
        self.subject.setObjectName("history_subject")
        self.subject.setAccessibleName("Model or deployment")
        self.subject.setMinimumContentsLength(14)
        self.subject.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.set_subjects([])
        self.dates = QComboBox()
        self.dates.setObjectName("history_dates")
        self.dates.setAccessibleName("Date")
        self.dates.addItems(DATE_CHOICES)
        self.first = QDateEdit()
        self.first.setObjectName("history_first_date")
        self.first.setCalendarPopup(True)
        self.first.setDisplayFormat("yyyy-MM-dd")
        self.last = QDateEdit()
        self.last.setObjectName("history_last_date")
        self.last.setCalendarPopup(True)
        self.last.setDisplayFormat("yyyy-MM-dd")
        today = QDate.currentDate()
        self.first.setDate(today.addDays(-7))
        self.last.setDate(today)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SEARCH_DELAY_MS)
        self._timer.timeout.connect(self.apply)
        self.text.textChanged.connect(lambda _t: self._timer.start())
        self.text.returnPressed.connect(self.apply)
        for combo in (self.status, self.subject, self.dates):
            combo.currentIndexChanged.connect(lambda _i: self.apply())
        self.first.dateChanged.connect(lambda _d: self.apply())
        self.last.dateChanged.connect(lambda _d: self.apply())
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.text, 3)
        layout.addWidget(self.status)
        layout.addWidget(self.subject, 1)
        layout.addWidget(self.dates)
        layout.addWidget(self.first)
        layout.addWidget(self.last)
        self._show_range()

    def set_subjects(self, subjects: Sequence[tuple[str, int]]) -> None:
        """The model and deployment ids to offer (most used first), keeping the choice."""
        current = self.subject.currentData()
        self.subject.blockSignals(True)
        self.subject.clear()
        self.subject.addItem("Any model or deployment", None)
        for subject, count in subjects:
            self.subject.addItem(f"{subject} ({count:,})", subject)
        index = self.subject.findData(current) if current is not None else 0
        self.subject.setCurrentIndex(max(0, index))
        self.subject.blockSignals(False)

    def query(self) -> HistoryQuery:
        """The query the filters describe now."""
        choice = self.dates.currentText()
        first = self.first.date().toPython() if choice == "Between…" else None
        last = self.last.date().toPython() if choice == "Between…" else None
        since, until = date_range(choice, date.today(), first, last)  # type: ignore[arg-type]
        text = self.text.text().strip()
        return HistoryQuery(
            text=text or None,
            subject=self.subject.currentData(),
            status=self.status.currentData(),
            since=since,
            until=until,
        )

    def apply(self) -> None:
        """Emit the query now (the search timer's end, Enter, or a choice)."""
        self._timer.stop()
        self._show_range()
        self.changed.emit(self.query())

    def _show_range(self) -> None:
        between = self.dates.currentText() == "Between…"
        self.first.setVisible(between)
        self.last.setVisible(between)
