"""Output images: bytes asked of the client, decoded and scaled off the UI thread, kept in memory.

::

    loader = ImageLoader(api)                    # anything with ``async fetch(url)``
    image = await loader.load(url, max_side=240) # a QImage; ImageLoadError says why not

The UI never speaks HTTP: the bytes come from :meth:`composer.client.api.ApiClient.fetch`.
Decoding (``QImageReader``, scaled while reading, which for JPEG decodes at a fraction of the size)
runs on a small pool of worker threads, so a batch of hundreds of images never stalls the window;
only the finished ``QImage`` (thread-safe, unlike ``QPixmap``) comes back to the UI thread.

Two memory bounds: decoded images by their size in bytes (:class:`ImageCache`) and fetched bytes
(so the large view does not download again). Presigned URLs differ on every fetch of a run but
name the same file, so both caches key by the URL without its query string.
"""

from __future__ import annotations

import asyncio
import os
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Final, Protocol
from urllib.parse import urlsplit

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QSize, Qt
from PySide6.QtGui import QImage, QImageReader

from composer.client.errors import ApiError
from composer.client.files import fetch_problem
from composer.core.runs import RunUpdate

DEFAULT_IMAGE_BUDGET: Final = 128 * 1024 * 1024  # bytes of decoded images kept
DEFAULT_BYTES_BUDGET: Final = 48 * 1024 * 1024  # bytes of fetched files kept
FULL_SIDE: Final = 4096  # the large view decodes at most this many pixels a side
# One core stays free for the UI thread (a 2-core machine decodes on one worker thread).
_DECODE_THREADS: Final = max(1, min(4, (os.cpu_count() or 2) - 1))


class OutputSource(Protocol):
    """What the outputs views need of the client (``ApiClient`` has both)."""

    async def fetch(self, url: str) -> tuple[bytes, str]:
        """The bytes and content type of an output URL."""
        ...

    async def get_run(self, run_id: str, *, queue_position: bool = True) -> RunUpdate:
        """The run again, with fresh output URLs (presigned links expire)."""
        ...


