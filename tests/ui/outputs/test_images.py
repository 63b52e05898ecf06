"""Thumbnails: real PNG bytes from the sandbox, decoded off the UI thread, cached, and clear
placeholders for links that do not work."""

from __future__ import annotations

import socket
import threading

import pytest
from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot

from composer.client.api import ApiClient
from composer.servers.sandbox import Sandbox
from composer.ui.outputs import images
from composer.ui.outputs.images import (
    ImageCache,
    ImageLoader,
    ImageLoadError,
    decode_image,
    url_identity,
)
from composer.ui.outputs.tile import ImageTile, decode_side
from tests.qt_async import run_async
from tests.ui.outputs.conftest import finished_run


def test_a_finished_runs_image_loads_scaled_and_off_the_ui_thread(
    qtbot: QtBot, api: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = finished_run(qtbot, api)
    [item] = [m for m in state.media if m.kind == "images"]
    threads: list[str] = []
    real_decode = images.decode_image

    def spy(data: bytes, side: int | None) -> QImage:
        threads.append(threading.current_thread().name)
        return real_decode(data, side)

    monkeypatch.setattr(images, "decode_image", spy)
    loader = ImageLoader(api)
    image = run_async(qtbot, loader.load(item.url, 128))
    assert (image.width(), image.height()) == (128, 128)  # the sandbox draws 512 x 512
    assert threads and all(name.startswith("composer-decode") for name in threads)
    # The same file again (even under a fresh presigned query) comes from the cache.
    again = run_async(qtbot, loader.load(item.url + "?X-Amz-Signature=new", 128))
    assert again.cacheKey() == image.cacheKey()
    assert loader.decoded == 1
    # A larger size decodes again from the fetched bytes, without a second download.
    sent = api.requests_sent
    run_async(qtbot, loader.load(item.url, 512))
    assert api.requests_sent == sent
    assert loader.decoded == 2


def test_tile_shows_the_image(qtbot: QtBot, api: ApiClient) -> None:
    state = finished_run(qtbot, api, "A lighthouse", 3)
    tile = ImageTile(160, "lighthouse.png")
    qtbot.addWidget(tile)
    task = tile.load(state.media[0].url, ImageLoader(api))
    assert task is not None and tile.state == "loading"
    qtbot.waitUntil(task.done, timeout=5000)
    assert tile.state == "image"
    pixmap = tile.picture.pixmap()
    assert not pixmap.isNull() and max(pixmap.width(), pixmap.height()) <= decode_side(160, 2.0)


def test_a_broken_link_shows_the_reason_and_retry(
    qtbot: QtBot, api: ApiClient, sandbox: Sandbox
) -> None:
    tile = ImageTile(160, "gone.png")
    qtbot.addWidget(tile)
    task = tile.load(sandbox.base_url + "/files/no-such-run/output.png", ImageLoader(api))
    assert task is not None
    qtbot.waitUntil(task.done, timeout=5000)
    assert tile.state == "error"
    assert tile.reason is not None and "404" in tile.reason
    assert tile.refreshable  # a presigned link may have expired: refreshing the run may help
    assert tile.retry.isVisibleTo(tile)
    with qtbot.waitSignal(tile.retry_requested, timeout=1000):
        tile.retry.click()


def test_bytes_that_are_not_an_image_say_so() -> None:
    with pytest.raises(ImageLoadError, match="not an image"):
        decode_image(b"<html>expired</html>", 100)


def test_unreachable_host_is_a_clear_placeholder(qtbot: QtBot, api: ApiClient) -> None:
    tile = ImageTile(120)
    qtbot.addWidget(tile)
    task = tile.load(f"http://127.0.0.1:{closed_port()}/files/x.png", ImageLoader(api))
    assert task is not None
    qtbot.waitUntil(task.done, timeout=10_000)
    assert tile.state == "error"
    assert tile.reason is not None and "Cannot reach" in tile.reason
    assert not tile.refreshable


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released): connecting is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_cache_is_bounded_by_bytes() -> None:
    cache = ImageCache(budget=3 * 100 * 100 * 4)
    for n in range(5):
        image = QImage(100, 100, QImage.Format.Format_ARGB32_Premultiplied)
        cache.put(f"http://h/{n}.png", 100, image)
    assert len(cache) == 3
    assert cache.total_bytes <= 3 * 100 * 100 * 4
    assert cache.get("http://h/0.png", 100) is None
    assert cache.get("http://h/4.png?sig=2", 100) is not None
    assert url_identity("https://b.s3/x/y.png?X-Amz-Expires=60") == "b.s3/x/y.png"
