"""A real target's API key is read from the OS keyring off the window's thread (the keyring may
be slow, or ask to be unlocked): when submitting and when loading the target's catalogue."""

from __future__ import annotations

import threading

import keyring
from pytestqt.qtbot import QtBot

from tests.conftest import SlowKeyring
from tests.qt_async import run_async
from tests.ui.runs.conftest import Runs


def custom_target_with_a_slow_keyring(runs: Runs) -> SlowKeyring:
    """Select a custom target on the sandbox whose key sits in a keyring that notes its readers
    (which answers at once: only the threads matter here)."""
    slow = SlowKeyring()
    slow.release.set()
    keyring.set_keyring(slow)  # the memory_keyring fixture puts its own back
    profiles = runs.controller.profiles
    profile = profiles.add("Local API", runs.sandbox.base_url)
    profiles.set_api_key(profile, str(runs.sandbox.token))
    runs.controller.refresh_targets()
    assert runs.window.targets.select("Local API")
    slow.readers.clear()  # what setting up read does not count
    return slow


def test_submitting_to_a_real_target_reads_its_key_off_the_window_thread(runs: Runs) -> None:
    runs.open_sample("deployment-run.json")
    slow = custom_target_with_a_slow_keyring(runs)
    submission = runs.submit()
    runs.wait_done(submission)
    assert submission.target == "Local API" and submission.error is None
    assert slow.readers and threading.main_thread().name not in slow.readers


def test_a_real_targets_catalogue_reads_its_key_off_the_window_thread(
    runs: Runs, qtbot: QtBot
) -> None:
    slow = custom_target_with_a_slow_keyring(runs)
    task = runs.window.set_catalogue_provider(runs.controller.catalogue_source)
    assert task is not None
    assert run_async(qtbot, task)
    assert runs.window.catalogue.deployments  # authenticated with the stored key
    assert slow.readers and threading.main_thread().name not in slow.readers
