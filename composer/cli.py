"""The ``composer`` command: the GUI by default, and subcommands for scripts and terminals.

Each subcommand lives in its own module under ``composer.commands`` and is imported only when
used, so ``composer preview`` never loads Qt and ``composer --version`` starts instantly.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from composer import __version__

# name -> (module under composer.commands, one-line help). Each module has add_arguments and run.
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "gui": ("gui", "open the composer window (the default)"),
    "preview": ("preview", "print a preset's exact request body, or a snippet that sends it"),
    "submit": ("submit", "send a preset's request and follow its runs to the end"),
    "history": ("history", "list the runs you sent (the local history), newest first"),
    "sandbox": ("sandbox", "serve a local ComfyDeploy API (the sandbox) until Ctrl+C"),
    "listen": ("listen", "receive webhooks locally and print each request"),
    "simulate": ("simulate", "send simulated ComfyDeploy webhooks to a handler and report"),
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser; with ``command``, only that subcommand's options are registered.

    Every subcommand is listed (with its help line) either way, but a subcommand's module is
    imported only to register its options: the sandbox's brings FastAPI, submit's httpx and
    pydantic, and ``composer gui`` must not wait for them before its window shows.
    """
    parser = argparse.ArgumentParser(
        prog="composer",
        description="Compose, send and track ComfyDeploy runs, and test their webhooks locally.",
    )
    parser.add_argument("--version", action="version", version=f"composer {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        sub = subparsers.add_parser(name, help=help_text, description=help_text)
        if command is None or name == command:
            importlib.import_module(f"composer.commands.{module_name}").add_arguments(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit code."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    # "composer", "composer PRESET" and "composer --screenshot X" all mean the GUI.
    if not args_list or (args_list[0] not in SUBCOMMANDS and args_list[0] not in _TOP_LEVEL_FLAGS):
        args_list = ["gui", *args_list]
    parser = build_parser(args_list[0] if args_list[0] in SUBCOMMANDS else None)
    args = parser.parse_args(args_list)
    module = importlib.import_module(f"composer.commands.{SUBCOMMANDS[args.command][0]}")
    try:
        result: int = module.run(args)
    except KeyboardInterrupt:
        return 130
    return result


_TOP_LEVEL_FLAGS = {"--version", "-h", "--help"}
