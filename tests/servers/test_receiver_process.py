"""The webhook receiver in a child process: records come back through the pipe, in order."""

from __future__ import annotations

import threading

import httpx

from composer.core.webhooks import WebhookRecord
from composer.servers.receiver_process import ReceiverProcess


def test_records_come_back_through_the_pipe_in_order() -> None:
    receiver = ReceiverProcess()
    records: list[WebhookRecord] = []
    arrived = threading.Event()

    def keep(record: WebhookRecord) -> None:
        records.append(record)
        if len(records) == 21:
            arrived.set()

    receiver.subscribe(keep)
    url = receiver.start()
    try:
        assert url.startswith("http://127.0.0.1:") and receiver.running
        process = receiver.process
        assert process is not None and process.pid is not None
        with httpx.Client(trust_env=False) as http:
            for number in range(20):
                answer = http.post(f"{url}hook?n={number}", json={"run_id": f"r{number}"})
                assert answer.status_code == 200
            http.request("GET", f"{url}hook", content=b"\xff not json")
        assert arrived.wait(10)
        assert receiver.count == 21
        assert [r.json["run_id"] for r in records[:20]] == [f"r{n}" for n in range(20)]
        assert [r.seq for r in records] == list(range(1, 22))
        assert records[3].query == "n=3" and records[3].path == "/hook"
        assert records[20].method == "GET" and records[20].json is None
        assert records[20].body == b"\xff not json"
    finally:
        receiver.stop()
    assert not receiver.running and process.poll() is not None  # the child is gone
    receiver.stop()  # idempotent
