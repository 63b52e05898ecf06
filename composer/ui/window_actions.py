"""The window's actions, its menus and its toolbar.

Built in two steps, like the window: :func:`build_actions` makes what the first frame shows (the
actions, the toolbar, the menu bar's titles); :func:`complete_actions`, in the second start-up
phase, adds the shortcuts (and the tooltips that name them) and fills the menus. Nothing can be
typed or clicked in between: the second phase runs before the first input event is handled.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Final

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel, QPushButton, QSizePolicy, QToolBar, QWidget

from composer.ui.icons import set_icon
from composer.ui.theme import set_role

if TYPE_CHECKING:
    from composer.ui.main_window import MainWindow

# The menus, each with its actions by name (None: a separator). "&Webhooks" is filled by the
# webhook lab's host, "&View" gets History from the history hook.
MENUS: Final[Sequence[tuple[str, Sequence[str | None]]]] = (
    ("&File", ("new", "save", "save_as", None, "import", "export", None, "quit")),
    ("&Edit", ("undo", "redo", None, "copy_curl", "find_preset")),
    ("&Request", ("submit", None, "targets")),
    ("&View", ("toggle_runs",)),
    ("&Webhooks", ()),
)


def _shortcuts() -> dict[str, list[Any]]:
    """Each action's keys (QKeySequence is loaded with them, in the second phase)."""
    from PySide6.QtGui import QKeySequence

    std = QKeySequence.StandardKey
    return {
        "new": [std.New],
        "save": [std.Save],
        "save_as": ["Ctrl+Shift+S"],
        "import": [std.Open],
        "quit": [std.Quit],
        "undo": [std.Undo],
        "redo": ["Ctrl+Shift+Z", std.Redo],
        "copy_curl": ["Ctrl+Shift+C"],
        "find_preset": [std.Find],
        "submit": ["Ctrl+Return", "Ctrl+Enter"],
    }


def _action(
    window: MainWindow, name: str, text: str, slot: Callable[[], object], icon_name: str = ""
) -> QAction:
    action = QAction(text, window)
    action.setObjectName(name)
    if icon_name:
        set_icon(action, icon_name)
    action.triggered.connect(lambda _checked=False: slot())
    window.addAction(action)
    window.actions_by_name[name] = action
    return action


def build_actions(window: MainWindow) -> None:
    """Create the window's actions, the menu bar's titles and the toolbar
    (``window.actions_by_name``, ``window.menus``)."""

    def a(name: str, text: str, slot: Callable[[], object], icon: str = "") -> QAction:
        return _action(window, name, text, slot, icon)

    new = a("new", "New request", window.new_request, "new")
    save = a("save", "Save", window.save, "save")
    a("save_as", "Save as…", window.save_as)
    a("import", "Import presets…", window.library_panel.choose_import)
    a("export", "Export preset…", window.library_panel.choose_export)
    a("quit", "Quit", window.close)
    undo = a("undo", "Undo", window.undo, "undo")
    redo = a("redo", "Redo", window.redo, "redo")
    copy_curl = a("copy_curl", "Copy curl", lambda: window.preview.copy("curl"), "copy")
    a("find_preset", "Find preset", window.focus_search)
    submit = a("submit", "Submit", window.submit, "submit")
    set_icon(submit, "submit", "accent_text")
    targets = a("targets", "Targets…", window.open_targets)
    targets.setToolTip("Add targets, set API keys, test a connection")
    bar = window.menuBar()
    window.menus = {title: bar.addMenu(title) for title, _names in MENUS}

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


def complete_actions(window: MainWindow) -> None:
    """The second start-up phase of the actions: shortcuts, their tooltips, the menus' items."""
    actions = window.actions_by_name
    runs = window.runs_dock.toggleViewAction()
    runs.setText("Runs panel")
    runs.setObjectName("toggle_runs")
    actions["toggle_runs"] = runs
    for name, keys in _shortcuts().items():
        _set_keys(actions[name], keys)
    for title, names in MENUS:
        menu = window.menus[title]
        for item in names:
            if item is None:
                menu.addSeparator()
            else:
                menu.addAction(actions[item])


def _set_keys(action: QAction, keys: Iterable[Any]) -> None:
    from PySide6.QtGui import QKeySequence

    shortcuts = [QKeySequence(key) for key in keys]
    action.setShortcuts(shortcuts)
    action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    action.setToolTip(f"{action.text().replace('…', '')} ({shortcuts[0].toString()})")
