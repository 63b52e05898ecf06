"""How ``composer submit`` shows runs: JSON lines for scripts, live progress bars on a terminal.

Both views receive the same calls (:class:`SubmitView`): ``submitted`` once, ``state`` for every
changed run state, ``error`` for a failure, ``note`` for remarks, ``close`` at the end. Rendering
is split from writing so tests can check the lines without a terminal.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol, TextIO

from composer.core.runs import RunState, progress_percent, summarize

BAR_WIDTH = 20


class SubmitView(Protocol):
    """What the submit command tells its view."""

    def submitted(self, **fields: Any) -> None:
        """The POST was answered (run id, batch id, endpoint...)."""

    def state(self, state: RunState) -> None:
        """A run's state changed."""

    def finished(self, state: RunState, files: list[str]) -> None:
        """A run ended; ``files`` are the paths its outputs were saved to."""

    def error(self, message: str, **fields: Any) -> None:
        """Something failed; ``message`` is one line for people."""

    def note(self, message: str) -> None:
        """A remark (stderr on a terminal, a JSON event otherwise)."""

    def close(self) -> None:
        """No more events."""


def output_items(state: RunState) -> list[dict[str, Any]]:
    """A run's outputs as plain JSON: one entry per file or text."""
    items: list[dict[str, Any]] = []
    for output in state.outputs:
        for media in output.media:
            items.append(
                {"kind": media.kind, "url": media.url, "filename": media.filename,
                 "node_id": output.node_id}
            )  # fmt: skip
        for text in output.texts:
            items.append({"kind": "text", "text": text, "node_id": output.node_id})
    return items


def state_fields(state: RunState) -> dict[str, Any]:
    """The JSON fields of a run state (shared by ``update`` and ``finished`` events)."""
    fields: dict[str, Any] = {
        "run_id": state.run_id,
        "status": state.status,
        "progress": state.progress,
        "live_status": state.live_status,
        "queue_position": state.queue_position,
    }
    if state.batch_id is not None:
        fields["batch_id"] = state.batch_id
        fields["batch_index"] = state.batch_index
        fields["inputs"] = dict(state.inputs) if state.inputs is not None else None
    if state.source is not None:
        fields["source"] = state.source.value
    if state.error is not None:
        fields["error"] = state.error
        fields["lost"] = state.lost
    return fields


class JsonLinesView:
    """One JSON object per line on ``out``, flushed at once (for scripts and pipes); errors are
    also written as one line to ``err`` for the person reading the terminal."""

    def __init__(self, out: TextIO, err: TextIO | None = None) -> None:
        self._out = out
        self._err = err
        self._finished: set[str] = set()

    def emit(self, event: str, **fields: Any) -> None:
        """Write one event line."""
        line = json.dumps({"event": event, **fields}, ensure_ascii=False, default=str)
        self._out.write(line + "\n")
        self._out.flush()

    def submitted(self, **fields: Any) -> None:
        self.emit("submitted", **fields)

    def state(self, state: RunState) -> None:
        if state.run_id not in self._finished:
            self.emit("update", **state_fields(state))

    def finished(self, state: RunState, files: list[str]) -> None:
        if state.run_id in self._finished:
            return
        self._finished.add(state.run_id)
        timings = state.timings
        self.emit(
            "finished",
            **state_fields(state),
            outputs=output_items(state),
            files=files,
            created_at=timings.created_at.isoformat() if timings.created_at else None,
            ended_at=timings.ended_at.isoformat() if timings.ended_at else None,
            run_duration=timings.run_duration,
        )

    def error(self, message: str, **fields: Any) -> None:
        self.emit("error", message=message, **fields)
        if self._err is not None:
            self._err.write(f"composer: error: {message}\n")
            self._err.flush()

    def note(self, message: str) -> None:
        self.emit("note", message=message)

    def close(self) -> None:
        self._out.flush()


def format_elapsed(seconds: float) -> str:
    """``75.2`` -> ``01:15``; an hour or more -> ``1:02:03``."""
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def progress_bar(
    progress: float | None, done: bool, width: int = BAR_WIDTH, ascii_only: bool = False
) -> str:
    """``[██████░░░░]``: the filled share of ``width`` cells (full once the run succeeded)."""
    fill, empty = ("#", "-") if ascii_only else ("█", "░")
    share = 1.0 if done else (progress or 0.0)
    filled = round(share * width)
    return "[" + fill * filled + empty * (width - filled) + "]"


