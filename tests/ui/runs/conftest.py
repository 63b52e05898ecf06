"""A window with its runs controller, over the test sandbox as the built-in target."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import qasync
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from composer.client.group import PollSchedule
from composer.client.retry import RetryPolicy
from composer.core.history import HistoryStore
from composer.core.presets import parse_preset
from composer.core.profiles import SANDBOX_API_KEY
from composer.resources import sample_preset_text
from composer.servers.sandbox import Sandbox
from composer.ui.main_window import MainWindow
from composer.ui.runs.controller import RunsController
from composer.ui.runs.local_servers import BuiltinSandbox
from composer.ui.runs.model import Column, RunsModel
from composer.ui.runs.notify import FinishNotifier
from tests.qt_async import run_async
from tests.ui.conftest import WindowFactory

# Polls every 10..50 ms; a run the API stops answering about is given up after 3 failed polls.
FAST = PollSchedule(initial=0.01, factor=1.5, maximum=0.05, discovery=0.02, max_errors=3)
# Reads retried quickly (a stopped sandbox is given up on in a fraction of a second).
FAST_RETRY = RetryPolicy(attempts=3, initial=0.01, maximum=0.02)


@dataclass
class Runs:
    """A window wired to the sandbox, and what tests look at."""

    window: MainWindow
    controller: RunsController
    sandbox: Sandbox
    history: HistoryStore
    notices: list[tuple[str, str]]
    qtbot: QtBot

    @property
    def model(self) -> RunsModel:
        return self.controller.model

    def open_sample(self, name: str) -> None:
        preset = parse_preset(sample_preset_text(name), name)
        self.window.document.open_preset(preset, None)
        self.window.form.refresh()
        self.window.binding.settle_now()
        self.window.targets.select("sandbox")

    def submit(self) -> Any:
        """Press Submit and return the submission once the POST was answered."""
        before = len(self.model.submissions())
        with self.qtbot.waitSignal(self.window.submit_requested, timeout=2000):
            self.window.submit_button.click()
        self.qtbot.waitUntil(
            lambda: (
                len(self.model.submissions()) > before and not self.model.submissions()[0].sending
            ),
            timeout=5000,
        )
        return self.model.submissions()[0]

    def wait_done(self, submission: Any, timeout: int = 10_000) -> None:
        """Until every run of the submission ended and the panel shows it."""

        def done() -> bool:
            _status, finished, _failed, total = self.model.summary(submission)
            return total > 0 and finished == total and not self.model._pending

        self.qtbot.waitUntil(done, timeout=timeout)

    def cell(self, row: int, column: Column, parent_row: int | None = None) -> str:
        model = self.model
        parent = model.index(parent_row, 0) if parent_row is not None else model.index(-1, 0)
        return str(model.index(row, column, parent).data(Qt.ItemDataRole.DisplayRole))


@pytest.fixture
def make_runs(
    make_window: WindowFactory,
    qtbot: QtBot,
    qasync_loop: qasync.QEventLoop,
    composer_home: Path,
    sandbox: Sandbox,
) -> Iterator[Callable[..., Runs]]:
    made: list[Runs] = []

    def make(target_sandbox: Sandbox | None = None, **kw: Any) -> Runs:
        chosen = target_sandbox or sandbox
        chosen.config.token = SANDBOX_API_KEY  # the built-in target's fixed key
        window = make_window()
        window.complete_startup()
        window.document.new()
        history = HistoryStore(composer_home / "history.sqlite3")
        notices: list[tuple[str, str]] = []
        notifier = FinishNotifier(window, lambda title, text: notices.append((title, text)))
        kw.setdefault("schedule", FAST)
        kw.setdefault("retry", FAST_RETRY)
        controller = RunsController(
            window,
            history=history,
            sandbox=BuiltinSandbox.running_at(chosen),
            notifier=notifier,
            environ={},
            trust_env=False,
            **kw,
        )
        runs = Runs(window, controller, chosen, history, notices, qtbot)
        made.append(runs)
        return runs

    yield make
    for runs in made:
        run_async(qtbot, runs.controller.aclose())
        runs.history.close()


@pytest.fixture
def runs(make_runs: Callable[..., Runs]) -> Runs:
    return make_runs()
