"""Test set-up shared by every test: offscreen Qt, a private composer home, an in-memory keyring."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

# Before any QApplication exists: without a display Qt would abort the process.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Loopback servers must never be reached through a proxy from the environment.
os.environ["NO_PROXY"] = "*"
os.environ["no_proxy"] = "*"

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError

pytest_plugins = ["tests.qt_async", "tests.sandbox_plugin"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (free when asked: for "cannot connect"
    tests and servers that need a port chosen up front)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class MemoryKeyring(KeyringBackend):
    """A keyring that keeps secrets in a dict, so tests never touch the user's real keyring."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.secrets.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.secrets[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.secrets.pop((service, username), None) is None:
            raise PasswordDeleteError("not found")


class SlowKeyring(MemoryKeyring):
    """A keyring that answers reads only when the test says so (a locked Secret Service), and
    notes the name of each thread that reads: tests check the window's thread is not among them.
    """

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()
        self.readers: list[str] = []

    def get_password(self, service: str, username: str) -> str | None:
        self.readers.append(threading.current_thread().name)
        self.release.wait(10)
        return super().get_password(service, username)


@pytest.fixture(autouse=True)
def composer_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own composer home and XDG folders under tmp_path."""
    home = tmp_path / "composer-home"
    monkeypatch.setenv("COMPOSER_HOME", str(home))
    for variable in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(variable, str(tmp_path / variable.lower()))
    monkeypatch.delenv("COMFY_DEPLOY_API_KEY", raising=False)
    return home


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    """An in-memory keyring backend for the duration of one test."""
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)
