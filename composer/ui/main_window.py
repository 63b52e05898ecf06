"""The composer window: presets library | request form | preview, with toolbar and status bar.

Public surface for other parts of the app (the runs work wires these):

- ``submit_requested(SubmitRequest)``: Submit or Ctrl+Enter with a valid request.
- :meth:`MainWindow.show_server_errors`: put a server's 422 errors next to their fields.
- :meth:`MainWindow.load_catalogue`: fetch models/deployments from a :class:`CatalogueSource`.
- :attr:`MainWindow.targets`: the target selector (``set_base_url`` for the sandbox's real port).
- :meth:`MainWindow.ensure_runs_view`: the runs panel (:class:`composer.ui.runs.view.RunsView`)
  in the bottom dock, created in the second start-up phase; ``targets_requested`` when the user
  asks for the Targets dialog; ``submit_banner`` for what went wrong with a submit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QDockWidget,
    QLabel,
    QMainWindow,
    QMenu,
    QPushButton,
    QScrollArea,
    QSplitter,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from composer.core.autosave import DraftStore
from composer.core.draft import Draft
from composer.core.endpoints import Endpoint, choose_endpoint
from composer.core.settings import Settings
from composer.core.wire import RequestKind
from composer.ui.banner import Banner
from composer.ui.binding import DraftBinding
from composer.ui.catalogue import Catalogue, CatalogueSource
from composer.ui.document import Document
from composer.ui.form import RequestForm
from composer.ui.icons import refresh_icons
from composer.ui.library_panel import LibraryPanel
from composer.ui.preset_commands import PresetCommands, install_samples_once
from composer.ui.preview import PreviewPane
from composer.ui.problems import ProblemMarker, describe
from composer.ui.startup import QuickLookError, quick_look
from composer.ui.targets import TargetChoice, TargetSelector
from composer.ui.theme import Theme, set_role, theme_manager
from composer.ui.webhooks.host import WebhookLabHost
from composer.ui.window_actions import build_actions, complete_actions
from composer.ui.window_state import restore_window_state, save_window_state

if TYPE_CHECKING:  # pydantic-backed: imported after the window shows (see complete_startup)
    import asyncio

    from PySide6.QtGui import QCloseEvent, QShowEvent  # annotations only (QEvent's enums)

    from composer.core.checks import ColumnCache
    from composer.core.library import PresetLibrary
    from composer.core.presets import Preset
    from composer.core.validation import FieldError
    from composer.ui.focus import FormUndoKeys
    from composer.ui.runs.controller import RunsController
    from composer.ui.runs.view import RunsView


# A NamedTuple: defined at start-up, where a dataclass would cost ten times as much.
class SubmitRequest(NamedTuple):
    """What Submit hands over: the validated wire body and where it goes."""

    body: dict[str, Any]
    kind: RequestKind
    target: str
    base_url: str
    endpoint: Endpoint


class MainWindow(PresetCommands, QMainWindow):
    """The main window; see the module docstring for what others connect to."""

    submit_requested = Signal(object)  # SubmitRequest
    targets_requested = Signal()  # the user asked for the Targets dialog
    # Set by window_actions.build_actions.
    submit_button: QPushButton
    toolbar: QToolBar
    menus: dict[str, QMenu]  # by title ("&File", ...)

    def __init__(
        self,
        *,
        library: PresetLibrary | None = None,
        store: DraftStore | None = None,
        settings: Settings | None = None,
        preset: Preset | None = None,
        preset_path: Path | None = None,
        open_path: Path | None = None,
        offer_restore: bool = True,
        deferred: bool = False,
    ) -> None:
        """Build the window.

        ``preset`` (already loaded) or ``open_path`` (a file, loaded in full after the first
        frame) is shown; with neither, the last preset of the previous session, else a new
        request. With ``deferred``, the caller runs the second start-up phase (library list,
        full preset load, validation, crash-restore offer: :meth:`complete_startup`) once the
        window is on screen, so it shows before pydantic's request models are built; otherwise
        it runs at once.
        """
        super().__init__()
        self.setObjectName("composer")
        self.settings = settings or Settings()
        self.library = library
        self.binding = DraftBinding(Draft(), self)
        self.marker = ProblemMarker(self)
        self.catalogue = Catalogue(self)
        self.document = Document(self.binding, library, store or DraftStore(), self)
        self.targets = TargetSelector()
        self.prompt: QWidget | None = None  # the open non-modal question, if any
        self.started = False  # the second start-up phase has run
        self._closing = False
        self.pending_sizes: list[int] | None = None
        self._column_cache: ColumnCache | None = None
        self._catalogue_provider: Callable[[TargetChoice], CatalogueSource | None] | None = None
        self._offer_restore = offer_restore

        self.library_panel = LibraryPanel(library)
        self.form = RequestForm(self.binding, self.marker, self.catalogue)
        self.preview = PreviewPane(self.binding, lambda: self.targets.base_url)
        self.restore_banner = Banner("restore_banner")
        self.submit_banner = Banner("submit_banner")
        self.runs_view: RunsView | None = None  # built in the second start-up phase
        self.runs_controller: RunsController | None = None  # set by the controller itself
        self._build_layout()
        self.actions_by_name: dict[str, QAction] = {}
        build_actions(self)
        self.webhooks = WebhookLabHost(self)
        self._connect()
        self._undo_keys: FormUndoKeys | None = None  # keyboard details: second phase

        # The form follows the first content through the draft's change (it showed the empty
        # draft when built), so no refresh() here.
        self._open_later = self._first_content(preset, preset_path, open_path)
        # Into its scroll area once filled: setWidget() lays the form out at once, and doing that
        # before the content is in is work thrown away.
        self.form_scroll.setWidget(self.form)
        restore_window_state(self)
        self.preview.show_unchecked()
        self._on_document_changed()
        self.form.fields[self.binding.kind.key].control.setFocus()
        if not deferred:
            self.complete_startup()

    def _first_content(
        self, preset: Preset | None, preset_path: Path | None, open_path: Path | None
    ) -> Path | None:
        """Show the first content; returns a file to load in full in the second phase."""
        if preset is not None:
            self.document.open_preset(preset, preset_path)
            self.targets.select(preset.target)
            return None
        candidate = open_path
        if candidate is None:
            last = self.settings.get_str("last_preset")
            candidate = Path(last) if last and Path(last).is_file() else None
        if candidate is None:
            self.document.new()
            return None
        try:
            look = quick_look(candidate)
        except QuickLookError as exc:
            self.document.new()
            if open_path is not None:
                self.show_message(f"Cannot open {exc}")
            return None
        self.document.show_quick_look(look)
        self.targets.select(look.target)
        return candidate

    def complete_startup(self) -> None:
        """The second start-up phase: library, full preset load, validation, restore offer."""
        if self.started:
            return
        self.started = True
        if self.library is None:
            from composer.core.library import PresetLibrary

            self.library = PresetLibrary()
        install_samples_once(self.library)
        self.document.library = self.library
        self.library_panel.library = self.library
        if self._open_later is not None:
            if self.document.open_path(self._open_later):
                self.targets.select(self.document.target)
            else:
                self.document.keep_unchecked(self._open_later)
        self.library_panel.refresh()
        self.ensure_runs_view()
        complete_actions(self)
        self.webhooks.install_menu()
        self.preview.start_highlighting()
        from composer.ui.focus import FormUndoKeys

        self._undo_keys = FormUndoKeys(self.form)
        self._fix_tab_order()
        self._on_document_changed()
        if self._offer_restore:
            self.offer_restore()
        self.binding.settle_now()
        self._on_settled()

    # --- building ---

    def _build_layout(self) -> None:
        scroll = QScrollArea()
        scroll.setObjectName("form_scroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.form_scroll = scroll
        middle = QWidget()
        middle.setObjectName("middle")
        column = QVBoxLayout(middle)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        banner_holder = QVBoxLayout()
        banner_holder.setContentsMargins(16, 10, 16, 0)
        banner_holder.addWidget(self.restore_banner)
        banner_holder.addWidget(self.submit_banner)
        column.addLayout(banner_holder)
        column.addWidget(scroll, 1)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("main_splitter")
        self.splitter.addWidget(self.library_panel)
        self.splitter.addWidget(middle)
        self.splitter.addWidget(self.preview)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setHandleWidth(1)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setStretchFactor(2, 2)
        self.library_panel.setMinimumWidth(180)
        middle.setMinimumWidth(440)
        self.preview.setMinimumWidth(300)
        self.splitter.setSizes([230, 640, 470])
        self.setCentralWidget(self.splitter)
        # The runs panel: an empty dock now (so saved dock state applies), filled after the
        # first frame (ensure_runs_view).
        self.runs_dock = QDockWidget("Runs")
        self.runs_dock.setObjectName("runs_dock")
        self.runs_dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
            | QDockWidget.DockWidgetFeature.DockWidgetClosable
        )
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.runs_dock)
        self.resizeDocks([self.runs_dock], [220], Qt.Orientation.Vertical)
        # Hidden until the first submit (or View → Runs panel); a saved layout may show it.
        self.runs_dock.hide()
        self.validity = QLabel()
        self.validity.setObjectName("validity")
        self.statusBar().addPermanentWidget(self.validity)
        self.statusBar().setSizeGripEnabled(False)
        self.resize(1360, 860)

    def _connect(self) -> None:
        self.binding.changed.connect(self.marker.forget_edited)
        self.binding.changed.connect(self.preview.on_change)
        self.binding.changed.connect(self._on_changed)
        self.binding.settled.connect(self._on_settled)
        self.binding.problem.connect(self.show_message)
        self.document.changed.connect(self._on_document_changed)
        self.document.message.connect(self.show_message)
        self.preview.copied.connect(self.show_message)
        self.form.batch.message.connect(self.show_message)
        self.form.inputs.rebuilt.connect(self._fix_tab_order)
        self.library_panel.message.connect(self.show_message)
        self.library_panel.open_requested.connect(self.open_preset)
        self.library_panel.new_requested.connect(self.new_request)
        self.library_panel.renamed.connect(self.document.follow_rename)
        self.library_panel.deleted.connect(self.document.follow_delete)
        self.library_panel.restored.connect(self.document.follow_restore)
        self.targets.target_changed.connect(lambda _key: self._on_target_changed())
        self.catalogue.changed.connect(self._on_catalogue_changed)
        manager = theme_manager()
        if manager is not None:
            manager.changed.connect(self._on_theme_changed)

    def _on_theme_changed(self, theme: Theme) -> None:
        """The system switched light/dark: recolour what palette and roles do not cover."""
        refresh_icons(self)
        self.preview.set_theme(theme)
        self.library_panel.recolor()
        self.form.batch.model.layoutChanged.emit()
        self.webhooks.set_theme(theme)

    def _on_target_changed(self) -> None:
        if self.started:
            self.preview.refresh()
            self._reload_catalogue()
        else:
            self.preview.show_unchecked()

    def _fix_tab_order(self) -> None:
        if not self.started:
            return  # keys wait for the second start-up phase (nothing is typed before it)
        from composer.ui.focus import chain_tab_order, focus_sequence

        chain_tab_order(focus_sequence(self.form.layout()))

    # --- following the draft ---

    def _on_changed(self, _change: object) -> None:
        actions = self.actions_by_name
        actions["undo"].setEnabled(self.binding.draft.can_undo)
        actions["redo"].setEnabled(self.binding.draft.can_redo)

    def _on_settled(self) -> None:
        if not self.started:
            return  # validation (pydantic) waits for the second start-up phase
        from composer.core.checks import ColumnCache, form_warnings

        draft = self.binding.draft
        validation = draft.validation
        if self._column_cache is None:
            self._column_cache = ColumnCache()
        extra = form_warnings(draft.body, self.form.specs(), self._column_cache)
        self.marker.show_validation(validation, extra)
        self.preview.refresh()
        errors = self.marker.errors
        warnings = [p for p in self.marker.problems if p.level == "warning"]
        submit = self.actions_by_name["submit"]
        local_errors = [p for p in errors if p.source == "local"]
        submit.setEnabled(not local_errors)
        if local_errors:
            reason = describe(local_errors[0])
            submit.setToolTip(f"Cannot submit: {reason}")
            count = len(local_errors)
            self.validity.setText(f"✕ {count} problem{'s' if count > 1 else ''}: {reason}")
            set_role(self.validity, "error")
        else:
            submit.setToolTip("Send the request (Ctrl+Enter)")
            note = (
                f" · {len(warnings)} warning{'s' if len(warnings) > 1 else ''}" if warnings else ""
            )
            server = " · server errors shown" if errors else ""
            self.validity.setText(f"✓ Ready to send{note}{server}")
            set_role(self.validity, "warning" if warnings or errors else "muted")
        self.validity.setToolTip("\n".join(describe(p) for p in self.marker.problems[:20]))
        self._on_changed(None)

    def _on_document_changed(self) -> None:
        document = self.document
        self.setWindowTitle(f"{document.title}[*] — composer")
        self.setWindowModified(document.dirty)
        self.library_panel.set_current(document.path, document.dirty)

    def _on_catalogue_changed(self) -> None:
        if self.catalogue.error:
            self.show_message(self.catalogue.error)
        self.binding.settle_now()
        self._on_settled()

    # --- commands ---

    def show_message(self, text: str) -> None:
        """A transient message in the status bar."""
        self.statusBar().showMessage(text, 10_000)

    def submit(self) -> SubmitRequest | None:
        """Emit ``submit_requested`` with the validated body (None when invalid)."""
        self.binding.settle_now()
        draft = self.binding.draft
        if not draft.validation.ok:
            self._on_settled()
            self.show_message(self.actions_by_name["submit"].toolTip())
            return None
        body = draft.wire()
        request = SubmitRequest(
            body=body,
            kind=draft.kind,
            target=self.targets.key,
            base_url=self.targets.base_url,
            endpoint=choose_endpoint(body, draft.kind),
        )
        self.marker.clear_server_errors()
        if self.receivers("2submit_requested(PyObject)") == 0:
            self.show_message(
                f"Ready: {request.endpoint.describe(request.base_url)}. Sending is not connected "
                "in this build; copy the curl snippet (Ctrl+Shift+C) to send it."
            )
        self.submit_requested.emit(request)
        return request

    def show_server_errors(self, errors: Iterable[FieldError]) -> None:
        """Mark the fields a server's 422 points at (``errors_from_422(detail)``)."""
        self.marker.show_server_errors(errors)
        self._on_settled()

    def ensure_runs_view(self) -> RunsView:
        """The runs panel in the bottom dock (built on first call)."""
        if self.runs_view is None:
            from composer.ui.runs.view import RunsView

            self.runs_view = RunsView()
            self.runs_view.message.connect(self.show_message)
            self.runs_dock.setWidget(self.runs_view)
        return self.runs_view

    def show_runs(self) -> None:
        """Show the runs panel (it may have been closed or floated away)."""
        self.ensure_runs_view()
        self.runs_dock.show()
        self.runs_dock.raise_()

    def open_targets(self) -> None:
        """Ask for the Targets dialog (the runs controller opens it)."""
        if self.receivers("2targets_requested()") == 0:
            self.show_message("Targets can be managed once the app has finished starting")
        self.targets_requested.emit()

    def undo(self) -> None:
        """Undo the last change anywhere in the form."""
        if not self.binding.draft.undo():
            self.show_message("Nothing to undo")

    def redo(self) -> None:
        """Redo the last undone change."""
        if not self.binding.draft.redo():
            self.show_message("Nothing to redo")

    def focus_search(self) -> None:
        """Put the cursor in the presets search field (Ctrl+F)."""
        self.library_panel.search.setFocus()
        self.library_panel.search.selectAll()

    # --- catalogue ---

    async def load_catalogue(self, source: CatalogueSource) -> bool:
        """Fetch the catalogue (models, deployments) from ``source``; the form follows."""
        self.show_message("Loading the catalogue…")
        ok = await self.catalogue.load(source)
        if ok:
            count = len(self.catalogue.models)
            self.show_message(
                f"Catalogue: {count} models, {len(self.catalogue.deployments)} deployments"
            )
        return ok

    def set_catalogue_provider(
        self, provider: Callable[[TargetChoice], CatalogueSource | None]
    ) -> asyncio.Task[bool] | None:
        """Where the catalogue of each target comes from (the client's ``GET /models`` and
        ``GET /deployments``); loads the current target's now and again on every switch."""
        self._catalogue_provider = provider
        return self._reload_catalogue()

    def _reload_catalogue(self) -> asyncio.Task[bool] | None:
        if self._catalogue_provider is None:
            return None
        source = self._catalogue_provider(self.targets.choice)
        return self.start_catalogue_load(source) if source is not None else None

    def start_catalogue_load(self, source: CatalogueSource) -> asyncio.Task[bool] | None:
        """Load the catalogue in the background (needs a running asyncio loop)."""
        import asyncio

        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return None
        return asyncio.ensure_future(self.load_catalogue(source))

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self.pending_sizes:
            sizes, self.pending_sizes = self.pending_sizes, None
            self.splitter.setSizes(sizes)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._closing or not self.document.dirty:
            save_window_state(self)
            self.document.close_clean()
            self.webhooks.shutdown()
            event.accept()
            return
        event.ignore()

        def close_now() -> None:
            self._closing = True
            self.close()

        self.confirm_discard("closing", close_now)
