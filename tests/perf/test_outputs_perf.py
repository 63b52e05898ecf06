"""Benchmark: many output thumbnails decode without stalling the window's event loop.

Run with ``./dev bench tests/perf/test_outputs_perf.py``. A timer probe fires every 5 ms on the
qasync loop and records the longest gap between two firings beyond those 5 ms (the worst stall a
person would feel). Each case runs three times (the machine is shared: the best of three is the
figure least disturbed by other processes; the median is printed too). Cases, each beside the
baseline of the same run:

- baseline: the idle loop (the probe alone);
- 200 thumbnails of photo-like 1024 x 1024 PNGs (1.8 MB each: noise does not compress) loaded
  through ``ImageLoader``, decoded and scaled on its worker threads, into 200 tiles;
- the same decoded on the UI thread, for comparison: the stalls threads save;
- 81 real sandbox pictures over loopback HTTP into a 9 x 9 batch grid (the sandbox in its own
  process, its pictures drawn before measuring, so its CPU is not counted as the window's);
- building a 9 x 9 grid page (cells are made a few milliseconds per turn of the loop), and one live
  update of a cell in it (update, layout and paint).

The PNGs of the first cases come from an in-memory source standing in for the client, so those
figures are about decoding, not the network.
"""

from __future__ import annotations

import asyncio
import io
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

import qasync
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from composer.client.api import ApiClient
from composer.client.results import SyncOutputs
from composer.core.batch import expand_runs
from composer.core.runs import RunState, RunUpdate
from composer.ui.outputs.flow import FlowLayout
from composer.ui.outputs.grid_view import BatchGridView
from composer.ui.outputs.images import ImageLoader, decode_image
from composer.ui.outputs.tile import ImageTile, decode_side, tiles_style
from tests.client.helpers import DEPLOYMENT_BODY
from tests.perf.cli_sandbox import TOKEN, sandbox_process
from tests.perf.loop_steps import Probe
from tests.qt_async import run_async

IMAGES = 200
DISTINCT = 20
SIDE = 1024
PROBE_MS = 5
REPEATS = 3
BUDGET_MS = 50.0
GRID_BODY: dict[str, Any] = {
    **DEPLOYMENT_BODY,
    "batch_input_params": {"seed": list(range(9)), "steps": list(range(1, 10))},
}

Figures = dict[str, float]


def _png(seed: int) -> bytes:
    """A 1024 x 1024 photo-like PNG: a gradient with sensor noise."""
    from PIL import Image, ImageChops

    base = Image.linear_gradient("L").resize((SIDE, SIDE)).rotate(seed * 17)
    noise = Image.effect_noise((SIDE, SIDE), 40 + seed)
    channels = [ImageChops.add(base, noise, scale=2.0, offset=seed * 9 % 64) for _ in range(2)]
    picture = Image.merge("RGB", (channels[0], noise, channels[1]))
    out = io.BytesIO()
    picture.save(out, "PNG", compress_level=1)
    return out.getvalue()


