"""``composer submit --target NAME`` through saved profiles (keys in the keyring) and the history.

These run the command in this process (``composer.cli.main``) so that it sees the test's
in-memory keyring, exactly as a user's command sees the OS keyring.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from composer.cli import main
from composer.core.history import HistoryStore
from composer.core.profiles import ProfileStore
from composer.resources import resource
from composer.servers.sandbox import Sandbox

PRESET = str(resource("presets", "deployment-run.json"))


def lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_a_named_profile_uses_its_stored_key_and_records_history(
    sandbox: Sandbox, composer_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    profiles = ProfileStore()
    local = profiles.add("Local API", sandbox.base_url)
    assert profiles.set_api_key(local, str(sandbox.token))  # stored in the (test) keyring
    code = main(["submit", PRESET, "--target", "local api", "--wait", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    (finished,) = [event for event in lines(out) if event["event"] == "finished"]
    assert finished["status"] == "success"
    with HistoryStore() as history:
        (entry,) = history.search().items
        detail = history.get(entry.id)
    assert entry.target_name == "Local API" and entry.status == "success"
    assert detail.runs[0].run_id == finished["run_id"] and detail.runs[0].outputs
    assert str(sandbox.token) not in (composer_home / "history.sqlite3").read_bytes().decode(
        "latin-1"
    )


def test_the_environment_key_wins_over_the_stored_one(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    profiles = ProfileStore()
    profiles.set_api_key(profiles.add("Local", sandbox.base_url), "a-stale-key")
    monkeypatch.setenv("COMFY_DEPLOY_API_KEY", str(sandbox.token))
    assert main(["submit", PRESET, "--target", "Local", "--json", "--no-history"]) == 0
    capsys.readouterr()
    with HistoryStore() as history:
        assert history.count() == 0  # --no-history


def test_a_profile_without_a_key_says_which_target_needs_one(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    ProfileStore().add("Local", sandbox.base_url)
    assert main(["submit", PRESET, "--target", "Local", "--json"]) == 3
    _, err = capsys.readouterr()
    assert err.strip().endswith("check your API key for Local")
    with HistoryStore() as history:
        (entry,) = history.search().items
    assert entry.status == "error" and "(401)" in (entry.error or "")


def test_unknown_names_suggest_close_ones(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["submit", PRESET, "--target", "stagin"]) == 2
    _, err = capsys.readouterr()
    assert err.startswith("composer: unknown target 'stagin'") and "Did you mean" in err
