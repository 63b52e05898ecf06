"""UI settings file and autosaved drafts: round trips, damaged files, crash detection."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from composer.core.autosave import DraftStore, read_draft
from composer.core.settings import Settings, settings_path
from composer.core.wire import RequestKind


def test_settings_round_trip_with_bytes(composer_home: Path) -> None:
    settings = Settings()
    settings.set("target", "staging")
    settings.set("splitter", [200, 500, 400])
    settings.set_bytes("geometry", b"\x00\x01\xffqt")
    settings.save()
    again = Settings()
    assert settings_path() == composer_home / "settings.json"
    assert again.get_str("target") == "staging"
    assert again.get_int_list("splitter") == [200, 500, 400]
    assert again.get_bytes("geometry") == b"\x00\x01\xffqt"
    assert again.get_int_list("target") is None and again.get_bytes("target") is None
    again.set("target", None)
    assert again.get("target") is None


def test_damaged_settings_are_reported_and_ignored(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text("{not json", encoding="utf-8")
    settings = Settings(path)
    assert settings.values == {} and "not valid JSON" in (settings.problem or "")
    path.write_text("[1, 2]", encoding="utf-8")
    assert "not a composer settings file" in (Settings(path).problem or "")


def test_a_damaged_settings_file_is_set_aside_not_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text("{not json", encoding="utf-8")
    settings = Settings(path)
    kept = list(tmp_path.glob("settings.json.unreadable-*"))
    assert len(kept) == 1 and kept[0].read_text(encoding="utf-8") == "{not json"
    assert kept[0].name in (settings.problem or "") and not path.exists()
    settings.set("target", "staging")
    settings.save()
    assert kept[0].read_text(encoding="utf-8") == "{not json"
    assert Settings(path).get_str("target") == "staging"


def test_draft_store_saves_own_file_and_discards_it(tmp_path: Path) -> None:
    store = DraftStore(tmp_path, pid=12345)
    path = store.save(RequestKind.MODEL, {"model_id": "flux-dev"}, preset_name="Fox")
    draft = read_draft(path)
    assert draft is not None and draft.request == {"model_id": "flux-dev"}
    assert draft.title == "Fox" and draft.kind is RequestKind.MODEL
    assert store.orphans() == []  # its own draft is never an orphan
    store.discard()
    assert not path.exists()
    store.discard()  # idempotent


def test_drafts_of_dead_processes_are_orphans(tmp_path: Path) -> None:
    # A pid that surely is not running: a child process that has exited.
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)  # fmt: skip
    dead_pid = int(child.stdout)
    DraftStore(tmp_path, pid=dead_pid).save(RequestKind.DEPLOYMENT, {"deployment_id": "x"})
    import os

    DraftStore(tmp_path, pid=os.getppid()).save(RequestKind.MODEL, {})  # alive: not offered
    (tmp_path / "draft-1.json").write_text("garbage", encoding="utf-8")  # unreadable: skipped
    mine = DraftStore(tmp_path)
    orphans = mine.orphans()
    assert [o.pid for o in orphans] == [dead_pid]
    assert orphans[0].title == "untitled deployment run (x)"
    mine.remove(orphans[0])
    assert mine.orphans() == []
    assert (tmp_path / "draft-1.json").exists()
    assert json.loads((tmp_path / f"draft-{os.getppid()}.json").read_text())["request"] == {}


def test_ephemeral_settings_never_touch_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = Settings.ephemeral()
    settings.set("theme", "dark")
    settings.save()
    assert settings.get("theme") == "dark"
    assert list(tmp_path.iterdir()) == []
