"""One module per ``composer`` subcommand, each with ``add_arguments(parser)`` and ``run(args)``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def preset_argument(text: str) -> Path:
    """An argparse ``type`` for PRESET: the path as typed, or the preset it names.

    A path that does not exist may still name a library preset or a shipped sample by its file
    name (``composer submit batch-grid-3x3``); the substitution is said on stderr so nobody is
    surprised by which file was used.
    """
    given = Path(text)
    if given.exists():  # the usual case: no need to load the library (and pydantic) for it
        return given
    from composer.core.library import find_preset_file

    found = find_preset_file(given)
    if found is None or found == given:
        return given
    print(f"composer: note: {text} is not a file; using {found}", file=sys.stderr)
    return found


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None


def positive_number(text: str) -> float:
    """An argparse ``type`` for a number greater than 0 (a speed, a time limit)."""
    value = _number(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text} must be greater than 0")
    return value


def non_negative_number(text: str) -> float:
    """An argparse ``type`` for a number of 0 or more (a delay)."""
    value = _number(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} must not be negative")
    return value
