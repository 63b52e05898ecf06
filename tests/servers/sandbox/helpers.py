"""Helpers for the sandbox's tests: a real webhook receiver and small HTTP conveniences."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from composer.core.webhooks import WebhookRecord
from composer.servers.receiver import WebhookReceiver
from composer.servers.sandbox.catalogue import SDXL_DEPLOYMENT_ID

SDXL = SDXL_DEPLOYMENT_ID
RESTYLE = "7d3e9b52-1f0a-4c6d-8e2b-5a9c4d7f1e63"
POSTER = "c41a6f0e-92d8-4b3f-a7e5-0d8b2c6e9f14"
UNKNOWN_UUID = "00000000-0000-4000-8000-000000000000"


@dataclass(frozen=True)
class Delivery:
    """One request the receiver got (its JSON object body as a dict; ``{}`` when none)."""

    method: str
    path: str
    query: str
    body: dict[str, Any]

    @classmethod
    def of(cls, record: WebhookRecord) -> Delivery:
        """The delivery that a receiver's record describes."""
        return cls(record.method, record.path, record.query, record.payload)


class Recorder:
    """composer's own :class:`WebhookReceiver`, with the few conveniences these tests use:
    URLs to a path, deliveries as :class:`Delivery`, and answers set as attributes."""

    def __init__(self) -> None:
        self.server = WebhookReceiver()

    @property
    def statuses(self) -> list[int]:
        """Statuses for the next requests, one each (then 200), to test retries; setting this
        queues them (:meth:`WebhookReceiver.answer_next`)."""
        return list(self.server._next_statuses)

    @statuses.setter
    def statuses(self, statuses: list[int]) -> None:
        self.server.answer_next(*statuses)

    @property
    def delay(self) -> float:
        """Seconds before answering, to play a slow receiver."""
        return self.server.delay

    @delay.setter
    def delay(self, seconds: float) -> None:
        self.server.set_answer(delay=seconds)

    @property
    def deliveries(self) -> list[Delivery]:
        """Every request received so far, in arrival order."""
        return [Delivery.of(record) for record in self.server.records()]

    def url(self, path: str = "/hook", query: str = "") -> str:
        """A webhook URL on this receiver."""
        return self.server.url.rstrip("/") + path + (f"?{query}" if query else "")

    def wait_until(self, predicate: Callable[[list[Delivery]], bool], timeout: float = 10) -> None:
        """Block until ``predicate(deliveries)`` holds (fails the test after ``timeout``)."""

        def holds(records: list[WebhookRecord]) -> bool:
            return predicate([Delivery.of(record) for record in records])

        if not self.server.wait_until(holds, timeout):
            raise AssertionError(f"webhooks did not arrive as expected: {self.deliveries}")

    def for_run(self, run_id: str) -> list[Delivery]:
        """The deliveries about one run, in arrival order."""
        return [d for d in self.deliveries if d.body.get("run_id") == run_id]


@contextmanager
def recorder() -> Iterator[Recorder]:
    """A started :class:`Recorder`, stopped afterwards."""
    receiver = Recorder()
    with receiver.server:
        yield receiver


def terminal(deliveries: list[Delivery], run_id: str) -> bool:
    """True once a terminal ``run.updated`` of this run has arrived."""
    return any(
        d.body.get("run_id") == run_id
        and d.body.get("event_type") == "run.updated"
        and d.body.get("status") in ("success", "failed", "timeout", "cancelled")
        for d in deliveries
    )
