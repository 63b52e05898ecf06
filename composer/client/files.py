"""Saving run outputs to a folder: fetch each file through the client, write it atomically.

::

    files = files_of_run(state)                             # composer.core.output_files
    paths = plan_paths(folder, [f.name for f in files])
    results = await save_outputs(api, files, paths, on_progress=print)

A few files are fetched at a time; each is written off the event loop (``asyncio.to_thread``), so
a large video never stalls the window. One file's failure (an expired link, a full disk) is
reported with its result and the others are still saved.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from composer.client.errors import ApiError
from composer.core.atomic import write_atomic, write_text_atomic
from composer.core.output_files import OutputFile


class Fetcher(Protocol):
    """What saving needs of the client: the bytes of an output URL (``ApiClient.fetch``)."""

    async def fetch(self, url: str) -> tuple[bytes, str]:
        """The bytes and content type at ``url``."""
        ...


@dataclass(frozen=True, slots=True)
class SavedFile:
    """The outcome for one file: written to ``path``, or ``error`` saying why not."""

    file: OutputFile
    path: Path
    error: str | None = None

    @property
    def ok(self) -> bool:
        """True when the file was written."""
        return self.error is None


Progress = Callable[[int, int, SavedFile], None]


async def save_outputs(
    fetcher: Fetcher,
    files: Sequence[OutputFile],
    paths: Sequence[Path],
    *,
    concurrency: int = 4,
    on_progress: Progress | None = None,
) -> list[SavedFile]:
    """Save each of ``files`` to the path at the same position; results in the same order.

    ``on_progress(done, total, result)`` is called on the loop after each file.
    """
    if len(files) != len(paths):
        raise ValueError("one path per file")
    gate = asyncio.Semaphore(max(1, concurrency))
    done = 0

    async def one(file: OutputFile, path: Path) -> SavedFile:
        nonlocal done
        async with gate:
            result = await _save_one(fetcher, file, path)
        done += 1
        if on_progress is not None:
            on_progress(done, len(files), result)
        return result

    return list(await asyncio.gather(*(one(f, p) for f, p in zip(files, paths, strict=True))))


async def _save_one(fetcher: Fetcher, file: OutputFile, path: Path) -> SavedFile:
    try:
        if file.text is not None:
            await asyncio.to_thread(write_text_atomic, path, file.text)
        elif file.url:
            content, _type = await fetcher.fetch(file.url)
            await asyncio.to_thread(write_atomic, path, content)
        else:
            return SavedFile(file, path, "nothing to save: the output has no URL")
    except ApiError as exc:
        return SavedFile(file, path, fetch_problem(exc))
    except OSError as exc:
        reason = exc.strerror or str(exc)
        return SavedFile(file, path, f"cannot write {path}: {reason}")
    return SavedFile(file, path)


def fetch_problem(exc: ApiError) -> str:
    """Why an output URL could not be fetched, for people: a refused or missing file usually
    means a presigned link expired, which refreshing the run fixes."""
    status = getattr(exc, "status_code", None)
    if status in (401, 403):
        return (
            f"the link was refused ({status}): it may have expired; refresh the run for a new one"
        )
    if status == 404:
        return "the file is gone (404): its link may have expired; refresh the run for new links"
    return str(exc)
