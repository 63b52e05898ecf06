"""One received request in full: the request line, where it came from, headers and body."""

from __future__ import annotations

import json
from typing import Final

from PySide6.QtWidgets import QLabel, QPlainTextEdit, QSizePolicy, QVBoxLayout, QWidget

from composer.core.webhooks import WebhookRecord
from composer.ui.highlighter import JsonHighlighter
from composer.ui.preview import code_font
from composer.ui.theme import Theme, set_role

PRETTY_LIMIT: Final = 200_000  # bytes of body pretty-printed; beyond, the raw text (cut) is shown
RAW_LIMIT: Final = 400_000
BODY_HEADING: Final = "Body: "
_IN_BODY: Final = 1  # block state of the lines after the body heading


class RecordHighlighter(JsonHighlighter):
    """JSON colours for the body only: the request line and headers stay plain."""

    def highlightBlock(self, text: str) -> None:
        in_body = self.previousBlockState() == _IN_BODY or text.startswith(BODY_HEADING)
        self.setCurrentBlockState(_IN_BODY if in_body else 0)
        if in_body and not text.startswith(BODY_HEADING):
            super().highlightBlock(text)


def body_text(record: WebhookRecord) -> tuple[str, str]:
    """(a heading, the body as text): pretty JSON when it parses, else text, else a hex note."""
    size = len(record.body)
    if not record.body:
        return f"{BODY_HEADING}empty", ""
    if record.json is not None and size <= PRETTY_LIMIT:
        return f"{BODY_HEADING}{size} bytes of JSON", json.dumps(
            record.json, indent=2, ensure_ascii=False
        )
    try:
        text = record.body.decode("utf-8")
    except UnicodeDecodeError:
        return f"{BODY_HEADING}{size} bytes, not UTF-8 text", record.body[:4096].hex(" ")
    kind = "JSON" if record.json is not None else "text"
    cut = f" (first {RAW_LIMIT} shown)" if size > RAW_LIMIT else ""
    return f"{BODY_HEADING}{size} bytes of {kind}{cut}", text[:RAW_LIMIT]


def headline(record: WebhookRecord) -> str:
    """A short line naming the event: ``#6 POST · run.updated success · run 3f1f8f36…``."""
    parts = [f"#{record.seq} {record.method}"]
    what = " ".join(word for word in (record.event_type, record.status) if word)
    parts.append(what or f"{len(record.body)} bytes to {record.path}")
    if record.run_id:
        parts.append(f"run {record.run_id}")
    if record.signature is not None:
        parts.append(f"signature {record.signature.state.value}")
    return " · ".join(parts)


def describe(record: WebhookRecord) -> str:
    """The whole request as readable text: request line, origin, signature, headers, body."""
    when = record.received_at.astimezone().strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
    lines = [
        f"{record.method} {record.target}",
        f"#{record.seq} from {record.remote or 'an unknown address'} at {when} (local time)",
    ]
    if record.signature is not None:
        lines.append(f"Signature: {record.signature.state.value}: {record.signature.reason}")
    lines += ["", f"Headers ({len(record.headers)})"]
    lines += [f"  {name}: {value}" for name, value in record.headers]
    heading, text = body_text(record)
    lines += ["", heading]
    if text:
        lines.append(text)
    return "\n".join(lines)


class RecordDetails(QWidget):
    """A read-only, highlighted view of one record (or a hint when none is selected)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel("Select an event to see its headers and body")
        self.title.setObjectName("webhook_event_title")
        set_role(self.title, "muted")
        # Never let a long line widen the panel (it shares a splitter with the list).
        self.title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.text = QPlainTextEdit()
        self.text.setObjectName("webhook_event_json")
        self.text.setAccessibleName("Selected event: headers and body")
        self.text.setReadOnly(True)
        self.text.setFont(code_font())
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.highlighter = RecordHighlighter(self.text.document())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.title)
        layout.addWidget(self.text, 1)
        self.record: WebhookRecord | None = None

    def show_record(self, record: WebhookRecord | None, count: int = 1) -> None:
        """Show ``record``; ``count`` > 1 says how many are selected."""
        self.record = record
        if record is None:
            self.title.setText("Select an event to see its headers and body")
            self.text.clear()
            return
        extra = f" · {count} selected" if count > 1 else ""
        self.title.setText(f"{headline(record)}{extra}")
        self.title.setToolTip(record.summary())
        self.text.setPlainText(describe(record))

    def set_theme(self, theme: Theme) -> None:
        """Recolour the JSON."""
        self.highlighter.set_theme(theme)
