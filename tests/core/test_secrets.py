"""The secret store against the in-memory keyring of conftest, and against keyring's "fail"
backend (what a headless machine without Secret Service has)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import keyring
import pytest
from keyring.backends.fail import Keyring as FailKeyring

from composer.core.secrets import (
    SERVICE,
    SESSION_ONLY_NOTICE,
    SecretStore,
    api_key_account,
    secret_store,
    webhook_secret_account,
)
from tests.conftest import MemoryKeyring


def test_set_get_delete_go_through_the_keyring(memory_keyring: MemoryKeyring) -> None:
    store = SecretStore()
    assert store.check() is True
    assert store.get(api_key_account("staging")) is None
    assert store.set(api_key_account("staging"), "sk-123") is True
    assert memory_keyring.secrets[(SERVICE, "api-key:staging")] == "sk-123"
    assert SecretStore().get(api_key_account("staging")) == "sk-123"  # another store, same keyring
    store.delete(api_key_account("staging"))
    assert store.get(api_key_account("staging")) is None
    store.delete(api_key_account("staging"))  # deleting twice is fine
    assert not store.session_only and store.notice is None


def test_webhook_secrets_have_their_own_accounts() -> None:
    store = SecretStore()
    store.set(webhook_secret_account(), "whsec")
    store.set(api_key_account("default"), "key")
    assert store.get(webhook_secret_account("default")) == "whsec"
    assert store.get(api_key_account("default")) == "key"


def test_empty_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        SecretStore().set("x", "")


def test_without_a_keyring_secrets_are_kept_for_this_session_only() -> None:
    keyring.set_keyring(FailKeyring())  # conftest restores the previous backend afterwards
    store = SecretStore()
    assert store.check() is False
    assert store.notice == SESSION_ONLY_NOTICE
    assert store.failure  # the keyring's own reason, for details

    assert store.set(api_key_account("comfydeploy"), "sk-live") is False
    assert store.session_only
    assert store.get(api_key_account("comfydeploy")) == "sk-live"
    # Only in this object: a new process (a new store) does not have it.
    assert SecretStore().get(api_key_account("comfydeploy")) is None
    store.delete(api_key_account("comfydeploy"))
    assert store.get(api_key_account("comfydeploy")) is None


def test_session_only_secret_never_reaches_a_file(tmp_path: Path) -> None:
    keyring.set_keyring(FailKeyring())
    store = SecretStore()
    store.set(api_key_account("comfydeploy"), "sk-never-on-disk-123")
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert b"sk-never-on-disk-123" not in path.read_bytes(), path


def test_a_keyring_value_set_later_wins_over_a_stale_session_value(
    memory_keyring: MemoryKeyring,
) -> None:
    keyring.set_keyring(FailKeyring())
    store = SecretStore()
    store.set("acct", "session-value")
    keyring.set_keyring(memory_keyring)  # e.g. the user unlocked the keyring
    assert store.set("acct", "keyring-value") is True
    assert store.get("acct") == "keyring-value"


def test_process_wide_store_is_shared() -> None:
    assert secret_store() is secret_store()


def test_warm_up_finds_the_backend_off_the_calling_thread() -> None:
    # A fresh interpreter, where no backend has been looked up yet (this one has the test's).
    script = (
        "import keyring.core, threading\n"
        "from composer.core.secrets import warm_up_keyring\n"
        "assert keyring.core._keyring_backend is None\n"
        # Record which thread does the (slow) backend look-up.
        "finders = []\n"
        "original = keyring.core.init_backend\n"
        "def init_backend(*args, **kwargs):\n"
        "    finders.append(threading.current_thread().name)\n"
        "    return original(*args, **kwargs)\n"
        "keyring.core.init_backend = init_backend\n"
        "thread = warm_up_keyring()\n"
        "assert thread is not threading.current_thread()\n"
        "thread.join(30)\n"
        "assert finders and 'MainThread' not in finders, finders\n"
        "print(type(keyring.core._keyring_backend).__name__)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() not in ("", "NoneType")
