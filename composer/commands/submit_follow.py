"""Following the runs of ``composer submit``: updates to the view, downloads, Ctrl+C, exit code."""

from __future__ import annotations

import asyncio
import contextlib
import mimetypes
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from composer.client import errors
from composer.client.api import ApiClient
from composer.client.files import save_outputs
from composer.client.group import TrackerGroup
from composer.client.results import FirstResult
from composer.commands.submit_view import SubmitView, TerminalView, fields_of_error
from composer.core.atomic import write_atomic
from composer.core.output_files import files_of_run, plan_paths, safe_name
from composer.core.runs import RunState, UpdateSource

# The exit codes of ``composer submit`` (see :mod:`composer.commands.submit`).
EXIT_OK: Final = 0
EXIT_RUN_FAILED: Final = 1
EXIT_BAD_INPUT: Final = 2
EXIT_API_ERROR: Final = 3
EXIT_INTERRUPTED: Final = 130
_REDRAW_SECONDS: Final = 0.1
# Keys of worker parameters that are credentials; shown masked.
_SECRET_KEYS: Final = frozenset({"cd_token", "token", "api_key", "authorization"})


class Follower:
    """Shows every state change, saves outputs as runs succeed, and computes the exit code."""

    def __init__(
        self,
        group: TrackerGroup,
        view: SubmitView,
        api: ApiClient,
        download: Path | None,
    ) -> None:
        self.group = group
        self.view = view
        self.api = api
        self.download = download
        self._ended: asyncio.Queue[RunState] = asyncio.Queue()
        self._seen_end: set[str] = set()
        self._download_failed = False
        group.add_listener(self.seen)

    def seen(self, state: RunState) -> None:
        """Show a state change (the group calls it; call it for states from before)."""
        self.view.state(state)
        if (state.is_terminal or state.lost) and state.run_id not in self._seen_end:
            self._seen_end.add(state.run_id)
            self._ended.put_nowait(state)

    async def follow(self) -> int:
        """Follow until every run ended; on cancellation (Ctrl+C) cancel the runs first."""
        finisher = asyncio.create_task(self._finish_ended())
        ticker = (
            asyncio.create_task(self._redraw()) if isinstance(self.view, TerminalView) else None
        )
        try:
            states = await self.group.wait()
            await self._ended.join()
        except asyncio.CancelledError:
            await self._cancel_runs()
            raise
        finally:
            for task in (finisher, ticker):
                if task is not None:
                    task.cancel()
            if isinstance(self.view, TerminalView):
                self.view.draw()
        return self.exit_code(list(states.values()))

    def exit_code(self, states: list[RunState]) -> int:
        """3 when following or saving failed, 1 when a run did not succeed, else 0."""
        failed_batches = [b for b in self.group.batches.values() if b.error]
        for batch in failed_batches:
            self.view.error(batch.error or "", kind="BatchDiscoveryError", batch_id=batch.batch_id)
        for problem in self.group.problems:
            self.view.error(problem, kind="TrackingError")
        problems = failed_batches or self.group.problems
        if self._download_failed or problems or any(s.lost for s in states):
            return EXIT_API_ERROR
        if any(not s.succeeded for s in states):
            return EXIT_RUN_FAILED
        return EXIT_OK

    async def _finish_ended(self) -> None:
        while True:
            state = await self._ended.get()
            try:
                latest = await self._refresh(state)
                files = await self._save_outputs(latest) if latest.succeeded else []
                self.view.finished(latest, files)
            finally:
                self._ended.task_done()

    async def _refresh(self, state: RunState) -> RunState:
        """The run object once more when the end came from a stream or a webhook (they carry no
        timings and maybe not every output), or before downloading (presigned URLs expire)."""
        needed = state.source is not UpdateSource.POLL or (self.download and state.succeeded)
        if state.lost or not needed:
            return self.group.state(state.run_id) or state
        # On failure what is known already is shown: the run itself has ended.
        with contextlib.suppress(errors.ApiError):
            self.group.feed(await self.api.get_run(state.run_id))
        return self.group.state(state.run_id) or state

    async def _redraw(self) -> None:
        assert isinstance(self.view, TerminalView)
        while True:
            self.view.draw()
            await asyncio.sleep(_REDRAW_SECONDS)

    async def _cancel_runs(self) -> None:
        """Ask the API to cancel every run that has not ended (Ctrl+C)."""
        results = await self.group.cancel_all()
        for result in results:
            if isinstance(result, errors.ApiError):
                self.view.error(f"cancel failed: {result}", **fields_of_error(result))
            else:
                self.view.note(f"cancelled run {result.run_id}: {result.message or result.status}")
        missing = sum(len(b.run_ids) - b.found for b in self.group.batches.values())
        if missing:
            self.view.note(f"{missing} runs of the batch were not known yet and were not cancelled")

    async def _save_outputs(self, state: RunState) -> list[str]:
        """Save the run's files and texts in the download folder, never over an existing file."""
        if self.download is None:
            return []
        files = files_of_run(state, f"{state.run_id[:8]}-")
        if not files:
            return []
        paths = plan_paths(self.download, [file.name for file in files])
        saved: list[str] = []
        for result in await save_outputs(self.api, files, paths):
            if result.ok:
                saved.append(str(result.path))
                continue
            self._download_failed = True
            what = result.file.url or result.file.name
            self.view.error(f"could not save {what} to {result.path}: {result.error}")
        return saved


def mask_secrets(params: Mapping[str, Any]) -> dict[str, Any]:
    """Worker parameters with credentials masked (they are shown, never their secret values)."""
    return {
        key: ("***" if key.lower() in _SECRET_KEYS and value else value)
        for key, value in params.items()
    }


async def save_first_result(result: FirstResult, download: Path | None, view: SubmitView) -> int:
    """Save the bytes of a ``sync_first_result`` answer, or say how to."""
    if download is None:
        view.note(
            f"the first result is {len(result.content)} bytes of {result.content_type}: "
            f"use --download DIR to save it"
        )
        return EXIT_OK
    extension = mimetypes.guess_extension(result.content_type.split(";")[0].strip()) or ".bin"
    name = safe_name(result.filename or f"first-result{extension}")
    path = download / name
    try:
        write_atomic(path, result.content)
    except OSError as exc:
        view.error(f"could not save the first result to {path}: {exc.strerror or exc}")
        return EXIT_API_ERROR
    view.note(f"saved {path}")
    return EXIT_OK
