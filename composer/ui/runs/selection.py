"""What the runs panel has selected, as plain values for the detail pages (no Qt).

Detail pages (the outputs gallery, the batch grid, the webhook timeline...) receive these through
``show_selection`` (see :mod:`composer.ui.runs.view`), so they can be written and
tested without the panel.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from composer.core.batch import batch_params
from composer.core.runs import RunState
from composer.ui.runs import texts

if TYPE_CHECKING:  # the client (and httpx) load after the window shows
    from composer.client.session import Submission


@dataclass(frozen=True, slots=True)
class BatchSnapshot:
    """A batch as it stands: one entry per combination, in the server's order.

    ``combinations[i]`` is run ``i``'s full ``inputs``; ``states[i]`` its current state (None
    while its run id is not known); ``statuses[i]`` the chip its row shows
    (:func:`composer.ui.runs.cells.run_status`). :attr:`params` are the batch columns
    (``batch_input_params``), whose first two make the rows and columns of a grid.
    """

    submission: Submission
    combinations: tuple[Mapping[str, Any], ...]
    states: tuple[RunState | None, ...]
    statuses: tuple[str, ...]

    @property
    def label(self) -> str:
        """The preset's (or model's) name."""
        return self.submission.label

    @property
    def params(self) -> dict[str, list[Any]]:
        """The batch columns, in key order ({} for ``batch_number`` copies)."""
        return batch_params(self.submission.sent_body) or {}

    @property
    def done(self) -> int:
        """How many runs count as done, as on the batch's row (:data:`texts.DONE_STATUSES`)."""
        return sum(1 for status in self.statuses if status in texts.DONE_STATUSES)


@dataclass(frozen=True, slots=True)
class RunSelection:
    """The selected row: a run (``state``, None while its id is unknown), a whole batch
    (``batch``), or nothing (both None and ``submission`` None)."""

    submission: Submission | None = None
    state: RunState | None = None
    batch: BatchSnapshot | None = None
    index: int | None = None
    """For a run of a batch: its combination index."""

    @property
    def run_id(self) -> str | None:
        """The selected run's id, once known (None for a batch or nothing)."""
        if self.state is not None:
            return self.state.run_id
        if self.submission is None or self.batch is not None:
            return None
        position = self.index or 0
        run_ids = self.submission.run_ids
        return run_ids[position] if position < len(run_ids) else None
