"""The webhook lab's place in the main window: a dock, a menu, the tools in the form, and the
"Webhooks" page of the runs panel.

Light on purpose: the window builds this at start-up, so it imports neither the receiver
(uvicorn, Starlette) nor the client (httpx) nor asyncio. The lab itself
(:class:`~composer.ui.webhooks.lab.WebhookLab`) is built the first time it is needed: the dock
is shown, "Use local receiver" is pressed, or the runs' own webhook endpoint got something. The
receiver starts only then too.

With the runs (:meth:`WebhookLabHost.connect_runs`, called by the runs controller): every event
the lab receives goes to the controller (``feed_webhook``: runs update, a batch's run ids are
learnt), the runs' own endpoint's events show in the lab, polled statuses are noted for the
timelines, and the runs panel's detail area gets a "Webhooks" page: the selected run's timeline.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QLabel

from composer.core.webhooks import is_local_url
from composer.ui.theme import Theme, set_role
from composer.ui.webhooks.form_tools import WebhookFormTools
from composer.ui.webhooks.timeline_page import PollLog, RunTimelinePage

DOCK_MIN_HEIGHT = 320

if TYPE_CHECKING:
    from composer.core.webhooks import WebhookRecord
    from composer.ui.main_window import MainWindow
    from composer.ui.runs.controller import RunsController
    from composer.ui.webhooks.lab import WebhookLab


class WebhookLabHost(QObject):
    """Owns the dock, the Webhooks menu and the form's webhook tools of one window.

    ``lab`` is None until :meth:`ensure` builds it. Others connect through :meth:`ensure`
    (e.g. ``host.ensure().add_listener(session_feed)``) or :meth:`on_lab` (called once the lab
    exists, at once if it already does), which keeps the lab lazy.
    """

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.lab: WebhookLab | None = None
        self._sized = False
        self.polls = PollLog()  # statuses polled per run, for the timelines
        self.pages: list[RunTimelinePage] = []
        self.runs: RunsController | None = None
        self._from_endpoint: list[WebhookRecord] = []
        self._waiting: list[Callable[[WebhookLab], object]] = []
        self.dock = QDockWidget("Webhooks", window)
        self.dock.setObjectName("webhook_dock")
        self.dock.setAllowedAreas(
            Qt.DockWidgetArea.BottomDockWidgetArea | Qt.DockWidgetArea.RightDockWidgetArea
        )
        placeholder = QLabel("The webhook lab opens here.")
        set_role(placeholder, "muted")
        self.dock.setWidget(placeholder)
        window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.dock)
        runs_dock = getattr(window, "runs_dock", None)
        if isinstance(runs_dock, QDockWidget):
            window.tabifyDockWidget(runs_dock, self.dock)  # Runs | Webhooks, one bottom area
        self.dock.hide()
        self.dock.visibilityChanged.connect(self._on_dock_visible)

        self.form_tools = WebhookFormTools(
            window.binding,
            self.receiver_url,
            sign=self.sign,
            target_is_local=lambda: is_local_url(window.targets.base_url),
        )
        window.form.webhook_slot.addWidget(self.form_tools)
        self.form_tools.message.connect(window.show_message)
        window.targets.target_changed.connect(lambda _key: self.form_tools.refresh())

        toggle = self.dock.toggleViewAction()
        toggle.setText("Webhook lab")
        toggle.setObjectName("show_webhooks")
        toggle.setShortcut(QKeySequence("Ctrl+Shift+K"))
        toggle.setToolTip("Show the webhook receiver, events, replay and simulator")
        use = QAction("Use local receiver", window)
        use.setObjectName("use_local_receiver")
        use.triggered.connect(lambda _checked=False: self.form_tools.use_local_receiver())
        menu = window.menuBar().addMenu("&Webhooks")
        menu.addAction(toggle)
        menu.addAction(use)
        window.actions_by_name["show_webhooks"] = toggle
        window.actions_by_name["use_local_receiver"] = use

    def ensure(self) -> WebhookLab:
        """The lab, built now if needed."""
        if self.lab is None:
            from composer.ui.webhooks.lab import WebhookLab

            lab = WebhookLab(self.window.settings)
            lab.message.connect(self.window.show_message)
            lab.model.runs_changed.connect(self._refresh_pages)
            self.dock.setWidget(lab)
            self.lab = lab
            waiting, self._waiting = self._waiting, []
            for callback in waiting:
                callback(lab)
        return self.lab

    def on_lab(self, callback: Callable[[WebhookLab], object]) -> None:
        """Call ``callback(lab)`` once the lab exists (now, if it does)."""
        if self.lab is not None:
            callback(self.lab)
        else:
            self._waiting.append(callback)

    def show(self) -> WebhookLab:
        """Build (if needed) and show the lab."""
        lab = self.ensure()
        if not self.dock.isVisible():
            self.dock.show()
            if not self._sized:  # a first opening gets room for a dozen events
                self._sized = True
                height = max(DOCK_MIN_HEIGHT, self.window.height() * 2 // 5)
                self.window.resizeDocks([self.dock], [height], Qt.Orientation.Vertical)
        self.dock.raise_()
        return lab

    def _on_dock_visible(self, visible: bool) -> None:
        if visible and self.lab is None:
            # After this turn of the loop: a dock restored open must not delay the first frame.
            QTimer.singleShot(0, self.ensure)

    async def receiver_url(self) -> str | None:
        """For "Use local receiver": show the lab, start the receiver, give its URL."""
        return await self.show().receiver_url()

    def sign(self, url: str) -> str:
        """``url`` signed when the lab's signing is on."""
        return self.lab.sign(url) if self.lab is not None else url

    # --- runs ---

    def timeline_page(self) -> RunTimelinePage:
        """A new run timeline page over the lab's events (the lab is not built for it)."""
        page = RunTimelinePage(self.records_of, self.polls)
        page.setObjectName("webhook_timeline")
        self.pages.append(page)
        page.destroyed.connect(lambda: self.pages.remove(page) if page in self.pages else None)
        return page

    def _refresh_pages(self, run_ids: set[str]) -> None:
        for page in self.pages:
            if page.isVisible():
                page.refresh(run_ids)

    def connect_runs(self, controller: RunsController) -> None:
        """Tie the lab to the window's runs (see the module docstring)."""
        self.runs = controller
        controller.webhooks.received.connect(self._from_runs_endpoint)
        controller.on_run(self._note_run)
        self.runs_page = self.timeline_page()
        controller.view.add_detail_page("Webhooks", self.runs_page)
        self.on_lab(lambda lab: lab.add_listener(self._feed_runs))

    def _feed_runs(self, records: Sequence[WebhookRecord]) -> None:
        if self.runs is None:
            return
        for record in records:
            if record.json is not None:
                self.runs.feed_webhook(record.json)

    def _from_runs_endpoint(self, record: Any) -> None:
        # One by one from the endpoint; listed (and kept) together at the next turn of the loop.
        if not self._from_endpoint:
            QTimer.singleShot(0, self._list_endpoint_records)
        self._from_endpoint.append(record)

    def _list_endpoint_records(self) -> None:
        records, self._from_endpoint = self._from_endpoint, []
        if records:
            self.ensure().ingest(records)

    def _note_run(self, _submission: object, state: Any) -> None:
        update = getattr(state, "last_update", None)
        if update is not None:
            self.polls.add(update)

    def records_of(self, run_id: str) -> list[WebhookRecord]:
        """The events received for a run (none before the lab exists)."""
        return self.lab.model.run_records(run_id) if self.lab is not None else []

    def set_theme(self, theme: Theme) -> None:
        """Recolour the lab after a theme switch."""
        if self.lab is not None:
            self.lab.set_theme(theme)

    def shutdown(self) -> None:
        """Stop the receiver and finish history writes (the window closes)."""
        if self.lab is not None:
            self.lab.shutdown()
