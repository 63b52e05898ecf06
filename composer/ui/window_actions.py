"""The window's actions (with their shortcuts), its menus and its toolbar."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel, QPushButton, QSizePolicy, QToolBar, QWidget

from composer.ui.icons import set_icon
from composer.ui.theme import set_role

if TYPE_CHECKING:
    from composer.ui.main_window import MainWindow


def _action(
    window: MainWindow,
    name: str,
    text: str,
    slot: Callable[[], object],
    keys: Iterable[Any] = (),
    icon_name: str = "",
) -> QAction:
    action = QAction(text, window)
    action.setObjectName(name)
    if icon_name:
        set_icon(action, icon_name)
    shortcuts = [QKeySequence(key) for key in keys]
    if shortcuts:
        action.setShortcuts(shortcuts)
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.setToolTip(f"{text.replace('…', '')} ({shortcuts[0].toString()})")
    action.triggered.connect(lambda _checked=False: slot())
    window.addAction(action)
    window.actions_by_name[name] = action
    return action


def build_actions(window: MainWindow) -> None:
    """Create the window's actions, menus and toolbar (``window.actions_by_name``)."""
    std = QKeySequence.StandardKey

    def a(
        name: str, text: str, slot: Callable[[], object], keys: Iterable[Any] = (), icon: str = ""
    ) -> QAction:
        return _action(window, name, text, slot, keys, icon)

    new = a("new", "New request", window.new_request, [std.New], "new")
    save = a("save", "Save", window.save, [std.Save], "save")
    save_as = a("save_as", "Save as…", window.save_as, ["Ctrl+Shift+S"])
    import_ = a("import", "Import presets…", window.library_panel.choose_import, [std.Open])
    export = a("export", "Export preset…", window.library_panel.choose_export)
    quit_ = a("quit", "Quit", window.close, [std.Quit])
    undo = a("undo", "Undo", window.undo, [std.Undo], "undo")
    redo = a("redo", "Redo", window.redo, ["Ctrl+Shift+Z", std.Redo], "redo")
    copy_curl = a(
        "copy_curl", "Copy curl", lambda: window.preview.copy("curl"), ["Ctrl+Shift+C"], "copy"
    )
    search = a("find_preset", "Find preset", window.focus_search, [std.Find])
    submit = a("submit", "Submit", window.submit, ["Ctrl+Return", "Ctrl+Enter"], "submit")
    set_icon(submit, "submit", "accent_text")
    targets = a("targets", "Targets…", window.open_targets)
    targets.setToolTip("Add targets, set API keys, test a connection")
    runs = window.runs_dock.toggleViewAction()
    runs.setText("Runs panel")
    runs.setObjectName("toggle_runs")
    for menu_title, items in (
        ("&File", [new, save, save_as, None, import_, export, None, quit_]),
        ("&Edit", [undo, redo, None, copy_curl, search]),
        ("&Request", [submit, None, targets]),
        ("&View", [runs]),
    ):
        menu = window.menuBar().addMenu(menu_title)
        for item in items:
            if item is None:
                menu.addSeparator()
            else:
                menu.addAction(item)
    toolbar = QToolBar("Main")
    toolbar.setObjectName("main_toolbar")
    toolbar.setMovable(False)
    toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    toolbar.addAction(new)
    toolbar.addAction(save)
    toolbar.addSeparator()
    target_label = QLabel("Target")
    target_label.setBuddy(window.targets)
    target_label.setContentsMargins(6, 0, 2, 0)
    toolbar.addWidget(target_label)
    toolbar.addWidget(window.targets)
    toolbar.addAction(targets)
    toolbar.addSeparator()
    toolbar.addAction(undo)
    toolbar.addAction(redo)
    toolbar.addAction(copy_curl)
    spacer = QWidget()
    spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
    toolbar.addWidget(spacer)
    # A push button (not a flat tool button) so the primary action is filled with the accent.
    submit_button = QPushButton("Submit")
    set_icon(submit_button, "submit", "accent_text")
    submit_button.setObjectName("submit")
    submit_button.setAccessibleName("Submit")
    submit_button.setMinimumWidth(110)
    submit_button.clicked.connect(submit.trigger)

    def follow_action() -> None:
        submit_button.setEnabled(submit.isEnabled())
        submit_button.setToolTip(submit.toolTip())

    submit.changed.connect(follow_action)
    set_role(submit_button, "accent")
    toolbar.addWidget(submit_button)
    edge = QWidget()
    edge.setFixedWidth(6)
    toolbar.addWidget(edge)
    window.submit_button = submit_button
    window.addToolBar(toolbar)
    window.toolbar = toolbar
