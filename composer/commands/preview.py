"""``composer preview PRESET``: the exact wire body, or a snippet that sends it."""

from __future__ import annotations

import argparse
import sys

from composer.commands import preset_argument
from composer.core.endpoints import choose_endpoint
from composer.core.presets import PresetError, load_preset
from composer.core.snippets import body_json, snippet
from composer.core.targets import base_url_for


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the subcommand's options."""
    parser.add_argument(
        "preset",
        type=preset_argument,
        help="a preset file (or a bare request body JSON), or a library preset or sample by name",
    )
    style = parser.add_mutually_exclusive_group()
    for language in ("curl", "python", "typescript"):
        style.add_argument(
            f"--{language}",
            dest="language",
            action="store_const",
            const=language,
            help=f"print a {language} snippet that sends the request (key from the environment)",
        )
    style.add_argument(
        "--endpoint", action="store_true", help="print only the method and URL the request goes to"
    )
    parser.add_argument(
        "--target",
        help="base URL or target name for snippets (comfydeploy, staging, self-hosted, sandbox); "
        "default: the preset's target, else production",
    )


def run(args: argparse.Namespace) -> int:
    """Print the body or snippet; exit 2 with one line on stderr for a bad preset."""
    try:
        preset = load_preset(args.preset, allow_bare=True)
    except PresetError as exc:
        print(f"composer: {exc}", file=sys.stderr)
        return 2
    for note in preset.notes:
        print(f"composer: note: {args.preset}: {note}", file=sys.stderr)
    base_url = base_url_for(args.target or preset.target)
    if args.endpoint:
        print(choose_endpoint(preset.request, preset.kind).describe(base_url))
    elif args.language:
        sys.stdout.write(snippet(args.language, base_url, preset.request))
    else:
        print(body_json(preset.request))
    return 0
