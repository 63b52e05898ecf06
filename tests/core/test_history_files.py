"""The history file itself: schema versions and migrations, damaged and too-new files (typed
errors, never overwritten), a writer killed mid-stream, the search index with and without FTS5."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from composer.core.history import (
    SCHEMA_VERSION,
    HistoryBusyError,
    HistoryCorruptError,
    HistoryError,
    HistoryQuery,
    HistoryStore,
    HistoryTooNewError,
    HistoryWriteError,
    move_aside_history,
)
from composer.core.history.db import translate_error
from composer.core.history.schema import FTS_TABLE, MIGRATIONS, migrate
from composer.core.paths import history_db_path


def raw(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None)


def submit(store: HistoryStore, prompt: str, **kwargs: object) -> int:
    return store.record_submission(
        {"inputs": {"prompt": prompt}, "model_id": "flux-dev"},
        target_name="Sandbox (built-in)",
        base_url="http://127.0.0.1:3011/api",
        path="/run",
        **kwargs,  # type: ignore[arg-type]
    )


def test_a_new_file_is_at_the_current_version_in_wal_mode() -> None:
    with HistoryStore() as store:
        submit(store, "x")
        path = store.path
        connection = raw(path)
        assert connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        connection.close()
    with HistoryStore(path) as again:
        assert again.check_integrity() == []


def test_migrations_are_numbered_from_one_without_gaps() -> None:
    assert sorted(MIGRATIONS) == list(range(1, SCHEMA_VERSION + 1))


def test_a_version_1_file_is_migrated_and_keeps_its_data() -> None:
    path = history_db_path()
    path.parent.mkdir(parents=True)
    connection = raw(path)
    assert migrate(connection, upto=1) == [1]
    assert connection.execute("PRAGMA user_version").fetchone()[0] == 1
    tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    assert "webhook_events" not in tables
    # Rows as composer with schema 1 wrote them.
    body = {"inputs": {"prompt": "an old lighthouse"}, "model_id": "flux-dev"}
    connection.executescript(
        """
        INSERT INTO settings VALUES ('max_entries', '500');
        INSERT INTO submissions (id, submitted_at, target_name, base_url, method, path, kind,
            subject_id, body, redacted, batch_id, run_count, status, error, inputs_preview,
            search_text)
        VALUES (1, 1714557600.0, 'ComfyDeploy', 'https://api.comfydeploy.com/api', 'POST', '/run',
            'model', 'flux-dev', '{"inputs":{"prompt":"an old lighthouse"},"model_id":"flux-dev"}',
            0, NULL, 1, 'success', NULL, 'prompt=an old lighthouse',
            'flux-dev ComfyDeploy an old lighthouse');
        INSERT INTO runs (id, submission_id, run_id, batch_index, inputs, status, progress,
            ended_at, run_duration, updated_at)
        VALUES (1, 1, 'run-old', 0, '{"prompt":"an old lighthouse"}', 'success', 1.0,
            '2024-05-01T10:00:30.000000Z', 12.5, 1714557630.0);
        INSERT INTO status_changes (run_pk, at, source, status, progress)
        VALUES (1, 1714557630.0, 'poll', 'success', 1.0);
        INSERT INTO outputs (run_pk, kind, url, filename, dedupe_key)
        VALUES (1, 'images', 'https://cdn/old.png', 'old.png', '|images|old.png');
        """
    )
    connection.close()

    with HistoryStore(path) as store:
        assert raw(path).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        detail = store.get(1)
        assert detail.body == body and detail.summary.status == "success"
        (run,) = detail.runs
        assert (run.run_id, run.run_duration, run.outputs[0].url) == (
            "run-old",
            12.5,
            "https://cdn/old.png",
        )
        assert [c.status for c in run.status_changes] == ["success"]
        assert store.settings.max_entries == 500
        assert [s.id for s in store.search(HistoryQuery(text="old lighthouse")).items] == [1]
        store.webhooks.add({"seq": 1, "method": "POST", "path": "/", "json": {"run_id": "run-old"}})
        assert len(store.get(1).webhook_events) == 1
        assert store.check_integrity() == []


def test_a_too_new_file_is_refused_untouched_and_can_be_moved_aside() -> None:
    with HistoryStore() as store:
        submit(store, "from the future")
        path = store.path
    connection = raw(path)
    connection.execute("PRAGMA user_version = 99")
    connection.close()
    before = path.read_bytes()
    with pytest.raises(HistoryTooNewError) as info:
        HistoryStore(path)
    assert info.value.version == 99 and info.value.path == path
    assert "newer composer" in str(info.value) and "move the file aside" in str(info.value)
    assert path.read_bytes() == before
    moved = move_aside_history(path)
    assert moved.read_bytes() == before and not path.exists()
    with HistoryStore(path) as fresh:
        assert fresh.count() == 0


@pytest.mark.parametrize(
    "content",
    [b"this is not a database" * 200, b"SQLite format 3\x00" + b"\xff" * 4000],
    ids=["text", "bad-header"],
)
def test_a_file_that_is_not_sqlite_is_refused_untouched(content: bytes) -> None:
    path = history_db_path()
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    with pytest.raises(HistoryCorruptError, match="move it aside"):
        HistoryStore(path)
    assert path.read_bytes() == content
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]


def test_another_programs_database_is_refused() -> None:
    path = history_db_path()
    path.parent.mkdir(parents=True)
    connection = raw(path)
    connection.execute("CREATE TABLE photos (id INTEGER)")
    connection.close()
    with pytest.raises(HistoryCorruptError, match="not a composer history"):
        HistoryStore(path)


def test_damaged_pages_give_a_typed_error_and_the_file_is_kept() -> None:
    with HistoryStore() as store:
        for n in range(300):
            submit(store, f"prompt number {n} " + "x" * 200)
        path = store.path
    data = bytearray(path.read_bytes())
    page = 4096
    assert len(data) > 10 * page
    data[page:] = os.urandom(len(data) - page)  # keep page 1 (the schema), wreck the rest
    path.write_bytes(bytes(data))
    with pytest.raises(HistoryCorruptError, match=r"damaged.*move it aside"):  # noqa: PT012
        damaged = HistoryStore(path)
        damaged.search(HistoryQuery(text="prompt"))
        damaged.check_integrity()
    assert path.read_bytes() == bytes(data)


WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from composer.core.history import HistoryStore

    store = HistoryStore(Path(sys.argv[1]))
    store.settings.max_entries = 1_000_000
    n = int(sys.argv[2])
    while True:
        n += 1
        run_id = f"run-{n}"
        body = {"inputs": {"prompt": f"crash test {n} " + "x" * 300},
                "batch_input_params": {"seed": list(range(40))}, "model_id": "m"}
        sid = store.record_submission(body, target_name="t", base_url="http://x/api",
                                      path="/run", run_ids=[run_id])
        store.record_update(run_id, source="poll", status="running", progress=0.5)
        store.webhooks.add({"seq": n, "method": "POST", "path": "/hook",
                            "body": b"{}", "json": {"run_id": run_id}})
        print(sid, n, flush=True)
    """
)


