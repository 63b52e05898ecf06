"""The webhook lab: the receiver's controls over tabs of events, replay, simulator and signing.

:class:`WebhookLab` wires the parts together: records from the :class:`ReceiverBridge` go to the
events model (the list and the run timelines), to the history (:class:`EventKeeper`) and to
every listener added with :meth:`WebhookLab.add_listener` (the runs session, which learns a
batch's run ids from them). Events stored earlier are loaded back into the list at start. Run
timelines over these events live in :class:`~composer.ui.webhooks.host.WebhookLabHost`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QTabWidget, QVBoxLayout, QWidget

from composer.core.history import HistoryStore
from composer.core.secrets import SecretStore
from composer.core.settings import Settings
from composer.core.webhooks import WebhookRecord
from composer.ui.theme import Theme
from composer.ui.webhooks.bridge import ReceiverBridge
from composer.ui.webhooks.events_model import EventsModel
from composer.ui.webhooks.events_panel import EventsPanel
from composer.ui.webhooks.keeper import EventKeeper, StoreFactory
from composer.ui.webhooks.receiver_panel import ReceiverPanel
from composer.ui.webhooks.replay_panel import ReplayPanel
from composer.ui.webhooks.signing_panel import SigningPanel
from composer.ui.webhooks.simulator_panel import SimulatorPanel

RecordsListener = Callable[[list[WebhookRecord]], None]


class WebhookLab(QWidget):
    """Everything about webhooks in one widget (the window puts it in a dock).

    ``history``: a :class:`HistoryStore`, a function opening one, or None for the default file;
    ``keep=False`` keeps nothing (and loads nothing) from the history. ``message(str)`` carries
    status-bar text from every part.
    """

    message = Signal(str)

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        history: HistoryStore | StoreFactory | None = None,
        secrets: SecretStore | None = None,
        keep: bool = True,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("webhook_lab")
        self.bridge = ReceiverBridge(self)
        self.model = EventsModel(self)
        self.keeper = EventKeeper(history, self) if keep else None
        self.receiver = ReceiverPanel(self.bridge)
        self.events = EventsPanel(self.model)
        self.replay = ReplayPanel(settings)
        self.simulator = SimulatorPanel(settings)
        self.signing = SigningPanel(settings, secrets)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("webhook_lab_tabs")
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.events, "Events")
        self.tabs.addTab(self.replay, "Replay")
        self.tabs.addTab(self.simulator, "Simulator")
        self.tabs.addTab(self.signing, "Signed URLs")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.setSpacing(8)
        layout.addWidget(self.receiver)
        layout.addWidget(self.tabs, 1)
        self._listeners: list[RecordsListener] = []

        self.bridge.arrived.connect(self._on_arrived)
        self.bridge.state_changed.connect(self._on_receiver_state)
        self.events.selection_changed.connect(self.replay.set_selection)
        self.events.replay_requested.connect(lambda: self.tabs.setCurrentWidget(self.replay))
        self.events.clear_requested.connect(self.clear_events)
        self.signing.changed.connect(self._on_secret)
        for part in (self.receiver, self.events, self.replay, self.simulator, self.signing):
            part.message.connect(self.message)
        if self.keeper is not None:
            self.keeper.failed.connect(self.message)
            self.keeper.loaded.connect(self._on_loaded)
            self.keeper.load_recent()
        self._on_secret(self.signing.active_secret)
        self._on_receiver_state()

    # --- receiving ---

    async def receiver_url(self) -> str | None:
        """The receiver's URL, starting it (with the panel's settings) when it is not running."""
        if self.bridge.url:
            return self.bridge.url
        return await self.receiver.start(fallback=True)

    def sign(self, url: str) -> str:
        """``url`` signed when signing is on."""
        return self.signing.sign(url)

    def add_listener(self, listener: RecordsListener) -> Callable[[], None]:
        """Call ``listener(records)`` with each batch of new records; returns a remover."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def ingest(self, records: Sequence[WebhookRecord]) -> None:
        """Records another receiver got (the runs' own webhook endpoint): numbered after those
        shown, listed and kept like the lab's own (listeners are not told: the sender knows)."""
        renumbered = self.bridge.renumber(records)
        self.model.append(renumbered)
        if self.keeper is not None:
            self.keeper.keep(renumbered)

    def _on_arrived(self, records: list[WebhookRecord]) -> None:
        self.model.append(records)
        if self.keeper is not None:
            self.keeper.keep(records)
        for listener in list(self._listeners):
            listener(records)

    def _on_loaded(self, records: Sequence[WebhookRecord]) -> None:
        if records:
            self.model.append(self.bridge.renumber(records))

    def _on_receiver_state(self) -> None:
        self.simulator.set_receiver_url(self.bridge.url)

    def _on_secret(self, secret: object) -> None:
        active = secret if isinstance(secret, str) else None
        self.bridge.set_secret(active)
        self.events.set_signing(active is not None)

    # --- keeping ---

    def clear_events(self) -> None:
        """Forget every event: the list, the receiver's memory and the history's copies."""
        self.model.clear_events()
        if self.bridge.receiver is not None:
            self.bridge.receiver.clear()
        if self.keeper is not None:
            self.keeper.clear()
        self.message.emit("Cleared the webhook events")

    def set_theme(self, theme: Theme) -> None:
        """Recolour what the palette does not cover."""
        self.events.details.set_theme(theme)
        self.model.recolor()

    def shutdown(self) -> None:
        """Stop the receiver and finish the history writes (the window is closing)."""
        self.bridge.shutdown()
        if self.keeper is not None:
            self.keeper.shutdown()