class MemorySource:
    """Serves prepared bytes by URL, as ``ApiClient.fetch`` would (no network in the way)."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files

    async def fetch(self, url: str) -> tuple[bytes, str]:
        await asyncio.sleep(0)  # a real fetch yields to the loop at least once
        return self.files[url], "image/png"

    async def get_run(self, run_id: str, *, queue_position: bool = True) -> RunUpdate:
        raise NotImplementedError


def _measure(
    qtbot: QtBot, probe: Probe, work: Callable[[], Awaitable[Any]], prepare: Callable[[], Any]
) -> Figures:
    """Run ``work`` REPEATS times (``prepare`` before each); the best and median max stall."""
    stalls: list[float] = []
    seconds: list[float] = []
    for _ in range(REPEATS):
        prepare()
        probe.start()
        started = time.perf_counter()
        run_async(qtbot, work(), timeout=120_000)
        seconds.append(time.perf_counter() - started)
        probe.stop(count_end=True)  # a stall at the very end counts too
        stalls.append(probe.worst)
    return {
        "best": min(stalls),
        "median": statistics.median(stalls),
        "seconds": statistics.median(seconds),
    }


def _report(name: str, figures: Figures, idle: Figures, count: int = 0) -> None:
    rate = f"  {count / figures['seconds']:4.0f} images/s" if count else ""
    print(
        f"  {name:<46} max stall best {figures['best']:6.1f} ms, median {figures['median']:6.1f}"
        f" ms  (idle {idle['best']:.1f} ms){rate}"
    )


def test_decoding_many_thumbnails_never_stalls_the_loop(
    qapp: QApplication, qtbot: QtBot, qasync_loop: qasync.QEventLoop
) -> None:
    blobs = [_png(n) for n in range(DISTINCT)]
    # Distinct URLs (each decoded on its own) sharing a few files' bytes in memory.
    files = {f"http://bench/{n}.png": blobs[n % DISTINCT] for n in range(IMAGES)}
    size = statistics.mean(len(b) for b in blobs) / 1e6
    print(f"\n{IMAGES} PNGs of {SIDE} x {SIDE} ({size:.1f} MB each); probe every {PROBE_MS} ms")
    probe = Probe(PROBE_MS)

    async def idle() -> None:
        await asyncio.sleep(0.5)

    baseline = _measure(qtbot, probe, idle, lambda: None)

    holder = QWidget()
    holder.setStyleSheet(tiles_style())
    qtbot.addWidget(holder)
    flow = FlowLayout(holder)
    tiles = [ImageTile(160) for _ in range(IMAGES)]
    for tile in tiles:
        flow.addWidget(tile)
    holder.resize(1200, 900)
    holder.show()

    def reset_tiles() -> None:
        for tile in tiles:
            tile.show_loading()

    async def threaded() -> None:
        loader = ImageLoader(MemorySource(files))  # a new, empty cache each time
        loads = [tile.load(url, loader) for tile, url in zip(tiles, files, strict=True)]
        await asyncio.gather(*(task for task in loads if task is not None))
        assert all(tile.state == "image" for tile in tiles)

    off_thread = _measure(qtbot, probe, threaded, reset_tiles)

    async def on_ui_thread() -> None:
        side = decode_side(160, holder.devicePixelRatioF())
        for tile, data in zip(tiles, files.values(), strict=True):
            tile.show_image(decode_image(data, side))
            await asyncio.sleep(0)

    inline = _measure(qtbot, probe, on_ui_thread, reset_tiles)

    with sandbox_process("--speed", "200", "--concurrency", "16") as base_url:
        api = ApiClient(base_url, TOKEN, trust_env=False)
        over_http = _grid_over_http(qtbot, probe, api)
        run_async(qtbot, api.aclose())
    building, build_ms, update = _grid_build_and_update(qapp, qtbot, probe)

    _report("baseline: idle loop", baseline, baseline)
    _report(f"{IMAGES} thumbnails, decoded on worker threads", off_thread, baseline, IMAGES)
    _report(f"{IMAGES} thumbnails, decoded on the UI thread", inline, baseline, IMAGES)
    _report("81 sandbox pictures into a 9 x 9 grid (HTTP)", over_http, baseline, 81)
    _report("building a 9 x 9 grid page (81 cells)", building, baseline)
    print(f"  {'  all 81 cells there after':<46} {build_ms:6.1f} ms (median)")
    print(
        f"  {'one live cell update in it (layout + paint)':<46} median {update[0]:5.2f} ms, "
        f"max {update[1]:5.1f} ms of 243 updates"
    )
    assert off_thread["best"] < BUDGET_MS, off_thread
    assert over_http["best"] < BUDGET_MS, over_http
    assert building["best"] < BUDGET_MS, building
    assert off_thread["median"] < inline["median"] or inline["median"] < BUDGET_MS


def _grid_over_http(qtbot: QtBot, probe: Probe, api: ApiClient) -> Figures:
    states = _sandbox_states(qtbot, api)

    async def warm() -> None:
        # The sandbox draws a picture on its first download: draw them all before measuring.
        await asyncio.gather(*(api.fetch(item.url) for state in states for item in state.media))

    run_async(qtbot, warm(), timeout=120_000)
    grid = BatchGridView(api)
    qtbot.addWidget(grid)
    grid.resize(1400, 1000)
    grid.show()

    def prepare() -> None:
        grid.set_source(None)  # a new loader (an empty cache) for each round
        grid.set_source(api)
        grid.show_batch(GRID_BODY)
        grid.finish_building()  # the page is built before the probe starts
        QApplication.processEvents()

    async def fill() -> None:
        for state in states:
            grid.update_run(state)  # as the tracker hands them over
        tasks = [cell._task for cell in grid.cells.values() if cell._task is not None]
        await asyncio.gather(*tasks)
        assert all(cell.state == "image" for cell in grid.cells.values())

    return _measure(qtbot, probe, fill, prepare)


def _sandbox_states(qtbot: QtBot, api: ApiClient) -> list[RunState]:
    """81 finished runs of a 9 x 9 batch as the tracker would hand them to the grid (made with
    sync requests, one per combination, so no polling is measured)."""

    async def make() -> list[RunState]:
        gate = asyncio.Semaphore(8)

        async def one(index: int, inputs: dict[str, Any]) -> RunState:
            body = {"deployment_id": GRID_BODY["deployment_id"], "inputs": inputs}
            async with gate:
                result = await api.submit({**body, "execution_mode": "sync"})
            assert isinstance(result, SyncOutputs) and result.run_id
            outputs = tuple(result.outputs)
            return RunState(result.run_id, status="success", outputs=outputs, batch_index=index)

        runs = expand_runs(GRID_BODY)
        return list(await asyncio.gather(*(one(i, inputs) for i, inputs in enumerate(runs))))

    return run_async(qtbot, make(), timeout=120_000)


def _grid_build_and_update(
    qapp: QApplication, qtbot: QtBot, probe: Probe
) -> tuple[Figures, float, tuple[float, float]]:
    """Building a 9 x 9 page (max stall while the cells are made, and the time until all are
    there), then the median and max of one live cell update (update, layout, paint)."""
    grid = BatchGridView(None)
    qtbot.addWidget(grid)
    grid.resize(1500, 1100)
    grid.show()
    totals: list[float] = []

    async def build() -> None:
        built = asyncio.get_running_loop().create_future()
        grid.page_built.connect(lambda: built.done() or built.set_result(None))
        started = time.perf_counter()
        grid.show_batch(GRID_BODY)
        await built
        totals.append((time.perf_counter() - started) * 1000)
        grid.page_built.disconnect()

    building = _measure(qtbot, probe, build, lambda: None)
    updates = []
    for step in range(3):
        for index in range(81):
            state = RunState(
                f"run-{index}", status="running", progress=(step + 1) / 4,
                live_status=f"Executing node {step}", batch_index=index,
            )  # fmt: skip
            started = time.perf_counter()
            grid.update_run(state)
            qapp.processEvents()
            updates.append((time.perf_counter() - started) * 1000)
    return building, statistics.median(totals), (statistics.median(updates), max(updates))
