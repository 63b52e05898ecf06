"""Target profiles: where runs are sent (a name and a base URL), and which one is current.

Four profiles are built in: "Sandbox (built-in)" (the default; the app starts its local sandbox
on demand and uses :data:`SANDBOX_API_KEY`), "ComfyDeploy" (production), "Staging" and
"Self-hosted (localhost:3011)". Users add custom ones (a name and a base URL). Custom profiles and
the current choice are stored in ``profiles.json`` in the composer home, written atomically; the
file never holds a key: each profile's API key is kept by :mod:`composer.core.secrets` under the
profile's stable id, so renaming a profile keeps its key.

File format (version 1)::

    {"format": "composer.profiles", "version": 1, "current": "<profile id>",
     "custom": [{"id": "custom-<hex>", "name": "...", "base_url": "https://.../api"}]}

A file that cannot be read (not JSON, not this format, or from a newer composer) raises
:class:`ProfilesFileError` and is never rewritten; :func:`move_aside_profiles` moves it out of
the way so a fresh file can be started.
"""

from __future__ import annotations

import difflib
import json
import secrets as random_tokens
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

from composer.core.atomic import move_aside, write_text_atomic
from composer.core.paths import composer_home
from composer.core.secrets import SecretStore, api_key_account, secret_store
from composer.core.targets import (
    PRODUCTION_URL,
    SANDBOX_DEFAULT_URL,
    SELF_HOSTED_URL,
    STAGING_URL,
    BaseUrlError,
    is_url,
    normalize_base_url,
    same_base_url,
)
from composer.core.webhook_urls import is_loopback

PROFILES_FORMAT: Final = "composer.profiles"
PROFILES_VERSION: Final = 1
MAX_NAME_LENGTH: Final = 80

SANDBOX_API_KEY: Final = "composer-sandbox-key"
"""The fixed dummy token of the built-in sandbox (it is not a secret: the sandbox is local)."""


class ProfileKind(StrEnum):
    """What a profile points at."""

    SANDBOX = "sandbox"
    PRODUCTION = "production"
    STAGING = "staging"
    SELF_HOSTED = "self-hosted"
    CUSTOM = "custom"


@dataclass(frozen=True, slots=True)
class Profile:
    """A target: ``id`` is stable (keys are stored under it), ``name`` is what people see."""

    id: str
    name: str
    base_url: str
    kind: ProfileKind
    aliases: tuple[str, ...] = ()
    """Short names accepted by :meth:`ProfileStore.resolve` (those of ``composer.core.targets``)."""
    saved: bool = True
    """False for a profile made up on the fly from a URL that matches no saved profile."""

    @property
    def builtin(self) -> bool:
        """True for the four profiles composer ships with (they cannot be edited or removed)."""
        return self.kind is not ProfileKind.CUSTOM

    @property
    def is_sandbox(self) -> bool:
        """True for the built-in sandbox, which the app starts itself; its URL is then the
        running sandbox's, and :attr:`base_url` only a placeholder."""
        return self.kind is ProfileKind.SANDBOX

    @property
    def key_account(self) -> str:
        """The keyring account of this profile's API key."""
        return api_key_account(self.id)


SANDBOX = Profile(
    "sandbox", "Sandbox (built-in)", SANDBOX_DEFAULT_URL, ProfileKind.SANDBOX, ("sandbox",)
)
COMFYDEPLOY = Profile(
    "comfydeploy",
    "ComfyDeploy",
    PRODUCTION_URL,
    ProfileKind.PRODUCTION,
    ("comfydeploy", "production"),
)
STAGING = Profile("staging", "Staging", STAGING_URL, ProfileKind.STAGING, ("staging",))
SELF_HOSTED = Profile(
    "self-hosted",
    "Self-hosted (localhost:3011)",
    SELF_HOSTED_URL,
    ProfileKind.SELF_HOSTED,
    ("self-hosted", "selfhosted"),
)
BUILTIN_PROFILES: Final[tuple[Profile, ...]] = (SANDBOX, COMFYDEPLOY, STAGING, SELF_HOSTED)
DEFAULT_PROFILE: Final = SANDBOX


class ProfileError(Exception):
    """A profile operation that cannot be done; ``str()`` says why in one line."""


class ProfileNameError(ProfileError):
    """A custom profile name that is empty, too long, a URL or already taken."""


class ProfileUrlError(ProfileError):
    """A base URL that is not usable (see :func:`composer.core.targets.normalize_base_url`)."""


class UnknownProfileError(ProfileError):
    """No profile by that name; ``suggestions`` holds close names."""

    def __init__(self, text: str, known: Iterable[str], suggestions: list[str]) -> None:
        hint = f" Did you mean {' or '.join(repr(s) for s in suggestions)}?" if suggestions else ""
        names = ", ".join(repr(name) for name in known)
        super().__init__(f"no target named {text!r}.{hint} Known targets: {names}, or a base URL.")
        self.text = text
        self.suggestions = suggestions


