"""Problems where they happen: each error or warning path marks the widget that owns it.

Local validation (:func:`composer.core.validation.validate_body`) and a server's 422
(:func:`composer.core.validation.errors_from_422`) both give ``FieldError`` values whose ``loc``
is a path into the body. Widgets register as the owner of a path prefix (``("webhook",)``,
``("inputs",)``, ``("batch_input_params",)``); :class:`ProblemMarker` hands each owner the
problems under its prefix, with paths relative to it, so a table can mark one cell. Problems no
widget owns are kept in :attr:`ProblemMarker.unplaced` for a general list.

Server errors stay until the user edits the path they point at (or anything above it).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Literal, NamedTuple, Protocol

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QWidget

from composer.core.draft import DraftChange, Loc, path_text
from composer.ui.theme import problem_style

if TYPE_CHECKING:
    from composer.core.validation import FieldError, RequestWarning, Validation

Level = Literal["error", "warning"]


# A NamedTuple: defined at start-up, where a dataclass would cost ten times as much.
class Problem(NamedTuple):
    """One message at a path (relative to the owner that receives it)."""

    loc: Loc
    message: str
    level: Level = "error"
    source: Literal["local", "server"] = "local"

    @property
    def text(self) -> str:
        """The message as shown next to a widget (server messages say so)."""
        return f"Server: {self.message}" if self.source == "server" else self.message


class ProblemSink(Protocol):
    """A widget that can show problems under its path; an empty list clears them."""

    def show_problems(self, problems: Sequence[Problem]) -> None:
        """Show these problems (relative paths) and clear any others."""


class ProblemMarker(QObject):
    """Routes problems to the widgets owning their paths."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._owners: dict[Loc, ProblemSink] = {}
        self._local: list[Problem] = []
        self._server: list[Problem] = []
        self.unplaced: list[Problem] = []

    def register(self, prefix: Loc, sink: ProblemSink) -> None:
        """Make ``sink`` the owner of problems at ``prefix`` and below (longest prefix wins)."""
        self._owners[prefix] = sink

    @property
    def problems(self) -> list[Problem]:
        """Every current problem with its full path, server errors first."""
        return [*self._server, *self._local]

    @property
    def errors(self) -> list[Problem]:
        """The problems that are errors."""
        return [problem for problem in self.problems if problem.level == "error"]

    def show_validation(self, validation: Validation, extra: Iterable[RequestWarning] = ()) -> None:
        """Show local errors and warnings (replacing the previous local ones); ``extra`` adds
        warnings of checks beyond the schema (declared input types, the webhook URL)."""
        local = [Problem(error.loc, error.message, "error") for error in validation.errors]
        local += [Problem(w.loc, w.message, "warning") for w in (*validation.warnings, *extra)]
        self._local = local
        self._dispatch()

    def show_server_errors(self, errors: Iterable[FieldError]) -> None:
        """Show errors a server answered (a 422's ``detail`` through ``errors_from_422``).

        They replace earlier server errors and stay until the user edits their path.
        """
        self._server = [Problem(e.loc, e.message, "error", "server") for e in errors]
        self._dispatch()

    def clear_server_errors(self) -> None:
        """Remove every server error (a new request was sent, or the preset changed)."""
        if self._server:
            self._server = []
            self._dispatch()

    def forget_edited(self, change: DraftChange) -> None:
        """Drop the server errors whose path the change touched (the user acted on them)."""
        if not self._server:
            return
        kept = [problem for problem in self._server if not change.touches(problem.loc)]
        if len(kept) != len(self._server):
            self._server = kept
            self._dispatch()

    def _owner_of(self, loc: Loc) -> Loc | None:
        for length in range(len(loc), 0, -1):
            if loc[:length] in self._owners:
                return loc[:length]
        return None

    def _dispatch(self) -> None:
        grouped: dict[Loc, list[Problem]] = {prefix: [] for prefix in self._owners}
        unplaced: list[Problem] = []
        for problem in self.problems:
            prefix = self._owner_of(problem.loc)
            if prefix is None:
                unplaced.append(problem)
                continue
            relative = problem.loc[len(prefix) :]
            grouped[prefix].append(
                Problem(relative, problem.message, problem.level, problem.source)
            )
        for prefix, problems in grouped.items():
            self._owners[prefix].show_problems(problems)
        self.unplaced = unplaced


def describe(problem: Problem) -> str:
    """``inputs.seed: message`` (``body`` for the whole body)."""
    return f"{path_text(problem.loc) or 'body'}: {problem.text}"


def worst_level(problems: Sequence[Problem]) -> Level | None:
    """``"error"`` if any problem is an error, ``"warning"`` if any is a warning, else None."""
    if any(problem.level == "error" for problem in problems):
        return "error"
    return "warning" if problems else None


def mark_widget(widget: QWidget, problems: Sequence[Problem]) -> None:
    """Show problems on a plain widget: a red or amber border and the messages as tooltip."""
    level = worst_level(problems)
    if widget.property("problem") != level:
        widget.setProperty("problem", level)
        problem_style(widget, level)
    base_tip = widget.property("baseToolTip")
    if base_tip is None:
        base_tip = widget.toolTip()
        widget.setProperty("baseToolTip", base_tip)
    messages = "\n".join(problem.text for problem in problems)
    widget.setToolTip("\n\n".join(part for part in (messages, str(base_tip)) if part))
