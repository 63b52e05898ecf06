"""Batch bookkeeping without a server: which run fills which combination, which is not ours."""

from __future__ import annotations

from datetime import UTC, datetime

from composer.client.batches import CLOCK_SKEW, BatchBook
from composer.client.results import BatchQueued
from composer.core.batch import expand_runs
from composer.core.endpoints import choose_endpoint
from composer.core.runs import RunTimings, RunUpdate, UpdateSource

BODY = {"model_id": "flux-dev", "inputs": {"prompt": "x"}, "batch_input_params": {"seed": [1, 2]}}
SUBMITTED = datetime(2025, 5, 1, 10, 0, tzinfo=UTC).timestamp()


def batch(body: dict[str, object] = BODY, deployment: str | None = None) -> BatchQueued:
    runs = tuple(expand_runs(body))
    return BatchQueued(choose_endpoint(body), body, "b1", runs, deployment, SUBMITTED)


def row(run_id: str, at: str | None = None) -> RunUpdate:
    """A listed run created at ``at`` ("09:50") on the day of the submit (None: time unknown)."""
    created = datetime.fromisoformat(f"2025-05-01T{at}:00+00:00") if at else None
    return RunUpdate(
        run_id, UpdateSource.POLL, status="queued", timings=RunTimings(created_at=created)
    )


def test_runs_are_placed_by_their_inputs_and_strangers_rejected() -> None:
    book = BatchBook()
    slots = book.add(batch(), SUBMITTED, deadline=100)
    assert book.place("r2", {"prompt": "x", "seed": 2}) == (slots, 1)
    assert book.place("stranger", {"prompt": "other", "seed": 1}) is None
    assert "stranger" in book.rejected
    assert book.place("r1", {"prompt": "x", "seed": 1, "extra_default": 5}) == (slots, 0)
    assert not slots.pending and slots.progress().complete
    assert book.place("late", {"prompt": "x", "seed": 1}) is None  # nothing pending any more


def test_copies_without_known_inputs_fill_in_creation_order() -> None:
    book = BatchBook()
    body = {"model_id": "flux-dev", "batch_number": 3}
    slots = book.add(batch(body), SUBMITTED, deadline=100)
    # the submit was at 10:00; "old" was created at 09:50, before it (beyond the clock skew)
    rows = (row("c", "10:03"), row("old", "09:50"), row("a", "10:01"), row("b", "10:02"), row("d"))
    fresh = book.new_rows(slots, rows, known={"b"})
    assert [r.run_id for r in fresh] == ["a", "c", "d"]  # oldest first, unknown times last
    for item in fresh:
        book.place(item.run_id, None)
    assert slots.slots == ["a", "c", "d"]
    assert CLOCK_SKEW >= 60


def test_rows_created_well_before_the_submit_are_skipped() -> None:
    book = BatchBook()
    slots = book.add(batch(), SUBMITTED + 10 * 60, deadline=100)  # submitted at 10:10
    fresh = book.new_rows(slots, (row("before", "10:05"), row("after", "10:09")), known=())
    assert [r.run_id for r in fresh] == ["after"]


def test_unknown_runs_become_candidates_only_while_a_batch_is_pending() -> None:
    book = BatchBook()
    update = RunUpdate("w1", UpdateSource.WEBHOOK, status="queued")
    assert book.consider(update) is None  # no batch yet: ignored
    slots = book.add(batch(), SUBMITTED, deadline=100)
    candidate = book.consider(update)
    assert candidate is not None and book.unresolved
    assert book.consider(RunUpdate("w1", UpdateSource.WEBHOOK, status="running")) is None
    assert [u.status for u in candidate.updates] == ["queued", "running"]
    slots.error = slots.missing_message()
    assert slots.error == "2 of 2 runs of batch b1 were not found through webhook events"
    del book.candidates["w1"]
    assert not book.unresolved