def run_line(state: RunState, elapsed: float, width: int, ascii_only: bool = False) -> str:
    """One terminal line for a run: label, bar, percent, status, elapsed time, live status."""
    label = state.run_id[:8]
    if state.batch_index is not None:
        label = f"#{state.batch_index + 1:<3} {label}"
    percent = progress_percent(1.0 if state.succeeded else state.progress)
    status = state.status
    if state.queue_position is not None:
        status = f"{status} ({state.queue_position} ahead)"
    if state.error:
        detail = state.error
    elif state.is_terminal:
        files = len(state.media)
        detail = f"{files} file{'s' if files != 1 else ''}" if state.succeeded else ""
    else:
        detail = state.live_status or ""
    bar = progress_bar(state.progress, state.succeeded, ascii_only=ascii_only)
    pct = f"{percent:>3}%" if percent is not None else "   -"
    line = f"{label}  {bar} {pct}  {status:<13} {format_elapsed(elapsed):>7}  {detail}"
    return line[:width].rstrip()


def summary_line(states: list[RunState]) -> str:
    """``9 runs: 3 running, 6 success``."""
    counts = summarize(states)
    parts = ", ".join(f"{count} {status}" for status, count in sorted(counts.items()))
    noun = "run" if len(states) == 1 else "runs"
    return f"{len(states)} {noun}: {parts}" if states else "waiting for runs"


class TerminalView:
    """Live progress bars redrawn in place (ANSI), at most ``max_lines`` runs plus a summary."""

    def __init__(
        self,
        out: TextIO,
        err: TextIO,
        *,
        width: int = 100,
        max_lines: int = 20,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._out = out
        self._err = err
        self._width = max(40, width)
        self._max_lines = max(3, max_lines)
        self._clock = clock
        self._states: dict[str, RunState] = {}
        self._started: dict[str, float] = {}
        self._ended: dict[str, float] = {}
        self._drawn = 0
        self._last_block: list[str] = []
        self._finished_lines: list[str] = []
        encoding = (getattr(out, "encoding", None) or "").lower()
        self._ascii = "utf" not in encoding

    def submitted(self, **fields: Any) -> None:
        what = fields.get("run_id") or fields.get("batch_id") or ""
        kind = "batch" if fields.get("batch_id") else "run"
        count = fields.get("runs")
        extra = f" ({count} runs)" if count and count != 1 else ""
        self._print_above(
            f"Submitted {kind} {what}{extra} to {fields.get('endpoint', '')}".rstrip()
        )

    def state(self, state: RunState) -> None:
        now = self._clock()
        self._started.setdefault(state.run_id, now)
        if state.is_terminal or state.lost:
            self._ended.setdefault(state.run_id, now)
        self._states[state.run_id] = state

    def finished(self, state: RunState, files: list[str]) -> None:
        self.state(state)
        for path in files:
            self._finished_lines.append(f"  saved {path}")

    def error(self, message: str, **fields: Any) -> None:
        self._print_above(f"composer: error: {message}", stream=self._err)

    def note(self, message: str) -> None:
        self._print_above(f"composer: {message}", stream=self._err)

    def lines(self) -> list[str]:
        """The block to show now: active runs first, then ended ones, then a summary."""
        now = self._clock()
        states = list(self._states.values())
        ordered = sorted(states, key=lambda s: (s.is_terminal, s.batch_index or 0))
        shown = ordered[: self._max_lines] if len(ordered) > self._max_lines else ordered
        block = []
        for state in shown:
            timings = state.timings
            if timings.created_at and timings.ended_at:  # the server's own clock, once known
                elapsed = (timings.ended_at - timings.created_at).total_seconds()
            else:
                start = self._started.get(state.run_id, now)
                elapsed = self._ended.get(state.run_id, now) - start
            block.append(run_line(state, elapsed, self._width, self._ascii))
        if len(states) > 1 or len(shown) < len(states):
            block.append(summary_line(states)[: self._width])
        return block

    def draw(self, force: bool = False) -> None:
        """Replace the previous block with the current one (when it changed)."""
        block = self.lines()
        if block == self._last_block and self._drawn and not force:
            return
        self._last_block = block
        self._erase()
        for line in block:
            self._out.write(line + "\n")
        self._drawn = len(block)
        self._out.flush()

    def _erase(self) -> None:
        if self._drawn:
            # Up to the first line of the block, then clear to the end of the screen.
            self._out.write(f"\x1b[{self._drawn}F\x1b[J")
            self._drawn = 0

    def _print_above(self, text: str, stream: TextIO | None = None) -> None:
        self._erase()
        self._out.flush()
        target = stream or self._out
        target.write(text + "\n")
        target.flush()
        if self._states:
            self.draw(force=True)

    def close(self) -> None:
        self.draw()
        for line in self._finished_lines:
            self._out.write(line + "\n")
        self._out.flush()


def fields_of_error(exc: Exception) -> Mapping[str, Any]:
    """Extra JSON fields for an error event: the class and, for a 422, each field error."""
    fields: dict[str, Any] = {"kind": type(exc).__name__}
    status = getattr(exc, "status_code", None)
    if status is not None:
        fields["status_code"] = status
    field_errors = getattr(exc, "errors", None)
    if isinstance(field_errors, list):
        fields["errors"] = [
            {"loc": list(e.loc), "path": e.path, "message": e.message} for e in field_errors
        ]
    return fields
