"""Which runs belong to which batch: the bookkeeping of batch discovery, free of I/O.

The API answers a batch with ``{"batch_id"}`` only. Runs that may belong to it turn up later (in
a deployment's run list, or named by a webhook); each is placed in the first free combination of
a pending batch whose inputs it has (:func:`composer.core.batch.expand_runs` order), or rejected
as someone else's run. :class:`~composer.client.group.TrackerGroup` does the requests and asks
this module what to make of the answers.
"""

from __future__ import annotations

from collections.abc import Container, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from composer.client.results import BatchQueued
from composer.core.runs import RunUpdate

# Clock difference tolerated between this machine and the API when matching batch runs by time.
CLOCK_SKEW: Final = 120.0


@dataclass(frozen=True, slots=True)
class BatchProgress:
    """How far the discovery of a batch's runs got: ``run_ids[i]`` is the run of combination
    ``i`` (``expected[i]`` its inputs), None until found. ``error`` says why discovery stopped."""

    batch_id: str
    expected: tuple[Mapping[str, Any], ...]
    run_ids: tuple[str | None, ...]
    deployment_id: str | None = None
    error: str | None = None

    @property
    def found(self) -> int:
        """How many runs of the batch are known."""
        return sum(run_id is not None for run_id in self.run_ids)

    @property
    def complete(self) -> bool:
        """True when every run of the batch is known."""
        return self.found == len(self.run_ids)


@dataclass(slots=True)
class BatchSlots:
    """One batch being resolved: a slot per combination, filled with run ids as they turn up."""

    batch_id: str
    expected: list[Mapping[str, Any]]
    slots: list[str | None]
    deployment_id: str | None
    not_before: float  # epoch seconds: runs created before this are not ours
    deadline: float  # loop time when discovery gives up
    error: str | None = None

    @property
    def pending(self) -> bool:
        """True while runs are missing and discovery goes on."""
        return self.error is None and None in self.slots

    def free(self) -> list[int]:
        """Indexes of the combinations without a run yet."""
        return [index for index, run_id in enumerate(self.slots) if run_id is None]

    def match(self, inputs: Mapping[str, Any] | None) -> int | None:
        """The first free combination these inputs are (creation order when inputs are unknown)."""
        free = self.free()
        if not free:
            return None
        if inputs is None:
            return free[0]
        for index in free:
            if all(inputs.get(key) == value for key, value in self.expected[index].items()):
                return index
        return None

    def may_own(self, row: RunUpdate) -> bool:
        """True when a listed run was created late enough to be one of this batch's."""
        created = row.timings.created_at if row.timings else None
        return created is None or created.timestamp() >= self.not_before

    def missing_message(self) -> str:
        """Why discovery stopped with runs missing."""
        how = "listing the deployment's runs" if self.deployment_id else "webhook events"
        return (
            f"{len(self.free())} of {len(self.slots)} runs of batch {self.batch_id} were not "
            f"found through {how}"
        )

    def progress(self) -> BatchProgress:
        """An immutable snapshot."""
        return BatchProgress(
            self.batch_id, tuple(self.expected), tuple(self.slots), self.deployment_id, self.error
        )


@dataclass(slots=True)
class Candidate:
    """A run that may belong to a pending batch; its updates wait until it is placed."""

    run_id: str
    updates: list[RunUpdate] = field(default_factory=list)
    errors: int = 0


class BatchBook:
    """Every batch of a group, the candidate runs, and the runs known not to be ours."""

    def __init__(self) -> None:
        self.batches: dict[str, BatchSlots] = {}
        self.candidates: dict[str, Candidate] = {}
        self.rejected: set[str] = set()

    def add(self, batch: BatchQueued, submitted_at: float, deadline: float) -> BatchSlots:
        """Start resolving a batch answer."""
        slots = BatchSlots(
            batch.batch_id,
            list(batch.runs),
            [None] * len(batch.runs),
            batch.deployment_id,
            submitted_at - CLOCK_SKEW,
            deadline,
        )
        self.batches[batch.batch_id] = slots
        return slots

    def pending(self) -> list[BatchSlots]:
        """Batches still missing runs."""
        return [batch for batch in self.batches.values() if batch.pending]

    @property
    def unresolved(self) -> bool:
        """True while a batch misses runs or a candidate waits for its verdict."""
        return bool(self.candidates) or any(batch.pending for batch in self.batches.values())

    def new_rows(
        self, batch: BatchSlots, rows: tuple[RunUpdate, ...], known: Container[str]
    ) -> list[RunUpdate]:
        """Listed runs worth a look for ``batch``: not known, not judged, created late enough;
        oldest first, as the server created the batch's runs."""
        fresh = [
            row
            for row in rows
            if row.run_id not in known
            and row.run_id not in self.rejected
            and row.run_id not in self.candidates
            and batch.may_own(row)
        ]
        return sorted(fresh, key=_created_key)

    def consider(self, update: RunUpdate) -> Candidate | None:
        """Note an update about an unknown run; returns a new candidate to look at, if any."""
        if update.run_id in self.rejected:
            return None
        candidate = self.candidates.get(update.run_id)
        if candidate is not None:
            candidate.updates.append(update)
            return None
        if not self.pending():
            return None
        candidate = Candidate(update.run_id, [update])
        self.candidates[update.run_id] = candidate
        return candidate

    def place(self, run_id: str, inputs: Mapping[str, Any] | None) -> tuple[BatchSlots, int] | None:
        """Put a run in the first pending batch it fits, or reject it for good."""
        for batch in self.pending():
            index = batch.match(inputs)
            if index is not None:
                batch.slots[index] = run_id
                return batch, index
        self.rejected.add(run_id)
        return None


def _created_key(row: RunUpdate) -> float:
    """Sort key: creation time (epoch seconds), unknown times last."""
    created = row.timings.created_at if row.timings else None
    return created.timestamp() if created is not None else float("inf")
