"""``composer gui [PRESET] [--screenshot PNG]``: the composer window."""

from __future__ import annotations

import argparse
from pathlib import Path

from composer.commands import preset_argument


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the subcommand's options."""
    parser.add_argument(
        "preset",
        nargs="?",
        type=preset_argument,
        help="a preset file to open, or the name of a library preset or sample",
    )
    parser.add_argument(
        "--screenshot",
        type=Path,
        metavar="PNG",
        help="render the window (with PRESET loaded), save it as a PNG and exit",
    )


def run(args: argparse.Namespace) -> int:
    """Open the window; Qt is imported only here."""
    from composer.app import run_gui

    return run_gui(preset=args.preset, screenshot=args.screenshot)
