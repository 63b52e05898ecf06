"""How the app and the CLI use trackers: on a qasync loop, fed from a thread, cancelled early."""

from __future__ import annotations

import asyncio
import threading

import qasync
from PySide6.QtWidgets import QProgressBar
from pytestqt.qtbot import QtBot

from composer.client.group import TrackerGroup
from composer.client.results import RunQueued
from composer.client.tracker import RunTracker
from composer.core.run_parsing import parse_webhook
from composer.core.runs import RunState, UpdateSource
from composer.servers.sandbox import Sandbox
from tests.client.helpers import FAST, MODEL_BODY, api_for, run
from tests.qt_async import run_async


def test_a_widget_follows_a_run_on_the_qasync_loop(
    qtbot: QtBot, qasync_loop: qasync.QEventLoop, sandbox: Sandbox
) -> None:
    """The window's way: the tracker runs on the Qt loop and a listener updates a widget."""
    bar = QProgressBar()
    qtbot.addWidget(bar)
    statuses: list[str] = []

    def show(state: RunState) -> None:
        statuses.append(state.status)
        bar.setValue(100 if state.succeeded else state.percent or 0)

    async def follow() -> RunState:
        async with api_for(sandbox) as api:
            result = await api.submit(MODEL_BODY)
            assert isinstance(result, RunQueued)
            async with RunTracker(api, result.run_id, schedule=FAST) as tracker:
                tracker.add_listener(show)
                return await tracker.wait()

    final = run_async(qtbot, follow())
    assert final.succeeded and bar.value() == 100
    assert statuses[-1] == "success" and len(statuses) >= 2


def test_updates_fed_from_another_thread(sandbox: Sandbox) -> None:
    """A webhook receiver's thread hands updates over with feed_threadsafe."""

    async def main() -> None:
        async with api_for(sandbox) as api:
            result = await api.submit(MODEL_BODY)
            assert isinstance(result, RunQueued)
            slow = FAST.__class__(initial=30, maximum=30)  # no poll before the webhook
            async with TrackerGroup(api, schedule=slow) as group:
                group.track(result.run_id, poll=False)
                payload = {"event_type": "run.updated", "status": "success", "progress": 1,
                           "run_id": result.run_id, "outputs": []}  # fmt: skip
                thread = threading.Thread(
                    target=group.feed_threadsafe, args=(parse_webhook(payload),)
                )
                thread.start()
                states = await group.wait()
                thread.join()
            state = states[result.run_id]
            assert state.succeeded and state.source is UpdateSource.WEBHOOK
            assert group.polls == 0

    run(main())


def test_a_cancel_right_after_submit_waits_for_the_run_to_be_queued(sandbox: Sandbox) -> None:
    """The API cannot cancel a run before it is queued (500); the group tries again."""
    sandbox.config.speed = 5

    async def main() -> None:
        async with api_for(sandbox) as api, TrackerGroup(api, schedule=FAST) as group:
            result = await api.submit(MODEL_BODY)
            assert isinstance(result, RunQueued)
            group.track(result.run_id)
            cancelled = await group.cancel(result.run_id, attempts=20, wait=0.05)
            assert cancelled.ok
            states = await group.wait()
            assert states[result.run_id].status == "cancelled"

    run(main())


def test_updates_iterator_ends_when_the_group_is_done(sandbox: Sandbox) -> None:
    async def main() -> None:
        async with api_for(sandbox) as api:
            result = await api.submit(MODEL_BODY)
            assert isinstance(result, RunQueued)
            async with TrackerGroup(api, schedule=FAST) as group:
                group.track(result.run_id)
                seen = [state async for state in group.updates()]
                assert seen[-1].succeeded and group.done
                # a late subscriber gets the current states and ends at once
                late = [state async for state in group.updates()]
                assert [s.status for s in late] == ["success"]
            assert len(asyncio.all_tasks()) == 1  # the workers are gone after closing

    run(main())
