"""In the window: "Use local receiver", run.output, the reach note; signed URLs and their marks."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import keyring
import qasync
from keyring.backend import KeyringBackend
from keyring.errors import KeyringError
from PySide6.QtWidgets import QLineEdit
from pytestqt.qtbot import QtBot

from composer.core.secrets import SESSION_ONLY_NOTICE, SecretStore, webhook_secret_account
from composer.core.signing import sign_url
from composer.ui.main_window import MainWindow
from composer.ui.webhooks.events_model import Column
from composer.ui.webhooks.form_tools import LOCAL_TARGET_NOTE
from composer.ui.webhooks.lab import WebhookLab
from tests.conftest import MemoryKeyring, SlowKeyring
from tests.ui.webhooks.conftest import LabFactory, wait_rows
from tests.webhook_factory import payload


def use_receiver(window: MainWindow, qtbot: QtBot) -> str:
    task = window.webhooks.form_tools.use_local_receiver()
    assert task is not None
    qtbot.waitUntil(task.done, timeout=10_000)
    url = task.result()
    assert url is not None, window.statusBar().currentMessage()
    return url


def test_use_local_receiver_starts_it_and_fills_the_webhook(
    window: MainWindow, qtbot: QtBot, qasync_loop: qasync.QEventLoop
) -> None:
    host = window.webhooks
    assert host.lab is None and host.dock is None  # nothing built at start-up
    tools = host.form_tools
    assert tools.objectName() == "webhook__tools" and tools.note.isHidden()
    tools.run_output.setChecked(True)
    url = use_receiver(window, qtbot)
    lab = host.lab
    assert lab is not None and lab.bridge.running
    assert host.dock is not None and host.dock.isVisible()
    assert window.actions_by_name["show_webhooks"].isChecked()
    assert url == f"{lab.bridge.url}?target_events=run.output"
    assert window.binding.get(("webhook",)) == url
    assert window.findChild(QLineEdit, "webhook").text() == url
    tools.run_output.setChecked(False)
    assert window.binding.get(("webhook",)) == lab.bridge.url
    window.binding.set(("webhook",), "http://127.0.0.1:9/x?a=1&target_events=run.output")
    assert tools.run_output.isChecked()  # the box follows a URL typed or pasted
    assert window.binding.draft.undo() and not tools.run_output.isChecked()


def test_the_note_says_who_can_reach_a_local_url(
    window: MainWindow, qtbot: QtBot, qasync_loop: qasync.QEventLoop
) -> None:
    tools = window.webhooks.form_tools
    window.binding.set(("webhook",), "https://hooks.example.com/comfy")
    assert tools.note.isHidden()
    window.binding.set(("webhook",), "http://127.0.0.1:8787/")
    assert tools.note.isVisible() and tools.note.text() == LOCAL_TARGET_NOTE  # sandbox target
    assert tools.note.property("role") == "hint"
    window.targets.select("comfydeploy")
    assert "cannot reach http://127.0.0.1:8787/" in tools.note.text()
    assert "tunnel" in tools.note.text() and tools.note.property("role") == "warning"


def test_signed_urls_are_marked_valid_expired_or_forged(
    window: MainWindow, qtbot: QtBot, qasync_loop: qasync.QEventLoop, memory_keyring: MemoryKeyring
) -> None:
    lab = window.webhooks.show()
    secret = lab.signing.generate()
    # Written on a worker thread.
    qtbot.waitUntil(
        lambda: memory_keyring.secrets.get(("composer", webhook_secret_account())) == secret,
        timeout=5000,
    )
    assert lab.signing.enabled.isChecked() and lab.signing.notice.isHidden()
    url = use_receiver(window, qtbot)
    assert "timestamp=" in url and "signature=" in url
    base = lab.bridge.url
    assert base is not None
    expired = sign_url(base + "old", secret, now=time.time() - 7200)
    forged = sign_url(base + "forged", "someone-else's-secret-of-enough-bytes!!")
    with httpx.Client(trust_env=False, timeout=10) as client:
        for target in (url, expired, forged, base + "plain"):
            assert client.post(target, json=payload("queued")).status_code == 200
    records = wait_rows(qtbot, lab, 4)
    states = [r.signature.state.value if r.signature else None for r in records]
    assert states == ["valid", "expired", "forged", "unsigned"]
    assert not lab.events.table.isColumnHidden(Column.SIGNATURE)
    words = [lab.model.index(row, Column.SIGNATURE).data() for row in range(4)]
    assert words == ["✓ valid", "⏱ expired", "✕ forged", "unsigned"]
    lab.signing.enabled.setChecked(False)
    assert lab.events.table.isColumnHidden(Column.SIGNATURE)
    assert "signature=" not in use_receiver(window, qtbot)
    assert window.settings.get("webhooks.sign_urls") is False


class BrokenKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        raise KeyringError("no secret service")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise KeyringError("no secret service")

    def delete_password(self, service: str, username: str) -> None:
        raise KeyringError("no secret service")


def test_without_a_keyring_the_secret_lasts_this_session_and_says_so(
    make_lab: LabFactory, qtbot: QtBot
) -> None:
    keyring.set_keyring(BrokenKeyring())  # the memory_keyring fixture puts its own back
    lab: WebhookLab = make_lab(secrets=SecretStore())
    lab.tabs.setCurrentWidget(lab.signing)
    assert lab.signing.notice.isVisible()  # known as soon as the panel asked the keyring
    secret = lab.signing.generate()
    assert lab.signing.notice.isVisible()
    notice = lab.signing.notice.text()
    assert notice.startswith("No system keyring: the secret is kept for this session only")
    assert lab.signing.secrets.notice == SESSION_ONLY_NOTICE
    qtbot.waitUntil(  # written on a worker thread
        lambda: lab.signing.secrets.get(webhook_secret_account()) == secret, timeout=5000
    )
    assert lab.signing.active_secret == secret


def test_the_secret_is_hidden_until_asked_and_short_secrets_are_flagged(
    make_lab: LabFactory, qtbot: QtBot
) -> None:
    lab: WebhookLab = make_lab(secrets=SecretStore())
    panel = lab.signing
    lab.tabs.setCurrentWidget(panel)
    assert panel.secret.echoMode() == QLineEdit.EchoMode.Password
    panel.show_button.click()
    assert panel.secret.echoMode() == QLineEdit.EchoMode.Normal
    panel.set_secret("short")
    assert "5 bytes long" in panel.notice.text()
    panel.enabled.setChecked(True)
    assert panel.active_secret == "short"
    assert lab.bridge.receiver is None  # the receiver gets it when it starts
    panel.set_secret("")
    assert not panel.enabled.isChecked() and panel.active_secret is None


def test_the_secret_is_read_off_the_window_thread(qtbot: QtBot, composer_home: Path) -> None:
    from composer.core.settings import Settings
    from composer.ui.webhooks.signing_panel import SETTING, SigningPanel

    slow = SlowKeyring()
    slow.set_password("composer", webhook_secret_account(), "s" * 40)
    keyring.set_keyring(slow)  # the memory_keyring fixture puts its own back
    settings = Settings(composer_home / "settings.json")
    settings.set(SETTING, True)
    panel = SigningPanel(settings, SecretStore())  # returns while the keyring is still asked
    qtbot.addWidget(panel)
    assert panel.loading and not panel.secret.isEnabled() and not panel.enabled.isChecked()
    assert "reading the secret" in panel.secret.placeholderText()
    with qtbot.waitSignal(panel.changed, timeout=5000) as changed:
        slow.release.set()
    assert slow.readers and threading.main_thread().name not in slow.readers
    assert changed.args == ["s" * 40]  # signing on again, as the settings remembered
    assert not panel.loading and panel.secret.isEnabled() and panel.secret.text() == "s" * 40
