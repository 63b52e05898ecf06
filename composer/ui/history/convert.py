"""History records as the run states the outputs views show (pure Python, no Qt).

The history keeps runs as :class:`~composer.core.history.RunRecord` rows with flat output items;
the gallery and the batch grid show :class:`~composer.core.runs.RunState` values. One output per
node keeps the gallery's grouping (texts under their node).
"""

from __future__ import annotations

from composer.core.history import OutputItem, RunRecord, SubmissionDetail
from composer.core.runs import MediaItem, RunOutput, RunState, RunStatus, RunTimings


def run_state(record: RunRecord, batch_id: str | None = None, position: int = 0) -> RunState:
    """The state of one recorded run (a run whose id never became known gets a stand-in id)."""
    timings = RunTimings(
        created_at=record.created_at,
        queued_at=record.queued_at,
        started_at=record.started_at,
        ended_at=record.ended_at,
        run_duration=record.run_duration,
        cold_start_duration=record.cold_start_duration,
    )
    return RunState(
        run_id=record.run_id or f"unknown-{position + 1}",
        status=record.status or RunStatus.NOT_STARTED.value,
        live_status=record.live_status,
        progress=record.progress,
        queue_position=record.queue_position,
        outputs=outputs_of(record.outputs),
        timings=timings,
        batch_id=batch_id,
        batch_index=record.batch_index,
        inputs=record.inputs,
        error=record.error,
    )


def outputs_of(items: tuple[OutputItem, ...]) -> tuple[RunOutput, ...]:
    """Flat output items grouped back into one output per node, in their recorded order."""
    by_node: dict[str, tuple[list[MediaItem], list[str]]] = {}
    for item in items:
        media, texts = by_node.setdefault(item.node_id or "", ([], []))
        if item.text is not None and item.url is None:
            texts.append(item.text)
        elif item.url:
            media.append(MediaItem(item.kind, item.url, item.filename or "", item.media_type))
    return tuple(
        RunOutput(
            id=f"history-{node or index}", node_id=node or None, media=tuple(m), texts=tuple(t)
        )
        for index, (node, (m, t)) in enumerate(by_node.items())
    )


def run_states(detail: SubmissionDetail) -> list[RunState]:
    """Every run of a submission as a state, in batch order."""
    batch_id = detail.summary.batch_id
    return [run_state(record, batch_id, n) for n, record in enumerate(detail.runs)]
