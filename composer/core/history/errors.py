"""The history database's errors: one hierarchy, each ``str()`` a sentence a person can act on."""

from __future__ import annotations

from pathlib import Path


class HistoryError(Exception):
    """Any problem with the history database."""


class HistoryFileError(HistoryError):
    """The database file cannot be used as it is. It was not modified; the UI may offer to move
    it aside (:func:`composer.core.history.move_aside_history`) and start a fresh one."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"history database {path}: {reason}")
        self.path = path
        self.reason = reason


class HistoryCorruptError(HistoryFileError):
    """Not a SQLite database, not composer's, or damaged."""


class HistoryTooNewError(HistoryFileError):
    """Written by a newer composer whose schema this one does not know."""

    def __init__(self, path: Path, version: int, supported: int) -> None:
        super().__init__(
            path,
            f"written by a newer composer (schema version {version}; this composer knows up to "
            f"{supported}): update composer, or move the file aside to start a new history",
        )
        self.version = version
        self.supported = supported


class HistoryBusyError(HistoryError):
    """Another process held the database locked for too long; try again."""


class HistoryWriteError(HistoryError):
    """A write failed (disk full, read-only folder, I/O error); nothing of it was stored."""


class UnknownSubmissionError(HistoryError, KeyError):
    """No submission with that id (deleted, pruned, or never recorded)."""

    def __init__(self, submission_id: int) -> None:
        super().__init__(f"no history entry {submission_id} (deleted or pruned?)")
        self.submission_id = submission_id

    def __str__(self) -> str:
        # KeyError's str() adds quotes; keep the sentence readable.
        return str(self.args[0])
