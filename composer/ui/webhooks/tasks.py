"""Fire-and-forget coroutines from Qt slots, kept alive until done and never silently lost."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

logger = logging.getLogger(__name__)

_running: set[asyncio.Task[Any]] = set()


def _something_went_wrong(error: BaseException) -> str:
    return f"Something went wrong: {error}"


def spawn[T](
    coro: Coroutine[Any, Any, T],
    on_error: Callable[[str], None] | None = None,
    *,
    describe: Callable[[BaseException], str] = _something_went_wrong,
) -> asyncio.Task[T] | None:
    """Run ``coro`` on the running asyncio loop (the app's qasync loop).

    Returns the task, or None when no loop runs (``on_error`` is then told). A task that fails
    reports its exception to ``on_error``, in the words of ``describe`` (and to the log),
    instead of vanishing.
    """
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        coro.close()
        if on_error is not None:
            on_error("This needs the app's event loop, which is not running.")
        return None
    task = loop.create_task(coro)
    _running.add(task)

    def finished(done: asyncio.Task[T]) -> None:
        _running.discard(done)
        if done.cancelled():
            return
        error = done.exception()
        if error is not None:
            logger.error("a background task failed", exc_info=error)
            if on_error is not None:
                on_error(describe(error))

    task.add_done_callback(finished)
    return task
