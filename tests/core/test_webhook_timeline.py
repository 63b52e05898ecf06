"""The run timeline: the traps a webhook handler must survive, marked on one run's events."""

from __future__ import annotations

from datetime import timedelta

from composer.core.timeline import Mark, PolledStatus, analyse_run
from tests.webhook_factory import RUN_A, T0, payload, record


def marks_by_seq(records: list, **kwargs: object) -> dict[int, set[Mark]]:  # type: ignore[type-arg]
    timeline = analyse_run(records, **kwargs)  # type: ignore[arg-type]
    return {e.record.seq: set(e.marks) for e in timeline.webhook_entries if e.record}


def test_a_clean_lifecycle_has_no_marks() -> None:
    records = [
        record(1, payload("queued")),
        record(2, payload("started")),
        record(3, payload("running", progress=0.2)),
        record(4, payload("running", progress=0.6)),
        record(5, payload("success", progress=1.0)),
    ]
    timeline = analyse_run(records, run_ended=True)
    assert timeline.run_id == RUN_A
    assert timeline.terminal_status == "success"
    assert not timeline.missing_terminal and timeline.marks == frozenset()
    assert [e.status for e in timeline.entries] == [
        "queued",
        "started",
        "running",
        "running",
        "success",
    ]


def test_progress_after_success_is_out_of_order() -> None:
    marks = marks_by_seq(
        [
            record(1, payload("running", progress=0.5)),
            record(2, payload("success")),
            record(3, payload("running", progress=0.9)),
        ]
    )
    assert marks == {1: set(), 2: set(), 3: {Mark.OUT_OF_ORDER}}


def test_lower_status_or_progress_is_out_of_order() -> None:
    marks = marks_by_seq(
        [
            record(1, payload("running", progress=0.5)),
            record(2, payload("queued")),
            record(3, payload("running", progress=0.3)),
            record(4, payload("running", progress=0.499999999)),  # float noise is not disorder
        ]
    )
    assert marks == {1: set(), 2: {Mark.OUT_OF_ORDER}, 3: {Mark.OUT_OF_ORDER}, 4: set()}


def test_records_are_read_in_arrival_order_whatever_the_input_order() -> None:
    records = [record(2, payload("queued")), record(1, payload("running"))]
    assert marks_by_seq(records) == {1: set(), 2: {Mark.OUT_OF_ORDER}}


def test_duplicate_terminal_and_redelivery() -> None:
    timeline = analyse_run(
        [
            record(1, payload("success")),
            record(2, payload("success")),
            record(3, payload("failed")),
        ]
    )
    entries = timeline.webhook_entries
    assert set(entries[1].marks) == {Mark.DUPLICATE_TERMINAL, Mark.REDELIVERY}
    assert set(entries[2].marks) == {Mark.DUPLICATE_TERMINAL}
    assert "it says failed" in entries[2].notes[0]
    assert timeline.terminal_status == "success"


def test_get_retries_are_marked_with_their_first_attempt() -> None:
    first = record(1, payload("running", progress=0.1))
    retry = record(2, payload("running", progress=0.1), method="GET")
    timeline = analyse_run([first, retry])
    assert set(timeline.webhook_entries[1].marks) == {Mark.GET_RETRY, Mark.REDELIVERY}
    assert "#1" in " ".join(timeline.webhook_entries[1].notes)
    assert "GET" in timeline.webhook_entries[1].notes[0]


def test_run_output_events_are_marked_and_never_terminal() -> None:
    timeline = analyse_run(
        [
            record(1, payload("running", event_type="run.output", outputs=[{"id": "o1"}])),
            record(2, payload("success")),
            record(3, payload("success", event_type="run.output", outputs=[{"id": "o2"}])),
        ]
    )
    marks = [set(e.marks) for e in timeline.webhook_entries]
    assert marks == [{Mark.RUN_OUTPUT}, set(), {Mark.RUN_OUTPUT}]
    assert timeline.mark_counts[Mark.RUN_OUTPUT] == 2


def test_missing_terminal_only_once_the_run_ended() -> None:
    records = [record(1, payload("queued")), record(2, payload("running"))]
    assert not analyse_run(records).missing_terminal  # still going, as far as we know
    polled = [PolledStatus(T0 + timedelta(seconds=9), "success")]
    timeline = analyse_run(records, polled)
    assert timeline.missing_terminal and Mark.MISSING_TERMINAL in timeline.marks
    assert "Poll" in timeline.notes[0]
    assert analyse_run(records, run_ended=True).missing_terminal
    assert not analyse_run([*records, record(3, payload("cancelled"))], polled).missing_terminal


def test_polled_statuses_are_merged_in_time_and_disagreement_noted() -> None:
    polled = [
        PolledStatus(T0 + timedelta(seconds=1.5), "queued"),
        PolledStatus(T0 + timedelta(seconds=5), "failed", progress=0.4),
    ]
    timeline = analyse_run([record(1, payload("queued")), record(2, payload("success"))], polled)
    assert [(e.source, e.status) for e in timeline.entries] == [
        ("webhook", "queued"),
        ("poll", "queued"),
        ("webhook", "success"),
        ("poll", "failed"),
    ]
    assert timeline.polled_terminal_status == "failed"
    assert any("polling says failed" in note for note in timeline.notes)


def test_foreign_requests_are_marked_not_comfydeploy() -> None:
    timeline = analyse_run([record(1, b"hello")])
    assert set(timeline.webhook_entries[0].marks) == {Mark.NOT_COMFYDEPLOY}
    assert timeline.run_id is None
