"""Where composer keeps its files: the composer home and the folders inside it.

``COMPOSER_HOME`` overrides the platform's user data folder (tests always set it). Read at call
time, so a test or a user can change it without restarting anything.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "composer"


def composer_home() -> Path:
    """The composer home: ``$COMPOSER_HOME``, else the platform's user data folder."""
    override = os.environ.get("COMPOSER_HOME")
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def presets_dir() -> Path:
    """The folder of the user's preset files."""
    return composer_home() / "presets"


def history_db_path() -> Path:
    """The SQLite history database."""
    return composer_home() / "history.sqlite3"


def drafts_dir() -> Path:
    """Autosaved drafts, used to restore work after a crash."""
    return composer_home() / "drafts"
