"""Target profiles: built-ins, custom ones stored as JSON without keys, resolving names and URLs."""

from __future__ import annotations

import json
from pathlib import Path

import keyring
import pytest
from keyring.backends.fail import Keyring as FailKeyring

from composer.core.paths import composer_home
from composer.core.profiles import (
    BUILTIN_PROFILES,
    SANDBOX_API_KEY,
    BuiltinProfileError,
    ProfileError,
    ProfileKind,
    ProfileNameError,
    ProfilesFileError,
    ProfileStore,
    ProfileUrlError,
    UnknownProfileError,
    move_aside_profiles,
    profiles_path,
    url_warnings,
)
from composer.core.secrets import SESSION_ONLY_NOTICE, SecretStore
from composer.core.targets import (
    NAMED_TARGETS,
    PRODUCTION_URL,
    STAGING_URL,
    BaseUrlError,
    base_url_for,
    normalize_base_url,
)
from tests.conftest import MemoryKeyring


@pytest.fixture
def store() -> ProfileStore:
    return ProfileStore(secrets=SecretStore())


def test_builtins_and_the_sandbox_is_the_default(store: ProfileStore) -> None:
    names = [p.name for p in store.profiles()]
    assert names == ["Sandbox (built-in)", "ComfyDeploy", "Staging", "Self-hosted (localhost:3011)"]
    assert store.current.is_sandbox and store.current.name == "Sandbox (built-in)"
    assert store.resolve("ComfyDeploy").base_url == PRODUCTION_URL
    assert store.resolve("Self-hosted (localhost:3011)").base_url == "http://localhost:3011/api"
    assert store.api_key(store.current) == SANDBOX_API_KEY
    assert not profiles_path().exists()  # reading writes nothing


@pytest.mark.parametrize("short", sorted(NAMED_TARGETS))
def test_short_names_of_targets_resolve_to_the_same_url(store: ProfileStore, short: str) -> None:
    profile = store.resolve(short.upper())
    if profile.is_sandbox:
        assert short == "sandbox"
    else:
        assert profile.base_url == base_url_for(short)


def test_resolve_names_case_insensitively_and_urls(store: ProfileStore) -> None:
    assert store.resolve("  staging ").kind is ProfileKind.STAGING
    assert store.resolve("sandbox (BUILT-IN)").is_sandbox
    assert store.resolve(None) == store.current
    assert store.resolve("https://API.comfydeploy.com/api/").name == "ComfyDeploy"
    adhoc = store.resolve("https://cd.example.org/api/")
    assert (adhoc.saved, adhoc.base_url, adhoc.kind) == (
        False,
        "https://cd.example.org/api",
        ProfileKind.CUSTOM,
    )


def test_unknown_name_says_what_exists_and_suggests(store: ProfileStore) -> None:
    with pytest.raises(UnknownProfileError) as info:
        store.resolve("stagng")
    assert info.value.suggestions == ["Staging"] or "staging" in info.value.suggestions
    assert "Known targets" in str(info.value) and "'ComfyDeploy'" in str(info.value)


def test_custom_profile_is_stored_without_its_key(
    store: ProfileStore, memory_keyring: MemoryKeyring
) -> None:
    profile = store.add("  My   cluster ", "https://cd.example.org/api/")
    assert (profile.name, profile.base_url) == ("My cluster", "https://cd.example.org/api")
    assert store.set_api_key(profile, " sk-custom-secret ") is True
    store.set_current("my cluster")

    reopened = ProfileStore(secrets=SecretStore())
    assert reopened.current == profile
    assert reopened.api_key(profile) == "sk-custom-secret"
    assert reopened.resolve("https://cd.example.org/api") == profile
    text = profiles_path().read_text(encoding="utf-8")
    assert "sk-custom-secret" not in text
    document = json.loads(text)
    assert document["format"] == "composer.profiles" and document["version"] == 1
    assert document["custom"] == [
        {"id": profile.id, "name": "My cluster", "base_url": "https://cd.example.org/api"}
    ]