class BuiltinProfileError(ProfileError):
    """Built-in profiles cannot be renamed, edited or removed."""


class ProfilesFileError(ProfileError):
    """``profiles.json`` cannot be used (unreadable, corrupt or too new); it was not modified."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


def profiles_path() -> Path:
    """Where custom profiles and the current choice are stored."""
    return composer_home() / "profiles.json"


def move_aside_profiles(path: Path | None = None) -> Path:
    """Move an unusable profiles file aside (kept beside it, renamed); returns its new path."""
    return move_aside(path or profiles_path())


class ProfileStore:
    """The profiles of one composer home, and the API key of each (through a SecretStore).

    Every change re-reads the file first, so the GUI and a CLI command editing profiles at the
    same time lose nothing but a race on the very same entry.
    """

    def __init__(self, path: Path | None = None, secrets: SecretStore | None = None) -> None:
        self.path = path or profiles_path()
        self.secrets = secrets or secret_store()
        self._current_id, self._custom = self._read()

    # --- reading ---

    def profiles(self) -> list[Profile]:
        """Every profile: the built-ins first, then custom ones in the order they were added."""
        return [*BUILTIN_PROFILES, *self._custom]

    def get(self, profile_id: str) -> Profile | None:
        """The profile with this id, or None."""
        return next((p for p in self.profiles() if p.id == profile_id), None)

    def find(self, name: str) -> Profile | None:
        """The profile whose name, id or short name is ``name`` (case-insensitive), or None."""
        wanted = name.strip().casefold()
        for profile in self.profiles():
            keys = {profile.name.casefold(), profile.id.casefold()}
            keys.update(alias.casefold() for alias in profile.aliases)
            if wanted in keys:
                return profile
        return None

    def resolve(self, text: str | None) -> Profile:
        """The profile a user means by ``text``: the current one for None or "", a name (any
        case), a short name (``sandbox``, ``comfydeploy``, ``staging``, ``self-hosted``), or a
        base URL (a saved profile with that URL, else an unsaved ad-hoc profile)."""
        if text is None or not text.strip():
            return self.current
        text = text.strip()
        if is_url(text.lower()):
            try:
                url = normalize_base_url(text)
            except BaseUrlError as exc:
                raise ProfileUrlError(str(exc)) from None
            for profile in self.profiles():
                if not profile.is_sandbox and same_base_url(profile.base_url, url):
                    return profile
            return Profile(f"url:{url}", url, url, ProfileKind.CUSTOM, saved=False)
        found = self.find(text)
        if found is not None:
            return found
        names = [p.name for p in self.profiles()]
        candidates = {n.casefold(): n for n in names}
        for p in self.profiles():
            candidates.update({alias: alias for alias in p.aliases})
        close = difflib.get_close_matches(text.casefold(), list(candidates), n=2, cutoff=0.6)
        raise UnknownProfileError(text, names, [candidates[c] for c in close])

    @property
    def current(self) -> Profile:
        """The profile new requests go to (the sandbox until the user picks another)."""
        return self.get(self._current_id) or DEFAULT_PROFILE

    # --- changing ---

    def set_current(self, name_or_id: str) -> Profile:
        """Make a saved profile current and remember it."""
        profile = self.resolve(name_or_id)
        if not profile.saved:
            raise ProfileError("only a saved profile can be the current target; add it first")
        self._mutate(lambda data: data.update(current=profile.id))
        return profile

    def add(self, name: str, base_url: str) -> Profile:
        """Add a custom profile; raises :class:`ProfileNameError` or :class:`ProfileUrlError`."""
        clean_name = self._check_name(name, exclude_id=None)
        url = _check_url(base_url)
        profile = Profile(
            f"custom-{random_tokens.token_hex(6)}", clean_name, url, ProfileKind.CUSTOM
        )

        def change(data: dict[str, Any]) -> None:
            data["custom"].append(_entry(profile))

        self._mutate(change)
        return profile

    def update(
        self, profile_id: str, *, name: str | None = None, base_url: str | None = None
    ) -> Profile:
        """Rename a custom profile or change its URL; its API key stays with it."""
        old = self._custom_profile(profile_id)
        new_name = old.name if name is None else self._check_name(name, exclude_id=profile_id)
        new_url = old.base_url if base_url is None else _check_url(base_url)
        profile = Profile(old.id, new_name, new_url, ProfileKind.CUSTOM)

        def change(data: dict[str, Any]) -> None:
            data["custom"] = [
                _entry(profile) if entry["id"] == profile_id else entry for entry in data["custom"]
            ]

        self._mutate(change)
        return profile

    def remove(self, profile_id: str) -> None:
        """Remove a custom profile and its API key; the sandbox becomes current if it was."""
        self._custom_profile(profile_id)

        def change(data: dict[str, Any]) -> None:
            data["custom"] = [entry for entry in data["custom"] if entry["id"] != profile_id]
            if data.get("current") == profile_id:
                data["current"] = DEFAULT_PROFILE.id

        self._mutate(change)
        self.secrets.delete(api_key_account(profile_id))

    # --- keys ---

    def api_key(self, profile: Profile) -> str | None:
        """The profile's API key: the sandbox's fixed token, else the stored key, else None."""
        if profile.is_sandbox:
            return SANDBOX_API_KEY
        return self.secrets.get(profile.key_account)

    def set_api_key(self, profile: Profile, key: str) -> bool:
        """Store the profile's key; True when it went to the OS keyring, False when it is kept
        for this session only (show :attr:`key_notice` then)."""
        if profile.is_sandbox:
            raise BuiltinProfileError("the built-in sandbox uses a fixed key; nothing to store")
        key = key.strip()
        if not key:
            raise ProfileError("the API key is empty")
        return self.secrets.set(profile.key_account, key)

    def delete_api_key(self, profile: Profile) -> None:
        """Forget the profile's key."""
        self.secrets.delete(profile.key_account)

    @property
    def key_notice(self) -> str | None:
        """The session-only notice to show next to key fields, or None when the keyring works."""
        return self.secrets.notice

    # --- internals ---

    def _custom_profile(self, profile_id: str) -> Profile:
        profile = self.get(profile_id)
        if profile is None:
            raise UnknownProfileError(profile_id, [p.name for p in self.profiles()], [])
        if profile.builtin:
            raise BuiltinProfileError(f"{profile.name!r} is built in and cannot be changed")
        return profile

    def _check_name(self, name: str, exclude_id: str | None) -> str:
        clean = " ".join(name.split())
        if not clean:
            raise ProfileNameError("the profile name is empty")
        if len(clean) > MAX_NAME_LENGTH:
            raise ProfileNameError(f"the profile name is longer than {MAX_NAME_LENGTH} characters")
        if is_url(clean.lower()) or clean.casefold().startswith(("url:", "custom-")):
            raise ProfileNameError("a profile name cannot look like a URL or a profile id")
        taken = self.find(clean)
        if taken is not None and taken.id != exclude_id:
            raise ProfileNameError(f"the name {clean!r} is already used by {taken.name!r}")
        return clean

    def _mutate(self, change: Callable[[dict[str, Any]], None]) -> None:
        current_id, custom = self._read()
        data: dict[str, Any] = {"current": current_id, "custom": [_entry(p) for p in custom]}
        change(data)
        document = {"format": PROFILES_FORMAT, "version": PROFILES_VERSION, **data}
        write_text_atomic(self.path, json.dumps(document, indent=2, ensure_ascii=False) + "\n")
        self._current_id, self._custom = self._read()

    def _read(self) -> tuple[str, list[Profile]]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return DEFAULT_PROFILE.id, []
        except (OSError, UnicodeDecodeError) as exc:
            raise ProfilesFileError(self.path, f"cannot be read: {exc}") from None
        return _parse(self.path, text)


