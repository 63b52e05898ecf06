"""The receiver's controls: start/stop, address and port, the answer (status, delay), its URL.

The bind address and port apply at the next start (the button says "Restart" when they
differ from the running receiver's); the answer status and delay apply at once, which is how
one watches a sender retry (answer 500) or time out (a delay over 20 s).
"""

from __future__ import annotations

from typing import Final

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from composer.core.webhooks import DEFAULT_RECEIVER_HOST
from composer.ui.icons import set_icon
from composer.ui.theme import set_role
from composer.ui.webhooks.bridge import ReceiverBridge
from composer.ui.webhooks.tasks import spawn

BIND_CHOICES: Final = (
    (DEFAULT_RECEIVER_HOST, "127.0.0.1 · this machine only"),
    ("0.0.0.0", "0.0.0.0 · every network address"),
)


def _labelled(text: str, widget: QWidget, tip: str) -> QLabel:
    label = QLabel(text)
    label.setBuddy(widget)
    label.setToolTip(tip)
    widget.setToolTip(tip)
    return label


class ReceiverPanel(QWidget):
    """Controls of a :class:`ReceiverBridge`; ``message(str)`` carries what the user should read."""

    message = Signal(str)

    def __init__(self, bridge: ReceiverBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("receiver")
        self.bridge = bridge
        self.state = QLabel()
        self.state.setObjectName("receiver__state")
        self.state.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.toggle = QPushButton("Start receiver")
        self.toggle.setObjectName("receiver__toggle")
        self.toggle.clicked.connect(self.toggle_receiver)
        self.copy_url = QToolButton()
        self.copy_url.setObjectName("receiver__copy_url")
        set_icon(self.copy_url, "copy")
        self.copy_url.setToolTip("Copy the receiver's URL")
        self.copy_url.setAccessibleName("Copy the receiver's URL")
        self.copy_url.clicked.connect(self.copy)

        self.bind = QComboBox()
        self.bind.setObjectName("receiver__host")
        for host, label in BIND_CHOICES:
            self.bind.addItem(label, host)
        self.port = QSpinBox()
        self.port.setObjectName("receiver__port")
        self.port.setRange(0, 65535)
        self.port.setValue(bridge.port)
        self.port.setSpecialValueText("any free")
        self.answer = QSpinBox()
        self.answer.setObjectName("receiver__status")
        self.answer.setRange(200, 599)
        self.answer.setValue(bridge.status)
        self.delay = QDoubleSpinBox()
        self.delay.setObjectName("receiver__delay")
        self.delay.setRange(0.0, 120.0)
        self.delay.setDecimals(1)
        self.delay.setSingleStep(0.5)
        self.delay.setSuffix(" s")
        self.delay.setValue(bridge.delay)
        self.warning = QLabel()
        self.warning.setObjectName("receiver__warning")
        self.warning.setWordWrap(True)
        set_role(self.warning, "warning")
        self.warning.hide()

        top = QHBoxLayout()
        top.setSpacing(8)
        top.addWidget(self.toggle)
        top.addWidget(self.state)
        top.addWidget(self.copy_url)
        top.addStretch(1)
        settings = QHBoxLayout()
        settings.setSpacing(6)
        for text, widget, tip in (
            ("Listen on", self.bind, "Which address to bind; beyond 127.0.0.1 others can reach it"),
            ("Port", self.port, "The port to listen on (0: any free port); applies at start"),
            ("Answer", self.answer, "The status every request gets: 500 makes senders retry"),
            ("after", self.delay, "Wait before answering: over 20 s ComfyDeploy gives up"),
        ):
            settings.addWidget(_labelled(text, widget, tip))
            settings.addWidget(widget)
        settings.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addLayout(top)
        layout.addLayout(settings)
        layout.addWidget(self.warning)

        self.bind.currentIndexChanged.connect(lambda _i: self.refresh())
        self.port.valueChanged.connect(lambda _v: self.refresh())
        self.answer.valueChanged.connect(lambda value: bridge.set_answer(status=value))
        self.delay.valueChanged.connect(lambda value: bridge.set_answer(delay=value))
        bridge.state_changed.connect(self.refresh)
        bridge.failed.connect(self.message)
        self.refresh()

    @property
    def chosen_host(self) -> str:
        """The bind address chosen in the panel."""
        return str(self.bind.currentData())

    def _pending_change(self) -> bool:
        receiver = self.bridge.receiver
        if not self.bridge.running or receiver is None:
            return False
        port = self.port.value()
        return self.chosen_host != receiver.host or port not in (0, receiver.port)

    def refresh(self) -> None:
        """Show the receiver's state and what the button would do."""
        bridge = self.bridge
        self.bridge.host = self.chosen_host
        warning = bridge.warning
        self.warning.setText(warning or "")
        self.warning.setVisible(bool(warning))
        if bridge.busy:
            self.state.setText("Starting or stopping…")
            self.toggle.setEnabled(False)
            return
        self.toggle.setEnabled(True)
        url = bridge.url
        if url:
            self.state.setText(f"● Listening on {url}")
            set_role(self.state, "plain")
            self.toggle.setText("Restart" if self._pending_change() else "Stop receiver")
        else:
            self.state.setText("○ Not listening: start it, or use “Use local receiver” in the form")
            set_role(self.state, "muted")
            self.toggle.setText("Start receiver")
        self.copy_url.setEnabled(bool(url))

    def toggle_receiver(self) -> None:
        """Start, restart or stop, as the button says."""
        if self.bridge.running and not self._pending_change():
            spawn(self.bridge.stop(), self.message.emit)
        else:
            spawn(self.start(), self.message.emit)

    async def start(self, *, fallback: bool = False) -> str | None:
        """Start on the chosen address and port; the URL or None.

        With ``fallback`` a taken port gives way to a free one (for "Use local receiver",
        which must just work); the port box then shows the port in use.
        """
        url = await self.bridge.start(self.chosen_host, self.port.value(), fallback=fallback)
        if url:
            receiver = self.bridge.receiver
            if receiver is not None and self.port.value() not in (0, receiver.port):
                self.port.blockSignals(True)
                self.port.setValue(receiver.port)
                self.port.blockSignals(False)
            note = f"{self.bridge.note} " if self.bridge.note else ""
            self.message.emit(f"{note}Receiving webhooks on {url}")
            self.refresh()
        return url

    def copy(self) -> None:
        """Put the receiver's URL on the clipboard."""
        url = self.bridge.url
        if url:
            QGuiApplication.clipboard().setText(url)
            self.message.emit(f"Copied {url}")