def test_rename_keeps_the_key_and_remove_deletes_it(
    store: ProfileStore, memory_keyring: MemoryKeyring
) -> None:
    profile = store.add("Team", "https://team.example.org/api")
    store.set_api_key(profile, "sk-team")
    store.set_current(profile.id)
    renamed = store.update(profile.id, name="Team EU", base_url="https://eu.example.org/api")
    assert renamed.id == profile.id and store.api_key(renamed) == "sk-team"
    assert store.current == renamed
    store.remove(profile.id)
    assert store.current.is_sandbox
    assert store.find("Team EU") is None
    assert memory_keyring.secrets == {}


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "empty"),
        ("staging", "already used"),
        ("COMFYDEPLOY", "already used"),
        ("production", "already used"),
        ("https://x.org/api", "URL"),
        ("x" * 81, "longer"),
    ],
)
def test_bad_names_are_refused(store: ProfileStore, name: str, message: str) -> None:
    with pytest.raises(ProfileNameError, match=message):
        store.add(name, "https://x.example.org/api")
    assert not profiles_path().exists()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "empty"),
        ("ftp://x.org/api", "http"),
        ("x.org/api", "http"),
        ("https:///api", "host"),
        ("https://user:pw@x.org/api", "password"),
        ("https://x.org/api?token=1", "query"),
        ("https://x.org/api#frag", "fragment"),
        ("https://x.org:99999/api", "port"),
        ("https://x.org/my api", "spaces"),
    ],
)
def test_bad_urls_are_refused(store: ProfileStore, url: str, message: str) -> None:
    with pytest.raises(ProfileUrlError, match=message):
        store.add("Custom", url)
    with pytest.raises(BaseUrlError):
        normalize_base_url(url)


def test_url_warnings() -> None:
    assert url_warnings("https://api.comfydeploy.com/api") == []
    assert any("/api" in w for w in url_warnings("https://cd.example.org"))
    assert any("unencrypted" in w for w in url_warnings("http://cd.example.org/api"))
    assert url_warnings("http://localhost:3011/api") == []


def test_builtins_cannot_be_changed(store: ProfileStore) -> None:
    for profile in BUILTIN_PROFILES:
        with pytest.raises(BuiltinProfileError):
            store.remove(profile.id)
        with pytest.raises(BuiltinProfileError):
            store.update(profile.id, name="Other")
    with pytest.raises(BuiltinProfileError):
        store.set_api_key(store.resolve("sandbox"), "x")
    with pytest.raises(ProfileError, match="saved"):
        store.set_current("https://adhoc.example.org/api")
    with pytest.raises(ProfileError, match="empty"):
        store.set_api_key(store.resolve("staging"), "  ")


def test_two_stores_editing_the_same_file_lose_nothing() -> None:
    first = ProfileStore(secrets=SecretStore())
    second = ProfileStore(secrets=SecretStore())
    first.add("One", "https://one.example.org/api")
    second.add("Two", "https://two.example.org/api")
    names = [p.name for p in ProfileStore(secrets=SecretStore()).profiles()]
    assert names[-2:] == ["One", "Two"]


def test_session_only_key_without_keyring(store: ProfileStore) -> None:
    keyring.set_keyring(FailKeyring())
    staging = store.resolve("staging")
    assert store.set_api_key(staging, "sk-session") is False
    assert store.key_notice == SESSION_ONLY_NOTICE
    assert store.api_key(staging) == "sk-session"
    assert store.resolve("staging").base_url == STAGING_URL


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("{not json", "not valid JSON"),
        ('{"format": "something"}', "not a composer profiles file"),
        ('{"format": "composer.profiles", "version": 99}', "newer composer"),
        ('{"format": "composer.profiles", "version": 1, "custom": [{"id": 1}]}', "needs id"),
    ],
)
def test_unusable_file_is_a_typed_error_and_never_rewritten(text: str, reason: str) -> None:
    path = profiles_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ProfilesFileError, match=reason) as info:
        ProfileStore(secrets=SecretStore())
    assert info.value.path == path
    assert path.read_text(encoding="utf-8") == text
    moved = move_aside_profiles()
    assert moved.read_text(encoding="utf-8") == text and moved.parent == composer_home()
    assert not path.exists()
    assert ProfileStore(secrets=SecretStore()).current.is_sandbox


def test_stale_current_id_falls_back_to_the_sandbox(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_text(
        '{"format": "composer.profiles", "version": 1, "current": "custom-gone", "custom": []}'
    )
    assert ProfileStore(path, SecretStore()).current.is_sandbox
