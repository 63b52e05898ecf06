"""``composer history`` as a user runs it: a real subprocess reading a real history file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

from composer.core.history import HistoryStore
from composer.core.paths import history_db_path

RUN_A = "0b6a8f0e-1111-4c3e-9a51-5a0e8c1d2f01"


def composer(*args: str) -> subprocess.CompletedProcess[str]:
    # The test's COMPOSER_HOME (conftest) is in os.environ, so the subprocess sees it.
    return subprocess.run(
        [sys.executable, "-m", "composer", *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
        env={**os.environ, "COLUMNS": "200"},
    )


@pytest.fixture
def filled() -> dict[str, int]:
    with HistoryStore() as store:
        ids = {
            "lighthouse": store.record_submission(
                {"inputs": {"prompt": "A lighthouse at dusk", "seed": 4}, "model_id": "flux-dev"},
                target_name="Sandbox (built-in)",
                base_url="http://127.0.0.1:3011/api",
                path="/run",
                run_ids=[RUN_A],
                submitted_at=1_746_093_600.0,
            ),
            "batch": store.record_submission(
                {
                    "inputs": {"prompt": "a cat"},
                    "batch_input_params": {"seed": [1, 2, 3]},
                    "deployment_id": "5b1c0a3e-0000-4000-8000-000000000001",
                },
                target_name="ComfyDeploy",
                base_url="https://api.comfydeploy.com/api",
                path="/run",
                batch_id="7c1e2d3f-aaaa-4bbb-8ccc-9ddd0eee1fff",
                submitted_at=1_746_180_000.0,
            ),
        }
        store.record_run_object(
            {
                "id": RUN_A,
                "status": "success",
                "ended_at": "2025-05-01T10:00:30.000Z",
                "outputs": [
                    {"data": {"images": [{"url": "https://cdn/a.png", "filename": "a.png"}]}}
                ],
            }
        )
    return ids


def test_no_history_yet_creates_nothing() -> None:
    result = composer("history")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("No history yet")
    assert composer("history", "--json").stdout == ""
    assert not history_db_path().exists()


def test_table_lists_newest_first(filled: dict[str, int]) -> None:
    result = composer("history")
    assert result.returncode == 0, result.stderr
    header, first, second = result.stdout.splitlines()
    assert header.split() == ["ID", "SUBMITTED", "TARGET", "REQUEST", "RUNS", "STATUS", "INPUTS"]
    assert first.split()[0] == str(filled["batch"])
    assert "deployment 5b1c0a3e-0000-4000-8000-000000000001" in first
    assert "0/3" in first and "submitted" in first and "batch seed[3]" in first
    assert second.split()[0] == str(filled["lighthouse"])
    assert "1/1" in second and "success" in second and "prompt=A lighthouse at dusk" in second


def test_json_lines_carry_the_body_and_runs(filled: dict[str, int]) -> None:
    result = composer("history", "--json")
    assert result.returncode == 0, result.stderr
    entries: list[dict[str, Any]] = [json.loads(line) for line in result.stdout.splitlines()]
    assert [entry["id"] for entry in entries] == [filled["batch"], filled["lighthouse"]]
    lighthouse = entries[1]
    assert lighthouse["body"] == {
        "inputs": {"prompt": "A lighthouse at dusk", "seed": 4},
        "model_id": "flux-dev",
    }
    assert lighthouse["submitted_at"] == "2025-05-01T10:00:00.000000Z"
    assert lighthouse["status"] == "success" and lighthouse["target"] == "Sandbox (built-in)"
    (run,) = lighthouse["runs"]
    assert run["run_id"] == RUN_A and run["ended_at"] == "2025-05-01T10:00:30.000000Z"
    assert run["outputs"] == [
        {"kind": "images", "url": "https://cdn/a.png", "filename": "a.png", "text": None}
    ]
    assert [r["combination"] for r in entries[0]["runs"]] == [{"seed": 1}, {"seed": 2}, {"seed": 3}]


def test_limit_search_and_status(filled: dict[str, int]) -> None:
    limited = composer("history", "--json", "--limit", "1")
    assert [json.loads(line)["id"] for line in limited.stdout.splitlines()] == [filled["batch"]]
    assert "1 of 2 shown" in composer("history", "--limit", "1").stderr
    found = composer("history", "--json", "--search", "LIGHTHOUSE")
    assert [json.loads(line)["id"] for line in found.stdout.splitlines()] == [filled["lighthouse"]]
    by_run = composer("history", "--json", "--search", RUN_A)
    assert [json.loads(line)["id"] for line in by_run.stdout.splitlines()] == [filled["lighthouse"]]
    status = composer("history", "--json", "--status", "submitted")
    assert [json.loads(line)["id"] for line in status.stdout.splitlines()] == [filled["batch"]]
    none = composer("history", "--search", "zebra")
    assert none.returncode == 0 and none.stdout == "No entries match.\n"


def test_bad_limit_is_a_usage_error() -> None:
    result = composer("history", "--limit", "0")
    assert result.returncode == 2 and "must be at least 1" in result.stderr


def test_a_damaged_database_is_one_line_and_untouched() -> None:
    path = history_db_path()
    path.parent.mkdir(parents=True)
    path.write_bytes(b"garbage" * 1000)
    result = composer("history")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "move it aside" in result.stderr and str(path) in result.stderr
    assert path.read_bytes() == b"garbage" * 1000
