"""``composer listen`` as a user runs it: a real subprocess receiving real requests."""

from __future__ import annotations

import base64
import json
import queue
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import IO

import httpx
import pytest


class Listener:
    """A running ``composer listen`` subprocess whose stdout lines can be awaited."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "composer", "listen", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            # A shell without job control may have set SIGINT to "ignore" for its background
            # children, and that is inherited; Ctrl+C is what this test needs to work.
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
        self.lines: queue.Queue[str] = queue.Queue()
        assert self.process.stdout is not None
        self._reader = threading.Thread(target=self._read, args=(self.process.stdout,))
        self._reader.start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self.lines.put(line)

    def next_line(self, timeout: float = 20) -> str:
        try:
            return self.lines.get(timeout=timeout)
        except queue.Empty:
            self.process.kill()
            pytest.fail(f"no line from composer listen; stderr: {self.process.stderr.read()}")  # type: ignore[union-attr]

    def stop(self, sig: int = signal.SIGINT) -> tuple[int, str]:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            code = self.process.wait(timeout=20)
        finally:
            if self.process.poll() is None:
                self.process.kill()
            self._reader.join(timeout=5)
        assert self.process.stderr is not None
        return code, self.process.stderr.read()


@pytest.fixture
def listener_json() -> Iterator[Listener]:
    listener = Listener("--port", "0", "--json")
    yield listener
    listener.stop(signal.SIGKILL)


def test_listen_json_prints_each_request_as_a_json_line(listener_json: Listener) -> None:
    first = listener_json.next_line()
    assert first.startswith("Listening on http://127.0.0.1:") and first.endswith("/\n")
    url = first.removeprefix("Listening on ").strip()
    with httpx.Client(trust_env=False) as client:
        assert (
            client.post(
                url + "hook?target_events=run.output",
                json={"event_type": "run.updated", "status": "running"},
                headers={"X-Test": "yes"},
            ).status_code
            == 200
        )
        client.request("GET", url + "hook", content=b'{"retry": 2}')
        client.put(url + "bin", content=b"\xff\x00")
    lines = [json.loads(listener_json.next_line()) for _ in range(3)]
    post, get, put = lines
    for line in lines:
        assert {"method", "path", "query", "headers", "body", "json", "received_at"} <= set(line)
        assert line["received_at"].endswith("Z")
    assert (post["method"], post["path"], post["query"]) == (
        "POST",
        "/hook",
        "target_events=run.output",
    )
    assert ["x-test", "yes"] in post["headers"]
    assert post["json"] == {"event_type": "run.updated", "status": "running"}
    assert json.loads(post["body"]) == post["json"]
    assert (get["method"], get["body"], get["json"]) == ("GET", '{"retry": 2}', {"retry": 2})
    assert put["body_encoding"] == "base64" and base64.b64decode(put["body"]) == b"\xff\x00"
    assert put["json"] is None
    code, stderr = listener_json.stop()
    assert code == 0 and "Traceback" not in stderr


def test_listen_text_lines_and_configured_status() -> None:
    listener = Listener("--port", "0", "--status", "503")
    try:
        url = listener.next_line().removeprefix("Listening on ").strip()
        answer = httpx.post(
            url + "x",
            json={"event_type": "run.updated", "status": "success", "run_id": "r-1"},
            trust_env=False,
        )
        assert answer.status_code == 503
        line = listener.next_line()
        assert " #1 POST /x run.updated success run r-1" in line
        code, stderr = listener.stop(signal.SIGTERM)
        assert code == 0 and "Traceback" not in stderr
    finally:
        listener.stop(signal.SIGKILL)


def test_a_port_in_use_is_one_clear_line() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "composer", "listen", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    assert result.returncode == 1
    assert result.stderr.startswith(f"composer: cannot listen on 127.0.0.1:{port}")
    assert "Traceback" not in result.stderr and result.stdout == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--status", "99"], "200 to 599"),
        (["--status", "abc"], "not a number"),
        (["--delay", "-1"], "negative"),
    ],
)
def test_bad_options_exit_2(args: list[str], message: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "composer", "listen", *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2 and message in result.stderr