def _parse(path: Path, text: str) -> tuple[str, list[Profile]]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProfilesFileError(path, f"not valid JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(document, dict) or document.get("format") != PROFILES_FORMAT:
        raise ProfilesFileError(
            path, f'not a composer profiles file ("format" is not "{PROFILES_FORMAT}")'
        )
    version = document.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ProfilesFileError(path, '"version" must be a positive integer')
    if version > PROFILES_VERSION:
        raise ProfilesFileError(
            path, f"written by a newer composer (version {version}): update composer to use it"
        )
    custom: list[Profile] = []
    entries = document.get("custom", [])
    if not isinstance(entries, list):
        raise ProfilesFileError(path, '"custom" must be a list')
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict) or not all(
            isinstance(entry.get(key), str) for key in ("id", "name", "base_url")
        ):
            raise ProfilesFileError(path, f"custom profile {index + 1} needs id, name and base_url")
        try:
            url = normalize_base_url(entry["base_url"])
        except BaseUrlError as exc:
            raise ProfilesFileError(path, f"custom profile {entry['name']!r}: {exc}") from None
        custom.append(Profile(entry["id"], entry["name"], url, ProfileKind.CUSTOM))
    current = document.get("current")
    return (current if isinstance(current, str) else DEFAULT_PROFILE.id), custom


def _entry(profile: Profile) -> dict[str, str]:
    return {"id": profile.id, "name": profile.name, "base_url": profile.base_url}


def _check_url(base_url: str) -> str:
    try:
        return normalize_base_url(base_url)
    except BaseUrlError as exc:
        raise ProfileUrlError(str(exc)) from None


def url_warnings(base_url: str) -> list[str]:
    """Advice about a valid base URL that is probably not what the user meant."""
    warnings: list[str] = []
    if not base_url.rstrip("/").endswith("/api"):
        warnings.append("ComfyDeploy base URLs end in /api (e.g. https://api.comfydeploy.com/api)")
    if base_url.lower().startswith("http://") and not _is_local(base_url):
        warnings.append(
            "plain http:// sends the API key unencrypted; use https:// for remote hosts"
        )
    return warnings


def _is_local(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return is_loopback(host) or host.endswith(".localhost")
