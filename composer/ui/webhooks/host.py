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

import importlib
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget
from shiboken6 import Shiboken

from composer.core.webhook_urls import is_local_url
from composer.ui.theme import Theme
from composer.ui.webhooks.form_tools import WebhookFormTools

DOCK_MIN_HEIGHT = 320
PAGE_REFRESH_MS = 200  # run timelines follow new events at most this often
LIST_SLICE = 10  # records of the runs' own endpoint listed together
LIST_BUDGET = 0.004  # seconds of listing before other events get a turn
LOAD_POLL_MS = 20  # how often to look whether the lab's modules are loaded
LAB_MODULE = "composer.ui.webhooks.lab"

if TYPE_CHECKING:
    from composer.core.webhooks import WebhookRecord
    from composer.ui.main_window import MainWindow
    from composer.ui.runs.controller import RunsController
    from composer.ui.webhooks.lab import WebhookLab
    from composer.ui.webhooks.timeline_page import PollLog, RunTimelinePage


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
        self._polls: PollLog | None = None  # statuses polled per run, for the timelines
        self.pages: list[RunTimelinePage] = []
        self.runs: RunsController | None = None
        self._from_endpoint: list[WebhookRecord] = []
        self._loading: threading.Thread | None = None  # imports the lab's modules
        self._changed_runs: set[str] = set()
        self._waiting: list[Callable[[WebhookLab], object]] = []
        self.dock: QDockWidget | None = None  # made with the lab

        self.form_tools = WebhookFormTools(
            window.binding,
            self.receiver_url,
            sign=self.sign,
            target_is_local=lambda: is_local_url(window.targets.base_url),
        )
        window.form.webhook_slot.addWidget(self.form_tools)
        self.form_tools.message.connect(window.show_message)
        window.targets.target_changed.connect(lambda _key: self.form_tools.refresh())
        self.toggle_action = QAction("Webhook lab", window)  # its menu: install_menu()

    def install_menu(self) -> None:
        """Fill the window's Webhooks menu (the window's second start-up phase)."""
        from PySide6.QtGui import QKeySequence

        window = self.window
        toggle = self.toggle_action
        toggle.setCheckable(True)
        toggle.setObjectName("show_webhooks")
        toggle.setShortcut(QKeySequence("Ctrl+Shift+K"))
        toggle.setToolTip("Show the webhook receiver, events, replay and simulator")
        toggle.triggered.connect(self._toggle)
        use = QAction("Use local receiver", window)
        use.setObjectName("use_local_receiver")
        use.triggered.connect(lambda _checked=False: self.form_tools.use_local_receiver())
        menu = window.menus["&Webhooks"]
        menu.addAction(toggle)
        menu.addAction(use)
        window.actions_by_name["show_webhooks"] = toggle
        window.actions_by_name["use_local_receiver"] = use

    def ensure(self) -> WebhookLab:
        """The lab (in its dock, hidden until :meth:`show`), built now if needed."""
        if self.lab is None:
            from composer.ui.webhooks.lab import WebhookLab

            lab = WebhookLab(self.window.settings)
            lab.message.connect(self.window.show_message)
            lab.model.runs_changed.connect(self._refresh_pages)
            self.dock = self._make_dock(lab)
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

    def _make_dock(self, lab: WebhookLab) -> QDockWidget:
        # Made with the lab rather than at start-up (each widget counts before the first
        # frame), always as a tab beside the runs: Qt's restoreDockWidget() would put a dock
        # made this late back in its area, but beside the runs rather than as their tab.
        window = self.window
        dock = QDockWidget("Webhooks", window)
        dock.setObjectName("webhook_dock")
        dock.setAllowedAreas(
            Qt.DockWidgetArea.BottomDockWidgetArea | Qt.DockWidgetArea.RightDockWidgetArea
        )
        dock.setWidget(lab)
        window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
        dock.hide()
        runs_dock = getattr(window, "runs_dock", None)
        if isinstance(runs_dock, QDockWidget):
            # Runs | Webhooks as tabs of one bottom area, whichever shows first.
            runs_dock.visibilityChanged.connect(lambda shown: self._keep_tabbed(shown, runs_dock))
            dock.visibilityChanged.connect(lambda shown: self._keep_tabbed(shown, dock))
            if runs_dock.isVisible():
                window.tabifyDockWidget(runs_dock, dock)
        dock.visibilityChanged.connect(self.toggle_action.setChecked)
        self.toggle_action.setChecked(dock.isVisible())
        return dock

    def _keep_tabbed(self, shown: bool, shown_dock: QDockWidget) -> None:
        runs_dock = getattr(self.window, "runs_dock", None)
        dock = self.dock
        if not shown or dock is None or not isinstance(runs_dock, QDockWidget):
            return
        other = dock if shown_dock is runs_dock else runs_dock
        if (
            other.isVisible()
            and not other.isFloating()
            and not shown_dock.isFloating()
            and shown_dock not in self.window.tabifiedDockWidgets(other)
        ):
            self.window.tabifyDockWidget(other, shown_dock)
            shown_dock.raise_()

    def show(self) -> WebhookLab:
        """Build (if needed) and show the lab."""
        lab = self.ensure()
        dock = self.dock
        assert dock is not None
        if not dock.isVisible():
            dock.show()
            if not self._sized:  # a first opening gets room for a dozen events
                self._sized = True
                height = max(DOCK_MIN_HEIGHT, self.window.height() * 2 // 5)
                self.window.resizeDocks([dock], [height], Qt.Orientation.Vertical)
        dock.raise_()
        return lab

    def hide(self) -> None:
        """Hide the lab (it keeps receiving)."""
        if self.dock is not None:
            self.dock.hide()

    def _toggle(self, _checked: bool) -> None:
        # From what is on screen (a lab behind the Runs tab comes forward), not the check mark.
        if self.dock is not None and self.dock.isVisible():
            self.hide()
        else:
            self.show()
        self.toggle_action.setChecked(self.dock is not None and self.dock.isVisible())

    async def receiver_url(self) -> str | None:
        """For "Use local receiver": show the lab, start the receiver, give its URL."""
        return await self.show().receiver_url()

    def sign(self, url: str) -> str:
        """``url`` signed when the lab's signing is on."""
        return self.lab.sign(url) if self.lab is not None else url

    # --- runs ---

    @property
    def polls(self) -> PollLog:
        """The statuses polled per run (made on first use: not needed for the first frame)."""
        if self._polls is None:
            from composer.ui.webhooks.timeline_page import PollLog

            self._polls = PollLog()
        return self._polls

    def timeline_page(self) -> RunTimelinePage:
        """A new run timeline page over the lab's events (the lab is not built for it)."""
        from composer.ui.webhooks.timeline_page import RunTimelinePage

        page = RunTimelinePage(self.records_of, self.polls)
        page.setObjectName("webhook_timeline")
        self.pages.append(page)
        page.destroyed.connect(lambda: self.pages.remove(page) if page in self.pages else None)
        return page

    def _refresh_pages(self, run_ids: set[str]) -> None:
        # At most a few redraws a second while events pour in: each redraw rebuilds a list.
        if not self._changed_runs:
            QTimer.singleShot(PAGE_REFRESH_MS, self._redraw_pages)
        self._changed_runs |= run_ids

    def _redraw_pages(self) -> None:
        run_ids, self._changed_runs = self._changed_runs, set()
        for page in self.pages:
            page.refresh(run_ids)  # a page out of sight notes it and catches up when shown

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

    def _from_runs_endpoint(self, records: list[WebhookRecord]) -> None:
        # What the endpoint handed over in one turn; listed (and kept) from the loop's next turn.
        if not records:
            return
        if not self._from_endpoint:
            QTimer.singleShot(0, self._list_endpoint_records)
        self._from_endpoint.extend(records)

    def _list_endpoint_records(self) -> None:
        if self.lab is not None and not Shiboken.isValid(self.lab):
            self._from_endpoint.clear()  # the window (and its lab) went meanwhile
            return
        if self.lab is None and not self._lab_loaded():
            # Loading the lab's modules takes a few hundred milliseconds: on a worker thread,
            # while the runs go on (they are fed without the lab); listed once it is loaded.
            QTimer.singleShot(LOAD_POLL_MS, self._list_endpoint_records)
            return
        if self.lab is None:
            self.ensure()  # building the lab takes a turn of its own; the listing comes next
            QTimer.singleShot(0, self._list_endpoint_records)
            return
        # A few milliseconds' worth per turn of the loop: a burst of hundreds of deliveries
        # (a batch's runs change together) is listed in slices, never in one long stall.
        deadline = time.monotonic() + LIST_BUDGET
        while self._from_endpoint:
            records = self._from_endpoint[:LIST_SLICE]
            del self._from_endpoint[:LIST_SLICE]
            self.ensure().ingest(records)
            if self._from_endpoint and time.monotonic() > deadline:
                QTimer.singleShot(0, self._list_endpoint_records)
                return

    def _lab_loaded(self) -> bool:
        """True once the lab's modules are imported; starts importing them on a worker thread."""
        if self._loading is None:
            self._loading = threading.Thread(
                target=importlib.import_module,
                args=(LAB_MODULE,),
                name="composer-lab-import",
                daemon=True,
            )
            self._loading.start()
        return not self._loading.is_alive()

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
