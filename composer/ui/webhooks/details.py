"""One received request in full: the request line, where it came from, headers and body."""

from __future__ import annotations

import json
from typing import Final

from PySide6.QtWidgets import QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from composer.core.webhooks import WebhookRecord
from composer.ui.highlighter import JsonHighlighter
from composer.ui.preview import code_font
from composer.ui.theme import Theme, set_role

PRETTY_LIMIT: Final = 200_000  # bytes of body pretty-printed; beyond, the raw text (cut) is shown
RAW_LIMIT: Final = 400_000


def body_text(record: WebhookRecord) -> tuple[str, str]:
    """(a heading, the body as text): pretty JSON when it parses, else text, else a hex note."""
    size = len(record.body)
    if not record.body:
        return "Body: empty", ""
    if record.json is not None and size <= PRETTY_LIMIT:
        return f"Body: {size} bytes of JSON", json.dumps(record.json, indent=2, ensure_ascii=False)
    try:
        text = record.body.decode("utf-8")
    except UnicodeDecodeError:
        return f"Body: {size} bytes, not UTF-8 text", record.body[:4096].hex(" ")
    kind = "JSON" if record.json is not None else "text"
    cut = f" (first {RAW_LIMIT} shown)" if size > RAW_LIMIT else ""
    return f"Body: {size} bytes of {kind}{cut}", text[:RAW_LIMIT]


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
        set_role(self.title, "muted")
        self.text = QPlainTextEdit()
        self.text.setObjectName("webhook_event_json")
        self.text.setAccessibleName("Selected event: headers and body")
        self.text.setReadOnly(True)
        self.text.setFont(code_font())
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.highlighter = JsonHighlighter(self.text.document())
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
        self.title.setText(f"{record.summary()}{extra}")
        self.text.setPlainText(describe(record))

    def set_theme(self, theme: Theme) -> None:
        """Recolour the JSON."""
        self.highlighter.set_theme(theme)
