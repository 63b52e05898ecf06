"""The history store on real SQLite files under tmp_path: recording runs as they go, reading
them back, searching, reopening, deleting and the size bound."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from composer.core.batch import expand_runs
from composer.core.history import (
    HistoryQuery,
    HistoryStore,
    OutputItem,
    UnknownSubmissionError,
    output_items,
)
from composer.core.history.texts import overall_status
from composer.core.paths import history_db_path

SEED_BODY: dict[str, Any] = {
    "execution_mode": "async",
    "inputs": {"prompt": "A beautiful landscape", "seed": 42},
    "webhook": "https://example.com/webhook",
    "webhook_intermediate_status": True,
    "origin": "manual",
    "batch_number": 5,
    "batch_input_params": {"input_number": [1, 2, 3], "input_text": ["apple", "banana", "cherry"]},
    "is_native_run": True,
    "gpu_event_id": "123e4567-e89b-12d3-a456-426614174000",
    "model_id": "flux-dev",
}
RUN_A = "0b6a8f0e-1111-4c3e-9a51-5a0e8c1d2f01"
RUN_B = "0b6a8f0e-2222-4c3e-9a51-5a0e8c1d2f02"
BATCH = "7c1e2d3f-aaaa-4bbb-8ccc-9ddd0eee1fff"


@pytest.fixture
def history() -> Iterator[HistoryStore]:
    with HistoryStore() as store:
        yield store


def submit(history: HistoryStore, body: dict[str, Any], **kwargs: Any) -> int:
    options: dict[str, Any] = {
        "target_name": "Sandbox (built-in)",
        "base_url": "http://127.0.0.1:3011/api",
        "path": "/run",
    }
    options.update(kwargs)
    return history.record_submission(body, **options)


def test_the_database_lives_in_the_composer_home(history: HistoryStore) -> None:
    assert history.path == history_db_path() and history.path.exists()


def test_a_run_is_recorded_as_it_goes_and_reads_back(history: HistoryStore) -> None:
    body = {"inputs": {"prompt": "A lighthouse at dusk", "seed": 1234}, "model_id": "flux-dev"}
    sid = submit(history, body, run_ids=[RUN_A])
    assert history.submission_for_run(RUN_A) == sid
    assert history.get(sid).summary.status == "submitted"

    assert history.record_update(RUN_A, source="poll", status="queued", queue_position=3)
    assert history.record_update(RUN_A, source="stream", status="running", progress=0.25)
    assert history.record_update(RUN_A, source="webhook", live_status="Executing KSampler")
    assert history.record_run_object(
        {
            "id": RUN_A,
            "status": "success",
            "progress": 0.949999988079071,
            "live_status": None,
            "queue_position": None,
            "created_at": "2025-05-01T10:00:41.512000Z",
            "queued_at": "2025-05-01T10:00:42.5Z",
            "started_at": "2025-05-01T10:00:50",
            "ended_at": "2025-05-01T10:01:10.000Z",
            "cold_start_duration": 7.5,
            "run_duration": 20.0,
            "outputs": [
                {
                    "node_id": "9",
                    "data": {
                        "images": [
                            {
                                "url": "https://cdn/x.png?sig=1",
                                "filename": "x.png",
                                "type": "output",
                            }
                        ],
                        "text": ["a caption"],
                    },
                }
            ],
        }
    )

    detail = history.get(sid)
    assert detail.body == body and detail.redacted is False
    (run,) = detail.runs
    assert (run.run_id, run.batch_index, run.inputs) == (RUN_A, 0, body["inputs"])
    assert run.status == "success" and run.finished
    assert run.progress == pytest.approx(0.95)
    assert run.live_status == "Executing KSampler"
    assert run.queue_position is None  # cleared once the run left the queue
    assert run.created_at == datetime(2025, 5, 1, 10, 0, 41, 512000, tzinfo=UTC)
    assert run.queued_at == datetime(2025, 5, 1, 10, 0, 42, 500000, tzinfo=UTC)
    assert run.started_at == datetime(2025, 5, 1, 10, 0, 50, tzinfo=UTC)  # naive = UTC
    assert (run.cold_start_duration, run.run_duration) == (7.5, 20.0)
    assert [(c.source, c.status) for c in run.status_changes] == [
        ("poll", "queued"),
        ("stream", "running"),
        ("webhook", None),
        ("poll", "success"),
    ]
    assert run.status_changes[0].queue_position == 3
    assert run.outputs == (
        OutputItem("images", "https://cdn/x.png?sig=1", "x.png", "output", "9"),
        OutputItem("text", text="a caption", node_id="9"),
    )
    assert detail.summary.status == "success" and detail.summary.runs_done == 1


def test_reopen_gives_exactly_the_body_that_was_sent(history: HistoryStore) -> None:
    sid = submit(history, SEED_BODY, path="/run", batch_id=BATCH)
    sent = history.reopen(sid)
    assert sent.body == SEED_BODY
    assert json.dumps(sent.body) == json.dumps(SEED_BODY)  # same key order too
    assert (sent.kind, sent.method, sent.path, sent.target_name) == (
        "model",
        "POST",
        "/run",
        "Sandbox (built-in)",
    )
    assert not sent.redacted


def test_secrets_are_never_stored(history: HistoryStore) -> None:
    key = "sk-live-9f8e7d6c5b4a"
    body = {"inputs": {"prompt": f"oops {key}", "note": json.dumps({"k": key})}, "model_id": "m"}
    sid = submit(history, body, secrets=[key, ""])
    sent = history.reopen(sid)
    assert sent.redacted and "[redacted]" in sent.body["inputs"]["prompt"]
    assert history.search(HistoryQuery(text="9f8e7d")).items == ()
    history.close()
    for path in history_db_path().parent.iterdir():
        assert key.encode() not in path.read_bytes(), path


def test_a_batch_plans_its_runs_and_fills_them_as_ids_arrive(history: HistoryStore) -> None:
    body = {
        "inputs": {"prompt": "p", "seed": 0},
        "batch_input_params": {"seed": [1, 2, 3], "steps": [10, 20, 30]},
        "model_id": "flux-dev",
    }
    sid = submit(history, body, batch_id=BATCH)
    runs = history.get(sid).runs
    assert [run.inputs for run in runs] == expand_runs(body)
    assert runs[1].combination == {"seed": 1, "steps": 20}
    summary = history.get(sid).summary
    assert (summary.run_count, summary.batch_id, summary.status) == (9, BATCH, "submitted")

    # A webhook reveals a run id; the tracker reads the run's inputs and attaches it.
    assert history.record_run(sid, RUN_A, inputs={"prompt": "p", "seed": 3, "steps": 20}) == 7
    assert history.record_run(sid, RUN_A, inputs={"seed": 1, "steps": 10}) == 7  # known: no-op
    assert history.record_run(sid, RUN_B, batch_index=4) == 4
    assert history.record_run(sid, "0b6a8f0e-3333-4c3e-9a51-5a0e8c1d2f03") == 0  # first free
    history.record_update(RUN_A, source="webhook", status="running")
    assert history.get(sid).summary.status == "running"
    assert history.search(HistoryQuery(text=BATCH)).items[0].id == sid
    assert history.search(HistoryQuery(text=RUN_B)).items[0].id == sid

    ids = [f"0b6a8f0e-{i:04d}-4c3e-9a51-5a0e8c1d2f0{i}" for i in range(9)]
    for index, run_id in enumerate(ids):
        if index not in (0, 4, 7):
            history.record_run(sid, run_id, batch_index=index)
    every = [run.run_id for run in history.get(sid).runs]
    assert None not in every and len(set(every)) == 9
    for run_id in every:
        assert run_id is not None
        history.record_update(run_id, source="poll", status="success")
    summary = history.get(sid).summary
    assert (summary.status, summary.runs_done) == ("success", 9)


def test_identical_copies_and_a_run_id_beyond_the_plan(history: HistoryStore) -> None:
    sid = submit(history, {"inputs": {}, "batch_number": 2, "model_id": "m"})
    assert history.record_run(sid, RUN_A) == 0
    assert history.record_run(sid, RUN_B) == 1
    assert history.record_run(sid, "0b6a8f0e-4444-4c3e-9a51-5a0e8c1d2f04") is None  # extra row
    assert len(history.get(sid).runs) == 3


def test_late_and_repeated_reports(history: HistoryStore) -> None:
    sid = submit(history, {"model_id": "m"}, run_ids=[RUN_A])
    history.record_update(RUN_A, source="webhook", status="running", progress=0.5)
    history.record_update(RUN_A, source="webhook", status="running", progress=0.5)  # repeat
    history.record_update(RUN_A, source="webhook", status="success", progress=1.0)
    history.record_update(RUN_A, source="webhook", status="success", progress=1.0)  # repeat
    history.record_update(RUN_A, source="webhook", status="running", progress=0.75)  # late
    (run,) = history.get(sid).runs
    assert (run.status, run.progress) == ("success", 1.0)
    assert [(c.status, c.progress) for c in run.status_changes] == [
        ("running", 0.5),
        ("success", 1.0),
        ("running", 0.75),  # kept in the timeline: a handler must cope with it
    ]
    history.record_update(RUN_A, source="poll", status="failed", error="CUDA out of memory")
    (run,) = history.get(sid).runs
    assert (run.status, run.error) == ("failed", "CUDA out of memory")


def test_updates_for_unknown_runs_are_refused_quietly(history: HistoryStore) -> None:
    assert history.record_update(RUN_B, source="poll", status="running") is False
    assert history.record_timings(RUN_B, ended_at="2025-05-01T10:00:00Z") is False
    assert history.record_outputs(RUN_B, [{"kind": "images", "url": "https://x"}]) == 0
    assert history.record_run_object({"id": RUN_B, "status": "success"}) is False
    assert history.record_run_object({"status": "success"}) is False


def test_outputs_with_fresh_presigned_urls_are_not_duplicated(history: HistoryStore) -> None:
    sid = submit(history, {"model_id": "m"}, run_ids=[RUN_A])
    first = {
        "node_id": "9",
        "data": {"images": [{"url": "https://s3/a.png?X-Sig=1", "filename": "a.png"}]},
    }
    again = {
        "node_id": "9",
        "data": {"images": [{"url": "https://s3/a.png?X-Sig=2", "filename": "a.png"}]},
    }
    history.record_outputs(RUN_A, [first])
    history.record_outputs(RUN_A, [again, {"kind": "files", "url": "https://s3/b.glb"}])
    (run,) = history.get(sid).runs
    assert [(o.kind, o.url) for o in run.outputs] == [
        ("images", "https://s3/a.png?X-Sig=2"),
        ("files", "https://s3/b.glb"),
    ]


def test_output_items_reads_every_shape() -> None:
    item = OutputItem("gifs", url="https://x/y.gif")
    api = {"node_id": 3, "data": {"mesh": ["https://x/m.glb"], "text": ["hello"], "bad": 5}}
    assert output_items([item, api, "junk", {"kind": "text", "text": "t"}]) == [
        item,
        OutputItem("mesh", url="https://x/m.glb", node_id="3"),
        OutputItem("text", text="hello", node_id="3"),
        OutputItem("text", text="t"),
    ]


def test_a_submission_that_failed_to_send(history: HistoryStore) -> None:
    sid = submit(history, {"model_id": "m"}, error="401 Invalid or missing token")
    summary = history.get(sid).summary
    assert (summary.status, summary.error) == ("error", "401 Invalid or missing token")
    other = submit(history, {"model_id": "m"})
    history.set_submission_result(other, run_ids=[RUN_B])
    history.record_update(RUN_B, source="poll", status="queued")
    assert history.get(other).summary.status == "queued"
    history.set_submission_result(other, batch_id=BATCH, error="connection reset")
    assert history.get(other).summary.batch_id == BATCH


def test_unknown_ids_raise_a_typed_error(history: HistoryStore) -> None:
    for call in (
        lambda: history.get(99),
        lambda: history.reopen(99),
        lambda: history.record_run(99, RUN_A),
        lambda: history.set_submission_result(99, run_ids=[RUN_A]),
    ):
        with pytest.raises(UnknownSubmissionError, match="no history entry 99"):
            call()


def _fill(history: HistoryStore) -> dict[str, int]:
    start = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)
    ids = {
        "lighthouse": submit(
            history,
            {"inputs": {"prompt": "A Lighthouse at dusk"}, "model_id": "flux-dev"},
            submitted_at=start,
        ),
        "cat": submit(
            history,
            {"inputs": {"prompt": "a cat", "seed": 7}, "model_id": "flux-schnell"},
            submitted_at=start + timedelta(days=1),
            run_ids=[RUN_A],
        ),
        "deploy": submit(
            history,
            {
                "inputs": {"prompt": "lighthouse, oil painting"},
                "deployment_id": "5b1c0a3e-0000-4000-8000-000000000001",
            },
            target_name="ComfyDeploy",
            path="/run/deployment/queue",
            submitted_at=start + timedelta(days=2),
            run_ids=[RUN_B],
        ),
    }
    history.record_update(RUN_A, source="poll", status="failed")
    history.record_update(RUN_B, source="poll", status="success")
    return ids


@pytest.mark.parametrize("fts", [True, False])
def test_search_by_text_subject_status_and_date(fts: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    if not fts:
        monkeypatch.setattr("composer.core.history.schema.fts5_available", lambda: False)
    with HistoryStore() as history:
        assert history.uses_search_index is fts
        ids = _fill(history)

        def found(**filters: Any) -> list[int]:
            return [s.id for s in history.search(HistoryQuery(**filters)).items]

        assert found() == [ids["deploy"], ids["cat"], ids["lighthouse"]]  # newest first
        assert found(text="LIGHTHOUSE") == [ids["deploy"], ids["lighthouse"]]
        assert found(text="house dusk") == [ids["lighthouse"]]  # every word, anywhere
        assert found(text="ca") == [ids["cat"]]  # words too short for the trigram index
        assert found(text="7") == [ids["cat"]]  # numbers are input text as well
        assert found(text="comfydeploy") == [ids["deploy"]]  # the target name
        assert found(text="100%") == []
        assert found(text='"quoted"') == []
        assert found(subject="flux-schnell") == [ids["cat"]]
        assert found(text="5b1c0a3e") == [ids["deploy"]]  # a deployment id fragment
        assert found(status="failed") == [ids["cat"]]
        assert found(status="submitted") == [ids["lighthouse"]]
        day = datetime(2025, 5, 2, tzinfo=UTC)
        assert found(since=day) == [ids["deploy"], ids["cat"]]
        assert found(until=day) == [ids["lighthouse"]]
        assert found(since=day, until=day + timedelta(days=1)) == [ids["cat"]]
        assert found(since=datetime(2025, 5, 2)) == [ids["deploy"], ids["cat"]]  # naive = UTC
        assert found(text="lighthouse", status="success") == [ids["deploy"]]
        assert history.count(HistoryQuery(text="lighthouse")) == 2
        assert history.subjects() == [
            ("5b1c0a3e-0000-4000-8000-000000000001", 1),
            ("flux-dev", 1),
            ("flux-schnell", 1),
        ]


def test_paging(history: HistoryStore) -> None:
    ids = [submit(history, {"inputs": {"n": n}, "model_id": "m"}) for n in range(5)]
    first = history.search(limit=2)
    assert [s.id for s in first.items] == ids[:2:-1] and first.has_more
    last = history.search(limit=2, offset=4)
    assert [s.id for s in last.items] == [ids[0]] and not last.has_more
    assert history.count() == 5


def test_delete_takes_runs_outputs_and_webhook_events_along(history: HistoryStore) -> None:
    ids = _fill(history)
    history.record_outputs(RUN_A, [{"kind": "images", "url": "https://x/a.png"}])
    history.webhooks.add({"seq": 1, "method": "POST", "path": "/", "json": {"run_id": RUN_A}})
    history.webhooks.add({"seq": 2, "method": "POST", "path": "/", "json": {"run_id": "other"}})
    assert history.delete([ids["cat"], ids["cat"], 12345]) == 1
    assert history.submission_for_run(RUN_A) is None
    assert history.webhooks.count(RUN_A) == 0 and history.webhooks.count() == 1
    assert history.search(HistoryQuery(text="cat")).items == ()
    assert history.clear() == 2
    assert history.count() == 0 and history.webhooks.count() == 1


def test_size_is_bounded_and_the_oldest_go_first(history: HistoryStore) -> None:
    history.settings.max_entries = 3
    ids = [submit(history, {"inputs": {"n": n}, "model_id": "m"}) for n in range(5)]
    assert [s.id for s in history.search().items] == ids[:1:-1]
    assert history.set_max_entries(1) == 2
    assert [s.id for s in history.search().items] == [ids[-1]]
    assert HistoryStore(history.path).settings.max_entries == 1  # kept in the database
    with pytest.raises(ValueError, match="at least 1"):
        history.settings.max_entries = 0


def test_planned_runs_of_a_huge_batch_are_capped(
    history: HistoryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("composer.core.history.writes.MAX_PLANNED_RUNS", 10)
    body = {"batch_input_params": {"a": list(range(100)), "b": list(range(100))}, "model_id": "m"}
    sid = submit(history, body)
    detail = history.get(sid)
    assert detail.summary.run_count == 10_000 and len(detail.runs) == 10
    odd = submit(history, {"inputs": "not an object", "batch_number": 3, "model_id": "m"})
    assert [run.inputs for run in history.get(odd).runs] == [{}, {}, {}]


def test_writes_from_several_threads_all_land(history: HistoryStore) -> None:
    errors: list[BaseException] = []

    def writer(worker: int) -> None:
        try:
            for n in range(25):
                sid = submit(history, {"inputs": {"w": worker, "n": n}, "model_id": "m"})
                history.record_run(sid, f"run-{worker}-{n}")
                history.record_update(f"run-{worker}-{n}", source="poll", status="success")
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert history.count(HistoryQuery(status="success")) == 100


def test_another_store_on_the_same_file_sees_the_writes(history: HistoryStore) -> None:
    sid = submit(history, {"model_id": "m"}, run_ids=[RUN_A])
    with HistoryStore(history.path) as reader:
        assert reader.get(sid).runs[0].run_id == RUN_A
        history.record_update(RUN_A, source="poll", status="running")
        assert reader.get(sid).summary.status == "running"


def test_open_existing_creates_nothing(tmp_path: Path) -> None:
    assert HistoryStore.open_existing(tmp_path / "none.sqlite3") is None
    assert not (tmp_path / "none.sqlite3").exists()


@pytest.mark.parametrize(
    ("statuses", "run_count", "error", "expected"),
    [
        ({}, 1, None, "submitted"),
        ({None: 1}, 1, "401", "error"),
        ({"queued": 1}, 1, None, "queued"),
        ({"queued": 2, "running": 1, None: 6}, 9, None, "running"),
        ({"success": 3, None: 6}, 9, None, "running"),
        ({"success": 8, "failed": 1}, 9, None, "failed"),
        ({"success": 8, "cancelled": 1}, 9, None, "cancelled"),
        ({"success": 9}, 9, None, "success"),
        ({"weird-new-status": 1}, 1, None, "weird-new-status"),
    ],
)
def test_overall_status(
    statuses: dict[str | None, int], run_count: int, error: str | None, expected: str
) -> None:
    assert overall_status(statuses, run_count, error) == expected
