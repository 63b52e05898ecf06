"""``composer submit`` as a user runs it: a real subprocess, a real sandbox, real files."""

from __future__ import annotations

import json
import os
import pty
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from composer.resources import resource
from composer.servers.sandbox import Sandbox
from tests.conftest import free_port

FAST = ["--sandbox-speed", "200"]


def composer(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "composer", "submit", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ, **(env or {})},
    )


def events(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines()]


def sample(name: str) -> str:
    return str(resource("presets", name))


def write_preset(folder: Path, request: dict[str, Any], kind: str = "model") -> str:
    path = folder / "preset.json"
    document = {"format": "composer.preset", "version": 1, "name": "t", "kind": kind}
    path.write_text(json.dumps({**document, "request": request}), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(
    ("name", "runs"),
    [("flux-dev-portrait.json", 1), ("deployment-run.json", 1), ("batch-grid-3x3.json", 9)],
)
def test_samples_succeed_on_the_builtin_sandbox(name: str, runs: int, tmp_path: Path) -> None:
    result = composer(sample(name), *FAST, "--download", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr + result.stdout
    lines = events(result.stdout)
    kinds = [line["event"] for line in lines]
    assert kinds.count("submitted") == 1 and kinds.count("error") == 0
    finished = [line for line in lines if line["event"] == "finished"]
    assert len(finished) == runs and all(f["status"] == "success" for f in finished)
    assert any(line["event"] == "update" for line in lines)
    files = [Path(path) for f in finished for path in f["files"]]
    assert len(files) >= runs
    assert all(path.read_bytes().startswith(b"\x89PNG") for path in files if path.suffix == ".png")
    if runs > 1:
        combos = {json.dumps(f["inputs"], sort_keys=True) for f in finished}
        assert len(combos) == runs and {f["batch_index"] for f in finished} == set(range(runs))


def test_the_seed_example_fails_with_one_clear_line() -> None:
    """Its model_id is the SDK docs' placeholder "<id>": the API has no such model."""
    result = composer(sample("seed-example.json"), *FAST)
    assert result.returncode == 3
    assert result.stderr.strip().splitlines() == [result.stderr.strip().splitlines()[0]]  # one line
    assert "Model not found (404)" in result.stderr
    assert events(result.stdout)[-1]["event"] == "error"


def test_a_bad_key_exits_3_with_what_to_do(sandbox: Sandbox, tmp_path: Path) -> None:
    result = composer(
        sample("flux-dev-portrait.json"),
        "--target",
        sandbox.base_url,
        env={"COMFY_DEPLOY_API_KEY": "not-the-key"},
    )
    assert result.returncode == 3
    (line,) = result.stderr.strip().splitlines()
    assert line == (
        f"composer: error: Invalid or expired token (401): check your API key for "
        f"{sandbox.base_url}"
    )
    assert "not-the-key" not in result.stdout + result.stderr
    (error,) = [e for e in events(result.stdout) if e["event"] == "error"]
    assert error["kind"] == "UnauthorizedError" and error["status_code"] == 401


def test_an_unreachable_host_exits_3() -> None:
    url = f"http://127.0.0.1:{free_port()}/api"
    result = composer(sample("flux-dev-portrait.json"), "--target", url)
    assert result.returncode == 3
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"composer: error: Cannot reach {url}") and "Traceback" not in line


def test_bad_presets_and_arguments_exit_2(tmp_path: Path) -> None:
    missing = composer(str(tmp_path / "nope.json"))
    assert missing.returncode == 2 and "no such file" in missing.stderr
    unknown = composer(sample("flux-dev-portrait.json"), "--target", "prod-typo")
    assert unknown.returncode == 2 and "unknown target 'prod-typo'" in unknown.stderr
    # valid locally (a warning only), refused by the server with 400
    body = {"execution_mode": "sync_first_result", "batch_number": 2, "model_id": "flux-dev"}
    refused = composer(write_preset(tmp_path, body), *FAST)
    assert refused.returncode == 2 and "Batch number is not supported" in refused.stderr


def test_a_failed_run_exits_1(sandbox: Sandbox) -> None:
    sandbox.config.fail_rate = 1.0
    result = composer(
        sample("deployment-run.json"),
        "--target",
        sandbox.base_url,
        "--wait",
        env={"COMFY_DEPLOY_API_KEY": str(sandbox.token)},
    )
    assert result.returncode == 1, result.stderr
    (finished,) = [e for e in events(result.stdout) if e["event"] == "finished"]
    assert finished["status"] == "failed"


def test_without_wait_it_only_submits(sandbox: Sandbox) -> None:
    result = composer(
        sample("deployment-run.json"),
        "--target",
        sandbox.base_url,
        env={"COMFY_DEPLOY_API_KEY": str(sandbox.token)},
    )
    assert result.returncode == 0
    (submitted,) = events(result.stdout)
    assert submitted["event"] == "submitted"
    assert submitted["endpoint"] == f"POST {sandbox.base_url}/run/deployment/queue"
    assert sandbox.run(submitted["run_id"]) is not None


def test_stream_sync_and_first_result_modes(tmp_path: Path) -> None:
    flux = {"model_id": "flux-dev", "inputs": {"prompt": "A lighthouse"}}
    stream = composer(write_preset(tmp_path, {**flux, "execution_mode": "stream"}), *FAST)
    assert stream.returncode == 0, stream.stderr
    stream_events = events(stream.stdout)
    assert stream_events[1]["stream"] is True
    assert {e.get("source") for e in stream_events if e["event"] == "update"} >= {"stream"}
    (streamed,) = [e for e in stream_events if e["event"] == "finished"]
    # read once more at the end: a stream carries no timings
    assert streamed["status"] == "success" and streamed["created_at"] and streamed["outputs"]
    sync = composer(write_preset(tmp_path, {**flux, "execution_mode": "sync"}), *FAST)
    assert sync.returncode == 0, sync.stderr
    (finished,) = [e for e in events(sync.stdout) if e["event"] == "finished"]
    assert finished["status"] == "success" and finished["outputs"]
    first_body = {**flux, "execution_mode": "sync_first_result"}
    first = composer(write_preset(tmp_path, first_body), *FAST, "--download", str(tmp_path / "1"))
    assert first.returncode == 0, first.stderr
    assert (tmp_path / "1" / "first-result.png").read_bytes().startswith(b"\x89PNG")


def test_ctrl_c_cancels_the_runs_it_started(sandbox: Sandbox) -> None:
    sandbox.config.speed = 2  # a run of several seconds
    process = subprocess.Popen(
        [sys.executable, "-m", "composer", "submit", sample("deployment-run.json"),
         "--target", sandbox.base_url, "--wait", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COMFY_DEPLOY_API_KEY": str(sandbox.token)},
    )  # fmt: skip
    assert process.stdout is not None
    run_id = None
    try:
        for line in process.stdout:
            event = json.loads(line)
            run_id = run_id or event.get("run_id")
            if event["event"] == "update" and event["status"] in ("queued", "started", "running"):
                break
        process.send_signal(signal.SIGINT)
        remaining, errors = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 130, errors
    assert run_id is not None
    assert sandbox.wait_for(run_id)["status"] == "cancelled"
    notes = [e["message"] for e in events(remaining) if e["event"] == "note"]
    assert any(f"cancelled run {run_id}" in note for note in notes)


def test_live_progress_on_a_terminal(tmp_path: Path) -> None:
    """On a terminal: progress bars redrawn in place, then the saved files."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "composer", "submit", sample("flux-dev-portrait.json"),
         "--sandbox-speed", "20", "--download", str(tmp_path)],
        stdout=follower,
        stderr=follower,
        env={**os.environ, "COLUMNS": "100", "LINES": "30"},
    )  # fmt: skip
    os.close(follower)
    output = b""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed: the process ended
            break
        if not chunk:
            break
        output += chunk
    os.close(leader)
    assert process.wait(timeout=30) == 0
    text = output.decode("utf-8", errors="replace")
    assert "Submitted run" in text
    assert "\x1b[1F\x1b[J" in text  # redrawn in place
    final_line = [line for line in re.split(r"\r?\n|\x1b\[J", text) if "100%" in line]
    assert final_line and "success" in final_line[-1]
    assert "saved " in text and any(tmp_path.iterdir())
