"""``composer sandbox`` as a person runs it: start, follow a run with plain HTTP, Ctrl+C."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from tests.servers.sandbox.helpers import SDXL


@pytest.fixture
def cli_sandbox() -> Iterator[tuple[subprocess.Popen[str], str]]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "composer",
            "sandbox",
            "--port",
            "0",
            "--speed",
            "200",
            "--token",
            "cli-token",
            "--seed",
            "1",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        match = re.fullmatch(r"Sandbox listening on (http://127\.0\.0\.1:\d+/api)\n", first)
        assert match, first
        yield process, match.group(1)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(10)


def test_run_followed_to_success_and_png_opened(
    cli_sandbox: tuple[subprocess.Popen[str], str],
) -> None:
    process, base_url = cli_sandbox
    headers = {"Authorization": "Bearer cli-token"}
    with httpx.Client(base_url=base_url, headers=headers, trust_env=False, timeout=10) as client:
        run_id = client.post("/run/deployment/queue", json={"deployment_id": SDXL}).json()["run_id"]
        seen = []
        while not seen or seen[-1] not in ("success", "failed", "cancelled", "timeout"):
            seen.append(client.get(f"/run/{run_id}").json()["status"])  # polling, as curl would
        run = client.get(f"/run/{run_id}").json()
    assert run["status"] == "success"
    assert seen == sorted(
        seen, key=["not-started", "queued", "started", "running", "success"].index
    )
    image = next(o for o in run["outputs"] if "images" in o["data"])["data"]["images"][0]
    picture = httpx.get(image["url"], trust_env=False)
    assert picture.content.startswith(b"\x89PNG")
    wrong = httpx.get(
        f"{base_url}/run/{run_id}", headers={"Authorization": "Bearer x"}, trust_env=False
    )
    assert wrong.status_code == 401
    process.send_signal(signal.SIGINT)  # Ctrl+C
    assert process.wait(10) == 0
    assert process.stderr is not None and "Sandbox stopped" in process.stderr.read()


def test_sigterm_stops_cleanly(cli_sandbox: tuple[subprocess.Popen[str], str]) -> None:
    process, _ = cli_sandbox
    process.terminate()
    assert process.wait(10) == 0


def test_busy_port_and_bad_flags_are_clear_errors(
    cli_sandbox: tuple[subprocess.Popen[str], str],
) -> None:
    _, base_url = cli_sandbox
    port = base_url.rsplit(":", 1)[1].split("/")[0]
    busy = subprocess.run(
        [sys.executable, "-m", "composer", "sandbox", "--port", port],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert busy.returncode == 1
    assert "cannot listen" in busy.stderr and "--port 0" in busy.stderr
    bad = subprocess.run(
        [sys.executable, "-m", "composer", "sandbox", "--fail-rate", "2"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert bad.returncode == 2 and "between 0 and 1" in bad.stderr
