"""The Targets dialog: add, edit and remove custom targets, set or clear API keys, test a target.

Non-modal (``show()``), so the window and its runs keep going while it is open. Profiles and keys
are changed through :class:`composer.core.profiles.ProfileStore` (the file is written atomically;
keys go to the OS keyring, or stay for this session only when there is none, which the dialog
says). "Test connection" runs on the event loop through the ``tester`` it is given.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from composer.core.profiles import Profile, ProfileError, ProfileStore, url_warnings
from composer.core.snippets import KEY_VARIABLE
from composer.ui.theme import set_role

if TYPE_CHECKING:
    from composer.client.access import ConnectionCheck

Tester = Callable[[Profile], Awaitable["ConnectionCheck"]]
NEW_NAME = "My API"


def _column(*items: QWidget | QHBoxLayout) -> QVBoxLayout:
    """A form cell: a field with its notes under it (hidden notes take no room)."""
    cell = QVBoxLayout()
    cell.setSpacing(4)
    for item in items:
        if isinstance(item, QWidget):
            cell.addWidget(item)
        else:
            cell.addLayout(item)
    return cell


class _Note(QLabel):
    """A hint line that takes no room while it has nothing to say."""

    def setText(self, text: str) -> None:
        super().setText(text)
        self.setVisible(bool(text))

    def clear(self) -> None:
        self.setText("")


class TargetsDialog(QDialog):
    """Manage target profiles and their keys (see the module docstring)."""

    profiles_changed = Signal()  # a profile was added, renamed, re-pointed or removed
    key_changed = Signal(str)  # the profile id whose key was set or cleared

    def __init__(
        self,
        store: ProfileStore,
        tester: Tester | None = None,
        *,
        env_key_set: Callable[[], bool] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("targets_dialog")
        self.setWindowTitle("Targets")
        self.setModal(False)
        self.store = store
        self.tester = tester
        self._env_key_set = env_key_set or (lambda: False)
        self.test_task: asyncio.Task[Any] | None = None
        store.secrets.check()  # so a missing keyring is said before a key is typed

        self.list = QListWidget()
        self.list.setObjectName("targets_list")
        self.list.setMinimumWidth(200)
        self.add_button = QPushButton("Add")
        self.add_button.setObjectName("targets_add")
        self.remove_button = QPushButton("Remove")
        self.remove_button.setObjectName("targets_remove")
        left = QVBoxLayout()
        left.addWidget(self.list, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        left.addLayout(buttons)

        self.name = QLineEdit()
        self.name.setObjectName("target_name")
        self.base_url = QLineEdit()
        self.base_url.setObjectName("target_base_url")
        self.base_url.setPlaceholderText("https://api.example.com/api")
        self.apply_button = QPushButton("Save changes")
        self.apply_button.setObjectName("target_apply")
        self.url_note = self._note("target_url_note")
        self.key = QLineEdit()
        self.key.setObjectName("target_key")
        self.key.setEchoMode(QLineEdit.EchoMode.Password)
        self.key.setPlaceholderText("paste an API key")
        self.save_key = QPushButton("Save key")
        self.save_key.setObjectName("target_save_key")
        self.clear_key = QPushButton("Clear key")
        self.clear_key.setObjectName("target_clear_key")
        self.key_note = self._note("target_key_note")
        self.test_button = QPushButton("Test connection")
        self.test_button.setObjectName("target_test")
        self.test_result = self._note("target_test_result")
        self.error = self._note("target_error")
        set_role(self.error, "error")

        url_cell = _column(self.base_url, self.url_note)
        apply_row = QHBoxLayout()
        apply_row.addWidget(self.apply_button)
        apply_row.addStretch(1)
        url_cell.addLayout(apply_row)
        key_row = QHBoxLayout()
        key_row.addWidget(self.key, 1)
        key_row.addWidget(self.save_key)
        key_row.addWidget(self.clear_key)
        key_cell = _column(key_row, self.key_note)
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button, 0, Qt.AlignmentFlag.AlignTop)
        test_row.addWidget(self.test_result, 1)
        test_cell = _column(test_row, self.error)
        form = QFormLayout()
        form.setVerticalSpacing(10)
        form.addRow("Name", self.name)
        form.addRow("Base URL", url_cell)
        form.addRow("API key", key_cell)
        form.addRow("", test_cell)
        right = QVBoxLayout()
        right.addLayout(form)
        right.addStretch(1)
        body = QHBoxLayout()
        body.addLayout(left)
        body.addLayout(right, 1)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addLayout(body, 1)
        layout.addWidget(close)
        self.resize(720, 380)

        self.list.currentRowChanged.connect(lambda _row: self._show_current())
        self.add_button.clicked.connect(self.add_profile)
        self.remove_button.clicked.connect(self.remove_profile)
        self.apply_button.clicked.connect(self.apply_changes)
        self.save_key.clicked.connect(self.store_key)
        self.key.returnPressed.connect(self.store_key)
        self.clear_key.clicked.connect(self.forget_key)
        self.test_button.clicked.connect(self.start_test)
        self.base_url.textChanged.connect(self._check_url)
        self.refresh()

    @staticmethod
    def _note(name: str) -> QLabel:
        label = _Note()
        label.setObjectName(name)
        label.setWordWrap(True)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        label.setVisible(False)
        set_role(label, "hint")
        return label

    # --- the list ---

    def refresh(self, select_id: str | None = None) -> None:
        """Re-list the profiles, keeping (or moving to) a selection."""
        wanted = select_id or (self.current.id if self.current is not None else None)
        self.list.blockSignals(True)
        self.list.clear()
        for profile in self.store.profiles():
            item = QListWidgetItem(profile.name)
            item.setData(Qt.ItemDataRole.UserRole, profile.id)
            item.setToolTip(profile.base_url if not profile.is_sandbox else "started on demand")
            self.list.addItem(item)
        ids = [p.id for p in self.store.profiles()]
        self.list.setCurrentRow(ids.index(wanted) if wanted in ids else 0)
        self.list.blockSignals(False)
        self._show_current()

    @property
    def current(self) -> Profile | None:
        """The profile selected in the list."""
        if self.list.currentRow() < 0:
            return None
        item = self.list.currentItem()
        return self.store.get(str(item.data(Qt.ItemDataRole.UserRole)))

    def select(self, profile_id: str) -> None:
        """Select a profile in the list (e.g. the target whose key was refused)."""
        self.refresh(profile_id)

    def _show_current(self) -> None:
        profile = self.current
        self.error.clear()
        self.test_result.clear()
        self.key.clear()
        if profile is None:
            return
        editable = not profile.builtin
        self.name.setText(profile.name)
        self.base_url.setText(
            "started by composer on a free port" if profile.is_sandbox else profile.base_url
        )
        for widget in (self.name, self.base_url):
            widget.setReadOnly(not editable)
        self.apply_button.setVisible(editable)
        self.remove_button.setEnabled(editable)
        self.key.setEnabled(not profile.is_sandbox)
        self.save_key.setEnabled(not profile.is_sandbox)
        # One keyring read per selection (each can take a moment): the sandbox needs none.
        has_key = not profile.is_sandbox and bool(self.store.api_key(profile))
        self.clear_key.setEnabled(has_key)
        self._describe_key(profile, has_key)
        self._check_url()

    def _describe_key(self, profile: Profile, has_key: bool) -> None:
        if profile.is_sandbox:
            text = "The built-in sandbox needs no key."
        elif has_key:
            where = "for this session only" if self.store.key_notice else "in the system keyring"
            text = f"A key is stored {where}."
        else:
            text = "No key stored."
        if not profile.is_sandbox and self._env_key_set():
            text += f" ${KEY_VARIABLE} is set: it is used instead."
        if self.store.key_notice and not profile.is_sandbox:
            text += f" {self.store.key_notice}."
            set_role(self.key_note, "warning")
        else:
            set_role(self.key_note, "hint")
        self.key_note.setText(text)

    def _check_url(self) -> None:
        profile = self.current
        if profile is None or profile.builtin:
            self.url_note.clear()
            return
        self.url_note.setText("\n".join(url_warnings(self.base_url.text().strip())))

    # --- changing profiles ---

    def add_profile(self) -> None:
        """Add a custom profile with a free name, ready to edit."""
        name = NEW_NAME
        number = 2
        while self.store.find(name) is not None:
            name = f"{NEW_NAME} {number}"
            number += 1
        try:
            profile = self.store.add(name, "https://api.example.com/api")
        except ProfileError as exc:
            self.error.setText(str(exc))
            return
        self.refresh(profile.id)
        self.name.setFocus()
        self.name.selectAll()
        self.profiles_changed.emit()

    def apply_changes(self) -> bool:
        """Save the name and base URL of the selected custom profile."""
        profile = self.current
        if profile is None or profile.builtin:
            return False
        try:
            updated = self.store.update(
                profile.id, name=self.name.text(), base_url=self.base_url.text()
            )
        except ProfileError as exc:
            self.error.setText(str(exc))
            return False
        self.refresh(updated.id)
        self.error.clear()
        self.profiles_changed.emit()
        return True

    def remove_profile(self) -> None:
        """Remove the selected custom profile (and its key)."""
        profile = self.current
        if profile is None or profile.builtin:
            return
        try:
            self.store.remove(profile.id)
        except ProfileError as exc:
            self.error.setText(str(exc))
            return
        self.refresh()
        self.profiles_changed.emit()

    # --- keys ---

    def store_key(self) -> None:
        """Store the typed key for the selected profile."""
        profile = self.current
        key = self.key.text().strip()
        if profile is None or profile.is_sandbox:
            return
        if not key:
            self.error.setText("Paste a key first")
            return
        try:
            self.store.set_api_key(profile, key)
        except ProfileError as exc:
            self.error.setText(str(exc))
            return
        self.key.clear()
        self._show_current()
        self.key_changed.emit(profile.id)

    def forget_key(self) -> None:
        """Forget the selected profile's key."""
        profile = self.current
        if profile is None or profile.is_sandbox:
            return
        self.store.delete_api_key(profile)
        self._show_current()
        self.key_changed.emit(profile.id)

    # --- testing ---

    def start_test(self) -> asyncio.Task[Any] | None:
        """Test the selected target in the background; the result shows under the button."""
        profile = self.current
        if profile is None or self.tester is None:
            return None
        if self.key.text().strip():
            self.store_key()  # test what was typed, as people expect
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            self.test_result.setText("Cannot test now: the app is still starting")
            return None
        self.test_button.setEnabled(False)
        set_role(self.test_result, "hint")
        self.test_result.setText(f"Testing {profile.name}…")
        self.test_task = asyncio.ensure_future(self._test(profile))
        return self.test_task

    async def _test(self, profile: Profile) -> None:
        assert self.tester is not None
        try:
            check = await self.tester(profile)
        except Exception as exc:  # a failure of the test itself: say it, keep the dialog usable
            self.test_result.setText(f"The test could not run: {exc}")
            set_role(self.test_result, "error")
        else:
            self.test_result.setText(("✓ " if check.ok else "✕ ") + check.message)
            set_role(self.test_result, "hint" if check.ok else "error")
        finally:
            self.test_button.setEnabled(True)