class ImageLoadError(Exception):
    """An image that cannot be shown; ``str()`` says why for people. ``refreshable`` is True when
    fetching the run again (fresh presigned links) may help."""

    def __init__(self, reason: str, *, refreshable: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.refreshable = refreshable


def url_identity(url: str) -> str:
    """The file a URL names, without the query (a presigned link's signature and expiry)."""
    parts = urlsplit(url)
    if parts.scheme in ("http", "https"):
        return f"{parts.netloc}{parts.path}"
    return url


def decode_image(data: bytes, max_side: int | None) -> QImage:
    """Decode ``data`` scaled to fit ``max_side`` (None: full size); safe on any thread.

    Raises :class:`ImageLoadError` for bytes that are not an image Qt can read.
    """
    array = QByteArray(data)
    buffer = QBuffer(array)
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    reader = QImageReader(buffer)
    reader.setAutoTransform(True)  # camera photos carry their rotation in EXIF
    size = reader.size()
    if max_side and size.isValid() and max(size.width(), size.height()) > max_side:
        reader.setScaledSize(
            size.scaled(QSize(max_side, max_side), Qt.AspectRatioMode.KeepAspectRatio)
        )
    image = reader.read()
    buffer.close()
    if image.isNull():
        raise ImageLoadError(f"not an image composer can show ({reader.errorString()})")
    if image.format() not in (
        QImage.Format.Format_ARGB32_Premultiplied,
        QImage.Format.Format_RGB32,
    ):
        # The formats the raster engine paints fastest; converting here keeps it off the UI thread.
        image = image.convertToFormat(
            QImage.Format.Format_ARGB32_Premultiplied
            if image.hasAlphaChannel()
            else QImage.Format.Format_RGB32
        )
    return image


class _Lru[V]:
    """A least-recently-used map bounded by the total cost of its values."""

    def __init__(self, budget: int, cost: Callable[[V], int]) -> None:
        self.budget = budget
        self.total = 0
        self._cost = cost
        self._items: OrderedDict[tuple[str, int], V] = OrderedDict()

    def get(self, key: tuple[str, int]) -> V | None:
        value = self._items.get(key)
        if value is not None:
            self._items.move_to_end(key)
        return value

    def put(self, key: tuple[str, int], value: V) -> None:
        cost = self._cost(value)
        if cost > self.budget:
            return  # larger than the whole budget: not kept
        old = self._items.pop(key, None)
        if old is not None:
            self.total -= self._cost(old)
        self._items[key] = value
        self.total += cost
        while self.total > self.budget:
            _key, evicted = self._items.popitem(last=False)
            self.total -= self._cost(evicted)

    def __len__(self) -> int:
        return len(self._items)


class ImageCache:
    """Decoded images by (file, size), at most ``budget`` bytes in all."""

    def __init__(self, budget: int = DEFAULT_IMAGE_BUDGET) -> None:
        self._lru: _Lru[QImage] = _Lru(budget, lambda image: int(image.sizeInBytes()))

    def get(self, url: str, max_side: int) -> QImage | None:
        """The cached image, if any (and mark it recently used)."""
        return self._lru.get((url_identity(url), max_side))

    def put(self, url: str, max_side: int, image: QImage) -> None:
        """Keep ``image``; the least recently used ones go when over budget."""
        self._lru.put((url_identity(url), max_side), image)

    @property
    def total_bytes(self) -> int:
        """Bytes of decoded images held now."""
        return self._lru.total

    def __len__(self) -> int:
        return len(self._lru)


_executor: ThreadPoolExecutor | None = None


def _decoder() -> ThreadPoolExecutor:
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(_DECODE_THREADS, thread_name_prefix="composer-decode")
    return _executor


class ImageLoader:
    """Loads output images for the views: fetch through ``source``, decode off the UI thread.

    One load per (file, size) at a time: views asking for the same image share it. At most
    ``max_fetches`` downloads run at once, so a large batch fills in steadily.
    """

    def __init__(
        self,
        source: OutputSource,
        *,
        cache: ImageCache | None = None,
        bytes_budget: int = DEFAULT_BYTES_BUDGET,
        max_fetches: int = 6,
    ) -> None:
        self.source = source
        self.cache = cache or ImageCache()
        self.decoded = 0  # images decoded so far (for figures and tests)
        self._bytes: _Lru[bytes] = _Lru(bytes_budget, len)
        self._loading: dict[tuple[str, int], asyncio.Task[QImage]] = {}
        self._max_fetches = max(1, max_fetches)
        self._gate: asyncio.Semaphore | None = None

    def cached(self, url: str, max_side: int) -> QImage | None:
        """The image if it is already decoded at that size."""
        return self.cache.get(url, max_side)

    async def load(self, url: str, max_side: int = FULL_SIDE) -> QImage:
        """The image at ``url`` scaled to fit ``max_side``; raises :class:`ImageLoadError`."""
        image = self.cache.get(url, max_side)
        if image is not None:
            return image
        key = (url_identity(url), max_side)
        task = self._loading.get(key)
        if task is None:
            task = asyncio.ensure_future(self._load(url, max_side))
            self._loading[key] = task
            task.add_done_callback(lambda done: self._finished(key, done))
        # shield: one view giving up (closed, scrolled away) does not cancel the others' load.
        return await asyncio.shield(task)

    def _finished(self, key: tuple[str, int], task: asyncio.Task[QImage]) -> None:
        self._loading.pop(key, None)
        if not task.cancelled():
            task.exception()  # retrieved here: every view that asked may have gone meanwhile

    async def _load(self, url: str, max_side: int) -> QImage:
        data = await self._fetch(url)
        loop = asyncio.get_running_loop()
        image = await loop.run_in_executor(_decoder(), decode_image, data, max_side)
        self.decoded += 1
        self.cache.put(url, max_side, image)
        return image

    async def _fetch(self, url: str) -> bytes:
        key = (url_identity(url), 0)
        data = self._bytes.get(key)
        if data:
            return data
        if not url.startswith(("http://", "https://")):
            raise ImageLoadError(f"not a web address: {url[:80]}")
        if self._gate is None:
            self._gate = asyncio.Semaphore(self._max_fetches)
        try:
            async with self._gate:
                data, _type = await self.source.fetch(url)
        except ApiError as exc:
            status = getattr(exc, "status_code", None)
            raise ImageLoadError(
                fetch_problem(exc), refreshable=status in (401, 403, 404)
            ) from None
        if not data:
            raise ImageLoadError("the file is empty")
        self._bytes.put(key, data)
        return data
