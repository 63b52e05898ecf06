"""API keys and webhook signing secrets, kept in the OS keyring and never in a file.

One :class:`SecretStore` per process (:func:`secret_store`) holds every secret composer knows:
the API key of each target profile (:func:`api_key_account`) and the webhook signing secrets
(:func:`webhook_secret_account`). Where the machine has no usable keyring (the "fail" backend
of a headless Linux, a locked or broken Secret Service), every keyring call raises a
``keyring.errors.KeyringError``; the store then keeps the secret in memory for this session
only, sets :attr:`SecretStore.session_only` and offers :data:`SESSION_ONLY_NOTICE` for the UI to
show. It never falls back to a file: a plain-text key on disk is exactly what the keyring avoids
(which is also why composer never depends on ``keyrings.alt``).
"""

from __future__ import annotations

import threading
from typing import Final

import keyring
from keyring.errors import KeyringError, PasswordDeleteError

SERVICE: Final = "composer"
"""The keyring service name under which composer stores its secrets."""

SESSION_ONLY_NOTICE: Final = "No system keyring: the key is kept for this session only"
"""What the UI shows when secrets cannot be stored in the OS keyring."""

_PROBE_ACCOUNT: Final = "composer-keyring-probe"


def api_key_account(profile_id: str) -> str:
    """The keyring account of a target profile's API key (by the profile's stable id)."""
    return f"api-key:{profile_id}"


def webhook_secret_account(name: str = "default") -> str:
    """The keyring account of a webhook signing secret."""
    return f"webhook-secret:{name}"


class SecretStore:
    """Get, set and delete secrets by account name, in the OS keyring when there is one.

    Thread-safe. Values set while the keyring is unavailable live in this object only and win
    over the keyring on :meth:`get`, so what the user typed in this session is what is used.
    """

    def __init__(self, service: str = SERVICE) -> None:
        self.service = service
        self._session: dict[str, str] = {}
        self._lock = threading.Lock()
        self._failure: str | None = None

    @property
    def session_only(self) -> bool:
        """True once the keyring has failed: secrets set since then last for this session only."""
        return self._failure is not None

    @property
    def notice(self) -> str | None:
        """:data:`SESSION_ONLY_NOTICE` while secrets are session-only, else None."""
        return SESSION_ONLY_NOTICE if self.session_only else None

    @property
    def failure(self) -> str | None:
        """The keyring's own error text, for a details pane or a log (never contains a secret)."""
        return self._failure

    def check(self) -> bool:
        """Ask the keyring once (a harmless read); True when it works. Updates :attr:`notice`."""
        try:
            keyring.get_password(self.service, _PROBE_ACCOUNT)
        except KeyringError as exc:
            self._note_failure(exc)
            return False
        return True

    def get(self, account: str) -> str | None:
        """The secret stored for ``account``, or None when there is none."""
        with self._lock:
            if account in self._session:
                return self._session[account]
        try:
            value: str | None = keyring.get_password(self.service, account)
        except KeyringError as exc:
            self._note_failure(exc)
            return None
        return value

    def set(self, account: str, secret: str) -> bool:
        """Store ``secret``; True when it went to the OS keyring, False when session-only."""
        if not secret:
            raise ValueError("an empty secret cannot be stored; use delete() to remove one")
        try:
            keyring.set_password(self.service, account, secret)
        except KeyringError as exc:
            self._note_failure(exc)
            with self._lock:
                self._session[account] = secret
            return False
        with self._lock:
            # A stale session value would shadow the one now in the keyring.
            self._session.pop(account, None)
        return True

    def delete(self, account: str) -> None:
        """Forget the secret of ``account`` (in the keyring and this session); no error if none."""
        with self._lock:
            self._session.pop(account, None)
        try:
            keyring.delete_password(self.service, account)
        except PasswordDeleteError:
            pass  # nothing stored: the wanted end state already
        except KeyringError as exc:
            self._note_failure(exc)

    def _note_failure(self, exc: KeyringError) -> None:
        self._failure = str(exc) or type(exc).__name__


_store: SecretStore | None = None
_store_lock = threading.Lock()


def secret_store() -> SecretStore:
    """The process-wide store, so session-only secrets are shared by the GUI and its parts."""
    global _store
    with _store_lock:
        if _store is None:
            _store = SecretStore()
        return _store


def warm_up_keyring() -> threading.Thread:
    """Find the keyring's backend on a worker thread, now rather than at the first secret read.

    keyring finds its backend by importing and probing every installed one (about 100 ms, more
    with a Secret Service on D-Bus); a window that reads its first key or signing secret
    later then does not stall for it. Only the backend is looked up: nothing is read, so a
    locked keyring asks for nothing at start-up.
    """
    thread = threading.Thread(target=keyring.get_keyring, name="composer-keyring", daemon=True)
    thread.start()
    return thread
