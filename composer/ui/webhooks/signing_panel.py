"""Signed webhook URLs: the signing secret (in the OS keyring) and the switch that uses it.

With signing on, "Use local receiver" puts a signed URL in the request
(:func:`composer.core.signing.sign_url`) and the receiver marks each event valid, expired or
forged. The secret is kept by :class:`~composer.core.secrets.SecretStore` under
:func:`~composer.core.secrets.webhook_secret_account`; without a keyring it lasts this session
only, and the panel says so. The switch itself (not the secret) is kept in the settings file.

The stored secret is read on a worker thread: a keyring can be slow or ask to be unlocked, and
the window must not wait for it. Until it is read the panel's controls are disabled
(:attr:`SigningPanel.loading`); ``ready`` tells when it is done. Writes (a new secret, a
removed one) go to the keyring on a worker too, one after another in the order made; the notice
is refreshed when each has landed (a keyring that fails turns the secret session-only).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Final

from PySide6.QtCore import Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import Shiboken

from composer.core.secrets import SecretStore, secret_store, webhook_secret_account
from composer.core.settings import Settings
from composer.core.signing import generate_secret, secret_warning, sign_url
from composer.ui.theme import set_role

SETTING: Final = "webhooks.sign_urls"
PLACEHOLDER: Final = "no secret yet: generate one, or paste your handler's"
EXPLANATION: Final = (
    "ComfyDeploy signs nothing: anyone who knows a webhook URL can post to it. With signing on, "
    "“Use local receiver” adds timestamp and signature (an HS256 token made with this secret) "
    "to the URL, and the receiver marks each event valid, expired (over an hour old) or forged. "
    "Give your own handler the same secret to check them the same way."
)

logger = logging.getLogger(__name__)
_writer: ThreadPoolExecutor | None = None


def _keyring_writer() -> ThreadPoolExecutor:
    """One worker for every panel's keyring writes: they land in the order they were made, and
    the interpreter waits for the last one before it exits (a secret is not lost at quit)."""
    global _writer
    if _writer is None:
        _writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="composer-signing-write")
    return _writer


class SigningPanel(QWidget):
    """The signing switch and secret; ``changed(str | None)`` gives the secret in use (or None)."""

    changed = Signal(object)
    message = Signal(str)
    ready = Signal()  # the stored secret has been read (see ``loading``)
    _secret_read = Signal(object)  # from the worker thread: the stored secret, or None
    _written = Signal()  # from the writer thread: a keyring write ended

    def __init__(
        self,
        settings: Settings | None = None,
        secrets: SecretStore | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("webhook_signing")
        self.settings = settings
        self.secrets = secrets or secret_store()
        self.account = webhook_secret_account()
        self.enabled = QCheckBox("Sign the webhook URLs composer puts in requests")
        self.enabled.setObjectName("webhook_signing__enabled")
        explanation = QLabel(EXPLANATION)
        explanation.setWordWrap(True)
        set_role(explanation, "hint")
        self.secret = QLineEdit()
        self.secret.setObjectName("webhook_signing__secret")
        self.secret.setAccessibleName("Webhook signing secret")
        self.secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.show_button = QPushButton("Show")
        self.show_button.setObjectName("webhook_signing__show")
        self.show_button.setCheckable(True)
        self.copy_button = QPushButton("Copy")
        self.copy_button.setObjectName("webhook_signing__copy")
        self.generate_button = QPushButton("Generate new")
        self.generate_button.setObjectName("webhook_signing__generate")
        self.notice = QLabel()
        self.notice.setObjectName("webhook_signing__notice")
        self.notice.setWordWrap(True)
        set_role(self.notice, "warning")
        self.notice.hide()
        row = QHBoxLayout()
        row.setSpacing(4)
        secret_label = QLabel("Secret")
        secret_label.setBuddy(self.secret)
        row.addWidget(secret_label)
        row.addWidget(self.secret, 1)
        row.addWidget(self.show_button)
        row.addWidget(self.copy_button)
        row.addWidget(self.generate_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.enabled)
        layout.addWidget(explanation)
        layout.addLayout(row)
        layout.addWidget(self.notice)
        layout.addStretch(1)

        self.enabled.toggled.connect(self._on_toggled)
        self.secret.editingFinished.connect(self._on_edited)
        self.show_button.toggled.connect(self._show_secret)
        self.copy_button.clicked.connect(self.copy)
        self.generate_button.clicked.connect(self.generate)
        self._secret_read.connect(self._on_secret_read)
        self._written.connect(self._refresh_notice)
        self._stored: str | None = None  # what the keyring holds, as far as this panel knows
        self._set_while_loading = False
        self.loading = True
        for control in self._controls():
            control.setEnabled(False)
        self.secret.setPlaceholderText("reading the secret from the keyring…")
        threading.Thread(
            target=self._read_stored, name="composer-signing-secret", daemon=True
        ).start()

    def _controls(self) -> tuple[QWidget, ...]:
        return (self.enabled, self.secret, self.show_button, self.copy_button, self.generate_button)

    def _read_stored(self) -> None:
        # On the worker thread; the signal is queued to the panel's (the window's) thread.
        value = self.secrets.get(self.account)
        try:
            if Shiboken.isValid(self):
                self._secret_read.emit(value)
        except RuntimeError:  # the panel went between the check and the emit
            pass

    def _on_secret_read(self, stored: str | None) -> None:
        self.loading = False
        for control in self._controls():
            control.setEnabled(True)
        self.secret.setPlaceholderText(PLACEHOLDER)
        if self._set_while_loading:  # generate() or set_secret() came first: theirs stands
            self.ready.emit()
            return
        self._stored = stored
        self.secret.setText(stored or "")
        on = bool(self.settings.get(SETTING, False)) if self.settings is not None else False
        if on and stored:
            self.enabled.setChecked(True)  # emits changed through _on_toggled
        self._refresh_notice()
        self.ready.emit()

    # --- state ---

    @property
    def active_secret(self) -> str | None:
        """The secret when signing is on and one is set, else None."""
        text = self.secret.text()
        return text if self.enabled.isChecked() and text else None

    def sign(self, url: str) -> str:
        """``url`` signed when signing is on, else unchanged."""
        secret = self.active_secret
        return sign_url(url, secret) if secret else url

    # --- actions ---

    def generate(self) -> str:
        """Make a new random secret, store it and turn signing on."""
        value = generate_secret()
        self.secret.setText(value)
        self._store(value)
        if not self.enabled.isChecked():
            self.enabled.setChecked(True)  # emits changed through _on_toggled
        else:
            self.changed.emit(self.active_secret)
        return value

    def set_secret(self, value: str) -> None:
        """Use ``value`` as the secret (as if typed in)."""
        self.secret.setText(value)
        self._on_edited()

    def copy(self) -> None:
        """Put the secret on the clipboard (to give it to your handler)."""
        if self.secret.text():
            QGuiApplication.clipboard().setText(self.secret.text())
            self.message.emit("Copied the signing secret")

    def _show_secret(self, shown: bool) -> None:
        mode = QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password
        self.secret.setEchoMode(mode)
        self.show_button.setText("Hide" if shown else "Show")

    def _on_edited(self) -> None:
        value = self.secret.text().strip()
        if value == (self._stored or ""):
            return
        if value:
            self._store(value)
        else:
            self._write(self.secrets.delete, self.account)
            self._stored = None
            self._set_while_loading = self.loading
            self.enabled.setChecked(False)
            self._refresh_notice()
        self.changed.emit(self.active_secret)

    def _on_toggled(self, on: bool) -> None:
        if on and not self.secret.text():
            value = generate_secret()  # signing needs a secret: make one rather than refuse
            self.secret.setText(value)
            self._store(value)
        if self.settings is not None:
            self.settings.set(SETTING, on)  # written with the window's state when it closes
        self.changed.emit(self.active_secret)

    def _store(self, value: str) -> None:
        self._write(self.secrets.set, self.account, value)
        self._stored = value
        self._set_while_loading = self.loading
        self._refresh_notice()  # the short-secret warning now; the keyring's when it landed

    def _write(self, action: Callable[..., object], *args: str) -> None:
        """Run a keyring write on the writer thread, then refresh the notice on this one."""

        def run() -> None:
            try:
                action(*args)
            except Exception:  # a keyring's own bug: logged, as the window has no place for it
                logger.exception("writing the webhook signing secret failed")
            try:
                if Shiboken.isValid(self):
                    self._written.emit()  # queued to the panel's thread
            except RuntimeError:  # the panel went between the check and the emit
                pass

        _keyring_writer().submit(run)

    def _refresh_notice(self) -> None:
        notes = []
        if self.secrets.notice:
            notes.append(
                "No system keyring: the secret is kept for this session only "
                "(composer forgets it when it quits)."
            )
        short = secret_warning(self.secret.text()) if self.secret.text() else None
        if short:
            notes.append(short)
        self.notice.setText(" ".join(notes))
        self.notice.setVisible(bool(notes))
