"""Targets and keys in the window, and what the runs panel shows when things go wrong."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backends.fail import Keyring as NoKeyring
from PySide6.QtWidgets import QListWidget
from pytestqt.qtbot import QtBot

from composer.core.profiles import ProfileStore
from composer.core.secrets import SESSION_ONLY_NOTICE, SecretStore
from composer.core.settings import Settings
from composer.servers.sandbox import Sandbox
from composer.ui.runs.model import Column
from composer.ui.targets_dialog import TargetsDialog
from tests.conftest import free_port
from tests.qt_async import run_async
from tests.ui.runs.conftest import Runs


def add_target(runs: Runs, name: str, url: str, key: str | None = None) -> None:
    profiles = runs.controller.profiles
    profile = profiles.add(name, url)
    if key is not None:
        profiles.set_api_key(profile, key)
    runs.controller.refresh_targets()
    assert runs.window.targets.select(name)


def test_the_selector_lists_builtin_and_custom_profiles(runs: Runs) -> None:
    add_target(runs, "Local API", runs.sandbox.base_url)
    labels = [runs.window.targets.itemText(i) for i in range(runs.window.targets.count())]
    assert labels == [
        "Sandbox (built-in)",
        "ComfyDeploy",
        "Staging",
        "Self-hosted (localhost:3011)",
        "Local API",
    ]
    assert runs.window.targets.key == "Local API"
    assert runs.window.targets.base_url == runs.sandbox.base_url
    # the built-in sandbox's address is the running one's
    runs.window.targets.select("sandbox")
    assert runs.window.targets.base_url == runs.sandbox.base_url


def test_a_custom_target_with_its_stored_key_runs(runs: Runs) -> None:
    runs.open_sample("deployment-run.json")
    add_target(runs, "Local API", runs.sandbox.base_url, key=str(runs.sandbox.token))
    submission = runs.submit()
    runs.wait_done(submission)
    assert submission.target == "Local API"
    assert runs.cell(0, Column.STATUS) == "success"


def test_a_refused_key_says_so_with_a_way_to_fix_it(runs: Runs, qtbot: QtBot) -> None:
    runs.open_sample("deployment-run.json")
    add_target(runs, "Local API", runs.sandbox.base_url, key="not-the-key")
    submission = runs.submit()
    banner = runs.window.submit_banner
    assert banner.isVisible()
    assert banner.text.text().endswith("check your API key for Local API")
    assert runs.cell(0, Column.STATUS) == "not sent"
    assert "401" in runs.cell(0, Column.DETAIL)
    assert submission.error is not None and "not-the-key" not in str(submission.error)
    banner.button("Open Targets…").click()
    dialog = runs.controller.dialog
    assert dialog is not None and dialog.isVisible() and not dialog.isModal()
    assert dialog.current is not None and dialog.current.name == "Local API"
    # fix the key there, test it, send again
    dialog.key.setText(str(runs.sandbox.token))
    task = dialog.start_test()
    assert task is not None
    qtbot.waitUntil(task.done, timeout=5000)
    assert dialog.test_result.text().startswith("✓ Connected to Local API")
    again = runs.submit()
    runs.wait_done(again)
    assert runs.cell(0, Column.STATUS) == "success"
    assert not banner.isVisible()


def test_an_unreachable_target_says_what_to_check(runs: Runs) -> None:
    runs.open_sample("deployment-run.json")
    url = f"http://127.0.0.1:{free_port()}/api"
    add_target(runs, "Gone", url, key="k")
    runs.submit()
    text = runs.window.submit_banner.text.text()
    assert text.startswith("Cannot reach Gone") and "check the address" in text
    assert runs.window.submit_banner.button("Open Targets…")


def test_a_sandbox_stopped_mid_run_leaves_a_clear_state(
    make_runs: Callable[..., Runs], make_sandbox: Callable[..., Sandbox]
) -> None:
    doomed = make_sandbox(speed=1)
    runs = make_runs(doomed)
    runs.open_sample("deployment-run.json")
    submission = runs.submit()
    runs.qtbot.waitUntil(
        lambda: runs.cell(0, Column.STATUS) in ("queued", "starting", "running"), timeout=8000
    )
    doomed.stop()
    runs.wait_done(submission)
    assert runs.cell(0, Column.STATUS) == "unknown"
    detail = runs.cell(0, Column.DETAIL)
    assert detail.startswith("Cannot reach Sandbox (built-in)")
    assert "composer stopped following this run; its real status is unknown" in detail


@pytest.fixture
def no_keyring() -> Iterator[None]:
    previous = keyring.get_keyring()
    keyring.set_keyring(NoKeyring())
    yield
    keyring.set_keyring(previous)


def test_without_a_keyring_the_key_is_kept_for_the_session_with_a_notice(
    runs: Runs, no_keyring: None
) -> None:
    runs.controller.profiles = ProfileStore(secrets=SecretStore())
    add_target(runs, "Local API", runs.sandbox.base_url)
    dialog = runs.controller.open_targets()
    dialog.select(runs.controller.profiles.resolve("Local API").id)
    assert SESSION_ONLY_NOTICE in dialog.key_note.text()
    dialog.key.setText(str(runs.sandbox.token))
    dialog.save_key.click()
    assert "stored for this session only" in dialog.key_note.text()
    assert SESSION_ONLY_NOTICE in dialog.key_note.text()
    runs.open_sample("deployment-run.json")
    runs.window.targets.select("Local API")
    submission = runs.submit()
    runs.wait_done(submission)
    assert runs.cell(0, Column.STATUS) == "success"
    assert not (runs.controller.profiles.path.exists() and str(runs.sandbox.token) in (
        runs.controller.profiles.path.read_text(encoding="utf-8")
    ))  # fmt: skip


def test_the_dialog_adds_edits_and_removes_targets(runs: Runs, qtbot: QtBot) -> None:
    dialog: TargetsDialog = runs.controller.open_targets()
    names = dialog.findChild(QListWidget, "targets_list")
    assert names is not None and names.count() == 4
    assert dialog.name.isReadOnly()  # the selected built-in cannot be edited
    dialog.add_button.click()
    assert names.count() == 5 and dialog.current is not None
    dialog.name.setText("Local API")
    dialog.base_url.setText("ftp://nope")
    assert not dialog.apply_changes()
    assert "not an http:// or https:// URL" in dialog.error.text()
    dialog.base_url.setText(runs.sandbox.base_url)
    assert dialog.apply_changes()
    assert runs.window.targets.find_target("Local API") == 4
    dialog.base_url.setText("http://example.com/v1")
    assert "end in /api" in dialog.url_note.text() and "unencrypted" in dialog.url_note.text()
    # a test without a key says so
    task = dialog.start_test()
    assert task is not None
    qtbot.waitUntil(task.done, timeout=5000)
    assert "no API key is set" in dialog.test_result.text()
    dialog.remove_button.click()
    assert names.count() == 4 and runs.window.targets.find_target("Local API") == -1


def test_testing_the_builtin_sandbox_works_without_a_key(runs: Runs, qtbot: QtBot) -> None:
    dialog = runs.controller.open_targets("sandbox")
    assert not dialog.key.isEnabled()
    task = dialog.start_test()
    assert task is not None
    qtbot.waitUntil(task.done, timeout=5000)
    assert dialog.test_result.text().startswith("✓ Connected to Sandbox (built-in)")


def test_the_catalogue_comes_from_the_target(runs: Runs, qtbot: QtBot) -> None:
    task = runs.window.set_catalogue_provider(runs.controller.catalogue_source)
    assert task is not None
    assert run_async(qtbot, task)
    assert "flux-dev" in runs.window.catalogue.model_ids()
    assert runs.window.catalogue.deployments  # authenticated with the sandbox's key


def test_a_custom_target_chosen_last_time_comes_back(
    make_runs: Callable[..., Runs], composer_home: Path
) -> None:
    ProfileStore().add("Local API", "http://127.0.0.1:9/api")
    settings = Settings(composer_home / "settings.json")
    settings.set("target", "Local API")
    settings.save()
    runs = make_runs()
    assert runs.window.targets.key == "Local API"
