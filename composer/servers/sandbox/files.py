"""Files the sandbox serves without auth under ``/api/files/``, like the real service's public
or presigned output URLs: run outputs, uploaded input images and catalogue previews.

Outputs are registered with a function that draws them and are drawn on first download, on a
worker thread, so a thousand fast runs cost no drawing time unless somebody looks at them.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(slots=True)
class StoredFile:
    """A file's media type and either its bytes or the function that makes them."""

    media_type: str
    content: bytes | None = None
    render: Callable[[], bytes] | None = None


class FileStore:
    """Files by path (``<run id>/output_image_00001_.png``), kept in memory."""

    def __init__(self) -> None:
        self._files: dict[str, StoredFile] = {}
        self._lock = threading.Lock()

    def put(self, path: str, media_type: str, content: bytes) -> None:
        """Store ready bytes at ``path``."""
        with self._lock:
            self._files[path] = StoredFile(media_type, content=content)

    def put_lazy(self, path: str, media_type: str, render: Callable[[], bytes]) -> None:
        """Store a file that is drawn when first read."""
        with self._lock:
            self._files[path] = StoredFile(media_type, render=render)

    def __contains__(self, path: str) -> bool:
        return path in self._files

    async def read(self, path: str) -> tuple[bytes, str] | None:
        """The file's bytes and media type, drawing it off the loop if needed; None if unknown."""
        stored = self._files.get(path)
        if stored is None:
            return None
        if stored.content is None and stored.render is not None:
            stored.content = await asyncio.to_thread(stored.render)
            stored.render = None
        return stored.content or b"", stored.media_type

    def clear(self, keep: Callable[[str], bool] = lambda _path: False) -> None:
        """Forget every file except those ``keep`` selects."""
        with self._lock:
            self._files = {path: item for path, item in self._files.items() if keep(path)}
