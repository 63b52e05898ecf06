"""Webhook lab benchmark (run with ``./dev bench tests/perf/test_webhook_ui_perf.py``).

A burst of 2,000 webhook deliveries from 8 concurrent senders over loopback reaches the window's
webhook lab (receiver -> queue -> events list, history writes, the runs feed stand-in) while a
5 ms timer on the window's event loop measures how late its ticks fire. None may be lost (count
and compare bodies) and no tick may be more than 50 ms late.

The senders run in their own process at a lower CPU priority, as ComfyDeploy or the sandbox
would run elsewhere: in this process they would compete with the window for the GIL, and at
equal priority on a two-core machine for its CPU, and so measure themselves. Baselines in the
same run: the probe on the idle window (same duration), and the same burst into a bare receiver
with nobody listening (the lab's own cost is the difference in throughput).
"""

from __future__ import annotations

import gc
import json
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import qasync
from PySide6.QtCore import QElapsedTimer, QTimer
from pytestqt.qtbot import QtBot

from composer.core.webhooks import WebhookRecord
from composer.servers.receiver import WebhookReceiver
from composer.ui.main_window import MainWindow
from tests.perf.webhook_burst import RUNS, body
from tests.qt_async import run_async
from tests.ui.conftest import WindowFactory

DELIVERIES: Final = 2_000
SENDERS: Final = 8
PROBE_MS: Final = 5
MAX_STALL_MS: Final = 50.0
ROOT: Final = Path(__file__).resolve().parents[2]
NICE: Final = ["nice", "-n", "10"] if shutil.which("nice") else []


def start_senders(url: str) -> subprocess.Popen[str]:
    """The senders, in their own process (see the module docstring)."""
    # At a lower CPU priority: real senders (ComfyDeploy, a sandbox) are not on the window's
    # cores; here they share two with it, and at equal priority they would take its turns.
    return subprocess.Popen(
        [
            *NICE,
            sys.executable,
            "-m",
            "tests.perf.webhook_burst",
            url,
            str(DELIVERIES),
            str(SENDERS),
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )


class Probe:
    """A Qt timer on the window's thread; each tick notes how late it came."""

    def __init__(self) -> None:
        self.stalls: list[float] = []
        self._clock = QElapsedTimer()
        self._timer = QTimer()
        self._timer.setInterval(PROBE_MS)
        self._timer.timeout.connect(self._tick)
        self._last = 0

    def start(self) -> None:
        self.stalls = []
        self._clock.start()
        self._last = 0
        self._timer.start()

    def _tick(self) -> None:
        now = self._clock.nsecsElapsed()
        if self._last:
            self.stalls.append(max(0.0, (now - self._last) / 1e6 - PROBE_MS))
        self._last = now

    def stop(self) -> list[float]:
        self._timer.stop()
        return self.stalls


@dataclass
class Figures:
    label: str
    seconds: float
    latencies: list[float]
    stalls: list[float]

    def describe(self) -> str:
        latency_p99 = statistics.quantiles(self.latencies, n=100)[98] * 1000
        text = (
            f"\n{self.label}: {DELIVERIES} deliveries from {SENDERS} senders in "
            f"{self.seconds:.2f} s ({DELIVERIES / self.seconds:.0f}/s); latency median "
            f"{statistics.median(self.latencies) * 1000:.1f} ms, p99 {latency_p99:.1f} ms"
        )
        if self.stalls:
            p99 = statistics.quantiles(self.stalls, n=100)[98]
            text += (
                f"\n  window loop: max stall {max(self.stalls):.1f} ms, p99 {p99:.1f} ms "
                f"over {len(self.stalls)} ticks of {PROBE_MS} ms"
            )
        return text


def sender_figures(process: subprocess.Popen[str], label: str, stalls: list[float]) -> Figures:
    out, _ = process.communicate(timeout=120)
    assert process.returncode == 0
    data = json.loads(out)
    return Figures(label, data["seconds"], data["latencies"], stalls)


def test_a_burst_of_2000_reaches_the_lab_without_stalling_the_window(
    make_window: WindowFactory, qtbot: QtBot, qasync_loop: qasync.QEventLoop
) -> None:
    bodies = [body(index, DELIVERIES) for index in range(DELIVERIES)]

    # Baseline 1: the same burst into a bare receiver that nobody listens to.
    with WebhookReceiver() as bare:
        base = sender_figures(start_senders(bare.url), "bare receiver (baseline)", [])
        assert bare.count == DELIVERIES

    window: MainWindow = make_window()
    window.complete_startup()
    host = window.webhooks
    lab = host.show()
    fed: list[WebhookRecord] = []
    lab.add_listener(fed.extend)  # where the runs controller would be fed
    page = host.timeline_page()  # a run timeline open on a busy run, as in the runs panel
    page.show()
    page.show_run("00000000-0000-4000-8000-000000000007")
    lab.receiver.port.setValue(0)
    url = run_async(qtbot, lab.receiver_url())
    assert url is not None
    for _ in range(3):
        qtbot.wait(20)  # let the first frame of the lab settle before measuring
    gc.collect()
    gc.freeze()  # as the app does after start-up (composer.app.main)
    probe = Probe()
    try:
        # Baseline 2: the probe on the idle window, as long as a burst takes.
        probe.start()
        qtbot.wait(int(base.seconds * 1000) + 200)
        idle = list(probe.stop())

        probe.start()
        started = time.perf_counter()
        senders = start_senders(url)
        qtbot.waitUntil(lambda: lab.model.rowCount() >= DELIVERIES, timeout=120_000)
        shown_after = time.perf_counter() - started
        stalls = probe.stop()
        burst = sender_figures(senders, "webhook lab in the window", stalls)
    finally:
        gc.unfreeze()

    assert lab.keeper is not None
    lab.keeper.flush(timeout=60)
    received = [record.body for record in lab.model.records]
    assert len(received) == DELIVERIES and sorted(received) == sorted(bodies)  # none lost
    assert len(fed) == DELIVERIES and lab.keeper.kept == DELIVERIES
    assert page.timeline is not None and len(page.timeline.entries) == DELIVERIES // RUNS
    print(base.describe())
    print(burst.describe())
    print(f"  all {DELIVERIES} listed {shown_after:.2f} s after the first was sent")
    idle_p99 = statistics.quantiles(idle, n=100)[98]
    print(f"idle window (baseline): max stall {max(idle):.1f} ms, p99 {idle_p99:.1f} ms "
          f"over {len(idle)} ticks")  # fmt: skip
    assert max(stalls) < MAX_STALL_MS, f"the window stalled {max(stalls):.1f} ms"
    window.webhooks.shutdown()
