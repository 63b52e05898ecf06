"""The form's webhook helpers: "Use local receiver", the run.output switch, and the reach note.

Built with the window, so it imports no asyncio, receiver or client at module level.

"Use local receiver" starts the app's receiver when needed and puts its URL in ``webhook``
(signed when signing is on); the checkbox adds or removes ``target_events=run.output`` in the
URL (:func:`~composer.core.webhook_urls.with_run_output`), whatever the URL; the note says, for a
local URL, that a remote API cannot reach it while the sandbox (on this machine) can.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Final

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from composer.core.draft import DraftChange
from composer.core.webhook_urls import remote_api_note, wants_run_output, with_run_output
from composer.ui.binding import DraftBinding
from composer.ui.theme import set_role

if TYPE_CHECKING:  # asyncio is loaded after the first frame (see composer.app)
    import asyncio

WEBHOOK: Final = ("webhook",)
LOCAL_TARGET_NOTE: Final = (
    "The target runs on this machine and can call this URL. A remote API (ComfyDeploy) "
    "cannot reach it: use a tunnel's URL there."
)

UrlProvider = Callable[[], Awaitable[str | None]]


class WebhookFormTools(QWidget):
    """The button, checkbox and note under the form's Webhook URL field.

    ``receiver_url()`` starts the receiver if needed and gives its URL (None on failure);
    ``sign(url)`` signs it when signing is on; ``target_is_local()`` says whether the API the
    request goes to runs on this machine. ``message(str)`` carries status-bar text.
    """

    message = Signal(str)

    def __init__(
        self,
        binding: DraftBinding,
        receiver_url: UrlProvider,
        *,
        sign: Callable[[str], str] = lambda url: url,
        target_is_local: Callable[[], bool] = lambda: True,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("webhook__tools")
        self.binding = binding
        self.receiver_url = receiver_url
        self.sign = sign
        self.target_is_local = target_is_local
        self.task: asyncio.Task[str | None] | None = None
        self.use_button = QPushButton("Use local receiver")
        self.use_button.setObjectName("webhook__use_receiver")
        self.use_button.setToolTip(
            "Start composer's receiver and send this request's webhooks to it"
        )
        self.run_output = QCheckBox("Also run.output events")
        self.run_output.setObjectName("webhook__run_output")
        self.run_output.setToolTip(
            "Adds ?target_events=run.output to the URL: one event per saved output"
        )
        self.note = QLabel()
        self.note.setObjectName("webhook__note")
        self.note.setWordWrap(True)
        self.note.hide()
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(10)
        row.addWidget(self.use_button)
        row.addWidget(self.run_output)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(row)
        layout.addWidget(self.note)
        self.use_button.clicked.connect(self.use_local_receiver)
        self.run_output.toggled.connect(self._on_run_output)
        binding.changed.connect(self._on_change)
        self.refresh()

    @property
    def url(self) -> str | None:
        """The webhook URL in the draft, if it is text."""
        value = self.binding.get(WEBHOOK)
        return value if isinstance(value, str) and value else None

    def use_local_receiver(self) -> asyncio.Task[str | None] | None:
        """Start the receiver if needed and put its URL in the request (the button)."""
        from composer.ui.webhooks.tasks import spawn

        if self.task is not None and not self.task.done():
            return self.task
        self.task = spawn(self._use(), self.message.emit)
        return self.task

    async def _use(self) -> str | None:
        self.use_button.setEnabled(False)
        try:
            url = await self.receiver_url()
        finally:
            self.use_button.setEnabled(True)
        if url is None:
            return None
        base = url
        url = self.sign(with_run_output(url, self.run_output.isChecked()))
        self.binding.draft.seal()
        self.binding.set(WEBHOOK, url)
        self.binding.draft.seal()
        signed = " (signed)" if url != with_run_output(base, self.run_output.isChecked()) else ""
        self.message.emit(f"Webhooks of this request go to composer's receiver at {base}{signed}")
        return url

    def _on_run_output(self, on: bool) -> None:
        url = self.url
        if url is None or wants_run_output(url) == on:
            return
        self.binding.draft.seal()
        self.binding.set(WEBHOOK, with_run_output(url, on))
        self.binding.draft.seal()

    def _on_change(self, change: DraftChange) -> None:
        if change.touches(WEBHOOK):
            self.refresh()

    def refresh(self) -> None:
        """Follow the URL in the draft (checkbox, note) and the target."""
        url = self.url
        self.run_output.blockSignals(True)
        self.run_output.setChecked(wants_run_output(url))
        self.run_output.blockSignals(False)
        note = remote_api_note(url) if url else None
        if note is None:
            self.note.hide()
            return
        local = self.target_is_local()
        self.note.setText(LOCAL_TARGET_NOTE if local else note)
        set_role(self.note, "hint" if local else "warning")
        self.note.show()
