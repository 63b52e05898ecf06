"""``async with`` support shared by the client's long-lived objects."""

from __future__ import annotations

from types import TracebackType
from typing import Self


class AsyncClosing:
    """An object that is closed with ``await obj.aclose()`` and may be used in ``async with``.

    Entering returns the object itself; subclasses that start work on entry override
    ``__aenter__``. Leaving always closes, whatever the block raised.
    """

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Release what the object holds; safe to call more than once."""
        raise NotImplementedError
