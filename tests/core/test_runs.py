"""Run states and the merge rules: terminal is final, stale updates ignored, duplicates dropped."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from composer.core.runs import (
    MediaItem,
    RunOutput,
    RunState,
    RunStatus,
    RunTimings,
    RunUpdate,
    UpdateSource,
    clean_progress,
    initial_state,
    is_terminal,
    known_status,
    merge,
    progress_percent,
    summarize,
)

RUN = "3f2b6a9e-1c4d-4e8f-9a0b-1c2d3e4f5a6b"


def update(source: UpdateSource = UpdateSource.POLL, **fields: object) -> RunUpdate:
    return RunUpdate(run_id=RUN, source=source, **fields)  # type: ignore[arg-type]


def fold(*updates: RunUpdate) -> RunState:
    state = initial_state(RUN)
    for item in updates:
        state = merge(state, item) or state
    return state


def output(output_id: str, url: str = "https://files.example/a.png") -> RunOutput:
    return RunOutput(
        id=output_id,
        run_id=RUN,
        media=(MediaItem(kind="images", url=url, filename="a.png"),),
    )


def test_status_values_are_an_open_set() -> None:
    assert known_status("running") is RunStatus.RUNNING
    assert known_status("warming-up") is None
    assert known_status(None) is None
    assert is_terminal("cancelled") and is_terminal("timeout") and not is_terminal("uploading")


@pytest.mark.parametrize(
    ("raw", "clean", "percent"),
    [
        (0.949999988079071, 0.95, 95),
        (0.0, 0.0, 0),
        (1, 1.0, 100),
        (1.7, 1.0, 100),
        (-0.2, 0.0, 0),
        (0.33333334, 0.3333, 33),
        ("0.5", None, None),
        (True, None, None),
        (float("nan"), None, None),
        (None, None, None),
    ],
)
def test_progress_is_cleaned_for_display(raw: object, clean: float | None, percent: int) -> None:
    assert clean_progress(raw) == clean
    assert progress_percent(clean_progress(raw)) == percent


def test_a_lifecycle_merges_in_order() -> None:
    state = fold(
        update(status="queued", queue_position=3),
        update(status="queued", queue_position=1),
        update(status="running", live_status="Executing KSampler", progress=0.4),
        update(UpdateSource.WEBHOOK, status="running", progress=0.8, live_status="VAE decode"),
        update(status="success", progress=0.95, outputs=(output("o1"),)),
    )
    assert state.status == "success" and state.is_terminal and state.succeeded
    assert state.progress == 0.95 and state.percent == 95
    assert state.live_status == "VAE decode"
    assert state.queue_position is None  # cleared once the run left the queue
    assert [o.id for o in state.outputs] == ["o1"]
    assert state.media[0].url == "https://files.example/a.png"
    assert state.source is UpdateSource.POLL


def test_queue_position_is_kept_while_queued() -> None:
    state = fold(update(status="queued", queue_position=4))
    assert state.queue_position == 4
    state = merge(state, update(status="queued", queue_position=2))
    assert state is not None and state.queue_position == 2


def test_a_terminal_run_never_moves_back() -> None:
    done = fold(update(status="success", progress=1.0, live_status="done"))
    for late in (
        update(UpdateSource.WEBHOOK, status="running", progress=0.5, live_status="Executing"),
        update(UpdateSource.WEBHOOK, status="failed"),
        update(UpdateSource.STREAM, live_status="Executing KSampler"),
        update(status="queued", queue_position=1),
    ):
        assert merge(done, late) is None
    assert done.status == "success" and done.live_status == "done"


def test_outputs_still_arrive_after_the_end() -> None:
    done = fold(update(status="success"))
    later = merge(done, update(UpdateSource.WEBHOOK, event="run.output", outputs=(output("o2"),)))
    assert later is not None and [o.id for o in later.outputs] == ["o2"]
    assert later.status == "success"


def test_out_of_order_status_and_progress_are_ignored() -> None:
    state = fold(update(status="running", progress=0.6, live_status="Executing KSampler"))
    assert merge(state, update(UpdateSource.WEBHOOK, status="queued")) is None
    assert merge(state, update(UpdateSource.WEBHOOK, status="started", progress=0.1)) is None
    assert merge(state, update(UpdateSource.WEBHOOK, progress=0.3, live_status="Loader")) is None
    moved = merge(state, update(UpdateSource.WEBHOOK, progress=0.7, live_status="VAE decode"))
    assert moved is not None and moved.progress == 0.7 and moved.live_status == "VAE decode"


def test_duplicates_change_nothing() -> None:
    first = update(UpdateSource.WEBHOOK, status="running", progress=0.5, live_status="x")
    state = fold(first)
    assert merge(state, first) is None
    assert merge(state, update(UpdateSource.POLL, status="running", progress=0.5)) is None


def test_unknown_statuses_are_kept_as_text() -> None:
    state = fold(update(status="queued"), update(status="warming-up"))
    assert state.status == "warming-up" and state.known_status is None
    assert fold(update(status="success"), update(status="warming-up")).status == "success"


def test_outputs_accumulate_and_newer_copies_win() -> None:
    state = fold(
        update(outputs=(output("o1", "https://x/1?sig=old"),)),
        update(UpdateSource.WEBHOOK, outputs=(output("o2"),)),
        update(outputs=(output("o1", "https://x/1?sig=new"), output("o2"))),
    )
    assert [o.id for o in state.outputs] == ["o1", "o2"]
    assert state.outputs[0].media[0].url == "https://x/1?sig=new"


def test_timings_merge_value_by_value() -> None:
    created = datetime(2025, 5, 1, 10, 0, 0, tzinfo=UTC)
    ended = datetime(2025, 5, 1, 10, 0, 41, tzinfo=UTC)
    state = fold(
        update(timings=RunTimings(created_at=created)),
        update(status="success", timings=RunTimings(ended_at=ended, run_duration=30.5)),
    )
    assert state.timings.created_at == created and state.timings.ended_at == ended
    assert state.timings.elapsed() == 41.0
    assert RunTimings().elapsed() is None


def test_inputs_are_taken_once_and_errors_clear_on_news() -> None:
    state = initial_state(RUN, error="network down")
    state = merge(state, update(status="queued", inputs={"seed": 1})) or state
    assert state.error is None and state.inputs == {"seed": 1}
    again = merge(state, update(status="running", inputs={"seed": 2}))
    assert again is not None and again.inputs == {"seed": 1}


def test_merging_another_runs_update_is_a_bug() -> None:
    with pytest.raises(ValueError, match="merged into run"):
        merge(initial_state("other"), update(status="queued"))


def test_summarize_counts_statuses() -> None:
    states = [fold(update(status="success")), fold(update(status="failed")), initial_state("x")]
    assert summarize(states) == {"success": 1, "failed": 1, "not-started": 1}


LIFECYCLE = ["queued", "started", "running", "uploading", "success"]


@given(st.permutations(LIFECYCLE), st.lists(st.floats(0, 1), min_size=3, max_size=3))
def test_any_arrival_order_ends_terminal_with_the_highest_progress(
    order: list[str], progresses: list[float]
) -> None:
    updates = [update(UpdateSource.WEBHOOK, status=status) for status in order]
    updates += [update(UpdateSource.WEBHOOK, progress=clean_progress(p)) for p in progresses]
    for permutation in itertools.islice(itertools.permutations(updates), 0, 50):
        state = fold(*permutation)
        assert state.status == "success"
        # progress only counts while the run is not over
        seen: list[float] = []
        for item in permutation:
            if item.status == "success":
                break
            if item.progress is not None:
                seen.append(item.progress)
        assert state.progress == (max(seen) if seen else None)