def test_a_writer_killed_mid_stream_leaves_a_sound_database() -> None:
    path = history_db_path()
    committed: dict[int, int] = {}
    start = 0
    for stop_after in (30, 55, 17):  # three crashes at different points
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), str(start)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert writer.stdout is not None
        for _ in range(stop_after):
            line = writer.stdout.readline()
            assert line, "the writer stopped early"
            sid, n = map(int, line.split())
            committed[sid] = n
        writer.send_signal(signal.SIGKILL)  # mid-transaction, most likely
        writer.wait(timeout=10)
        assert writer.returncode == -signal.SIGKILL
        start = max(committed.values()) + 1000  # fresh run ids for the next writer

    connection = raw(path)
    assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    connection.close()
    with HistoryStore(path) as store:
        assert store.check_integrity() == []
        for sid, n in committed.items():
            detail = store.get(sid)
            runs = {run.run_id: run for run in detail.runs}
            assert runs[f"run-{n}"].status == "running"
            assert store.webhooks.count(f"run-{n}") == 1
        # Whatever else is there is whole: a transaction is all or nothing.
        for summary in store.search(limit=1000).items:
            assert len(store.get(summary.id).runs) == 40
        assert store.count() >= len(committed)


def test_search_index_is_rebuilt_after_a_sqlite_without_fts5_wrote(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with HistoryStore() as store:
        assert store.uses_search_index
        gone = submit(store, "alpha lighthouse")
        path = store.path
    monkeypatch.setattr("composer.core.history.schema.fts5_available", lambda: False)
    with HistoryStore(path) as without:
        assert not without.uses_search_index
        added = submit(without, "beta lighthouse")
        without.delete([gone])
        assert [s.id for s in without.search(HistoryQuery(text="lighthouse")).items] == [added]
    monkeypatch.undo()
    with HistoryStore(path) as again:
        assert again.uses_search_index
        assert [s.id for s in again.search(HistoryQuery(text="lighthouse")).items] == [added]
        indexed = raw(path).execute(f"SELECT count(*) FROM {FTS_TABLE}").fetchone()[0]
        assert indexed == 1


def test_a_write_waits_then_reports_a_busy_database() -> None:
    with HistoryStore(busy_timeout=0.05) as store:
        other = raw(store.path)
        other.execute("BEGIN IMMEDIATE")
        try:
            with pytest.raises(HistoryBusyError, match="try again"):
                submit(store, "blocked")
        finally:
            other.execute("ROLLBACK")
            other.close()
        submit(store, "free again")
        assert store.count() == 1


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        ("database disk image is malformed", HistoryCorruptError),
        ("file is not a database", HistoryCorruptError),
        ("database is locked", HistoryBusyError),
        ("database or disk is full", HistoryWriteError),
        ("attempt to write a readonly database", HistoryWriteError),
        ("something else", HistoryError),
    ],
)
def test_sqlite_errors_become_typed_history_errors(
    message: str, kind: type[HistoryError], tmp_path: Path
) -> None:
    error = translate_error(tmp_path / "h.sqlite3", sqlite3.OperationalError(message))
    assert type(error) is kind and str(tmp_path) in str(error)


def test_bodies_are_stored_as_readable_json() -> None:
    with HistoryStore() as store:
        sid = submit(store, "plain")
        path = store.path
        (text,) = raw(path).execute("SELECT body FROM submissions WHERE id = ?", (sid,)).fetchone()
        assert json.loads(text) == {"inputs": {"prompt": "plain"}, "model_id": "flux-dev"}
