"""``composer submit PRESET``: send a preset's request and follow its runs to the end.

Exit codes: 0 every run succeeded (or the request was accepted, without ``--wait``); 1 a run
failed, timed out or was cancelled; 2 a bad preset or bad arguments, or a request the server
refused as invalid (400/422); 3 an API or network error; 130 interrupted by Ctrl+C (the runs it
started are cancelled first).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Final

from composer.client import errors
from composer.client.access import KeySource, TargetAccess, resolve_access
from composer.client.api import ApiClient
from composer.client.group import PollSchedule
from composer.client.results import (
    BatchQueued,
    FirstResult,
    NativeRun,
    RunQueued,
    StreamOpened,
    SubmitResult,
    SyncOutputs,
)
from composer.client.session import Session, Submission
from composer.commands import positive_number, preset_argument
from composer.commands.submit_follow import (
    EXIT_API_ERROR,
    EXIT_BAD_INPUT,
    EXIT_INTERRUPTED,
    EXIT_OK,
    Follower,
    mask_secrets,
    save_first_result,
)
from composer.commands.submit_view import (
    JsonLinesView,
    SubmitView,
    TerminalView,
    fields_of_error,
)
from composer.commands.submit_webhooks import WebhookCatcher
from composer.core.history import HistoryError, HistoryStore
from composer.core.presets import Preset, PresetError, load_preset
from composer.core.profiles import ProfileError, ProfileStore, UnknownProfileError
from composer.core.snippets import KEY_VARIABLE

SANDBOX: Final = "sandbox"
DEFAULT_SANDBOX_SPEED: Final = 5.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the subcommand's options."""
    parser.add_argument(
        "preset",
        type=preset_argument,
        help="a preset file (or a bare request body JSON), or a library preset or sample by name",
    )
    parser.add_argument(
        "--target",
        help="where to send it: sandbox (a built-in sandbox for this command), a profile name "
        "(comfydeploy, staging, self-hosted, or one you added in the window; its key comes from "
        "the OS keyring unless $COMFY_DEPLOY_API_KEY is set) or a base URL ending in /api; "
        "default: the preset's target, else comfydeploy when $COMFY_DEPLOY_API_KEY is set, else "
        "sandbox",
    )
    parser.add_argument(
        "--wait",
        action="store_true",
        help="follow the runs to their end (always on with the built-in sandbox)",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="print one JSON object per line (the default when stdout is not a terminal)",
    )
    parser.add_argument("--download", type=Path, metavar="DIR", help="save the outputs in DIR")
    parser.add_argument(
        "--no-history",
        action="store_true",
        help="do not record this submission in the local history",
    )
    parser.add_argument(
        "--sandbox-speed",
        type=positive_number,
        default=DEFAULT_SANDBOX_SPEED,
        help=f"speed factor of the built-in sandbox (default {DEFAULT_SANDBOX_SPEED:g})",
    )


@dataclass
class Plan:
    """What one ``composer submit`` does, resolved from the arguments, the profiles and the
    environment."""

    preset: Preset
    access: TargetAccess  # the built-in sandbox's gets its URL and token once started
    builtin_sandbox: bool  # start a sandbox for this command
    wait: bool
    download: Path | None
    sandbox_speed: float
    history: bool = True


def run(args: argparse.Namespace) -> int:
    """Send the preset; returns the exit code (see the module docstring)."""
    as_json = args.json or not sys.stdout.isatty()
    view: SubmitView
    if as_json:
        view = JsonLinesView(sys.stdout, sys.stderr)
    else:
        size = shutil.get_terminal_size()
        view = TerminalView(sys.stdout, sys.stderr, width=size.columns, max_lines=size.lines - 3)
    plan = _plan(args, view)
    if isinstance(plan, int):
        return plan
    sandbox = None
    try:
        if plan.builtin_sandbox:
            sandbox, base_url, token = _start_sandbox(plan.sandbox_speed, view)
            if sandbox is None:
                return EXIT_API_ERROR
            plan.access = replace(plan.access, base_url=base_url, api_key=token)
        return asyncio.run(_submit(plan, view))
    except KeyboardInterrupt:
        view.note("interrupted")
        return EXIT_INTERRUPTED
    finally:
        view.close()
        if sandbox is not None:
            sandbox.stop()


def _plan(args: argparse.Namespace, view: SubmitView) -> Plan | int:
    try:
        preset = load_preset(args.preset, allow_bare=True)
    except PresetError as exc:
        print(f"composer: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    for note in preset.notes:
        view.note(f"note: {args.preset}: {note}")
    if args.download is not None and args.download.exists() and not args.download.is_dir():
        print(f"composer: --download {args.download}: not a folder", file=sys.stderr)
        return EXIT_BAD_INPUT
    env_key = os.environ.get(KEY_VARIABLE) or None
    wanted = args.target or preset.target or ("comfydeploy" if env_key else SANDBOX)
    try:
        profiles = ProfileStore()
        profile = profiles.resolve(wanted)
    except UnknownProfileError as exc:
        print(f"composer: {str(exc).replace('no target named', 'unknown target', 1)}",
              file=sys.stderr)  # fmt: skip
        return EXIT_BAD_INPUT
    except ProfileError as exc:  # a bad URL, or profiles.json unusable
        print(f"composer: --target {wanted}: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if profile.is_sandbox:  # started by this command, with a token of its own
        access = TargetAccess(profile.name, "", None, profile.id, KeySource.BUILTIN)
    else:
        access = resolve_access(profiles, profile)
    return Plan(
        preset=preset,
        access=access,
        builtin_sandbox=profile.is_sandbox,
        wait=args.wait or profile.is_sandbox,
        download=args.download,
        sandbox_speed=args.sandbox_speed,
        history=not args.no_history,
    )


def _start_sandbox(speed: float, view: SubmitView) -> tuple[Any, str, str]:
    """Start the built-in sandbox; it lives as long as this command."""
    import secrets

    from composer.servers.background import ServerStartError
    from composer.servers.sandbox import Sandbox, SandboxConfig

    token = secrets.token_urlsafe(16)
    sandbox = Sandbox(SandboxConfig(token=token, speed=speed))
    try:
        base_url = sandbox.start()
    except ServerStartError as exc:
        view.error(f"the built-in sandbox did not start: {exc}", kind="ServerStartError")
        return None, "", ""
    view.note(f"using the built-in sandbox at {base_url} (it stops when this command ends)")
    return sandbox, base_url, token


def _open_history(plan: Plan, view: SubmitView) -> HistoryStore | None:
    """The history database, or None (with a note) when it is turned off or unusable."""
    if not plan.history:
        return None
    try:
        return HistoryStore()
    except HistoryError as exc:
        view.note(f"this submission is not recorded in the history: {exc}")
        return None


async def _submit(plan: Plan, view: SubmitView) -> int:
    catcher: WebhookCatcher | None = None
    holder: list[Session] = []

    async def local_webhook() -> str:
        # A model batch on this machine: its runs are named only in their webhook events.
        nonlocal catcher
        catcher = WebhookCatcher()
        url = catcher.start()
        catcher.attach(lambda payload: holder[0].feed_webhook_threadsafe(payload))
        return url

    history = _open_history(plan, view)
    try:
        session = Session(
            plan.access, history=history, schedule=PollSchedule(), concurrency=8,
            local_webhook=local_webhook if plan.wait else None,
        )  # fmt: skip
        holder.append(session)
        async with session:
            return await _send(plan, view, session)
    finally:
        if catcher is not None:
            catcher.stop()
        if history is not None:
            history.close()


async def _send(plan: Plan, view: SubmitView, session: Session) -> int:
    preset = plan.preset
    try:
        submission = await session.submit(preset.request, preset.kind, label=preset.name)
    except asyncio.CancelledError:
        view.note("interrupted while sending: the run may exist, and was not cancelled")
        raise
    for note in submission.notes:
        # The local endpoint's notes; the others are said in the command's own words below.
        if note.startswith(("Added webhook", "No local webhook endpoint")):
            view.note(note[0].lower() + note[1:])
    exc = submission.error
    if isinstance(exc, errors.ValidationFailedError | errors.BadRequestError):
        view.error(str(exc), **fields_of_error(exc))
        return EXIT_BAD_INPUT
    if exc is not None:
        view.error(str(exc), **fields_of_error(exc))
        return EXIT_API_ERROR
    assert submission.result is not None
    view.submitted(**_submitted_fields(submission.result, session.api))
    return await _after_submit(plan, view, session, submission)


def _submitted_fields(result: SubmitResult, api: ApiClient) -> dict[str, Any]:
    fields: dict[str, Any] = {"endpoint": result.endpoint.describe(api.base_url)}
    match result:
        case RunQueued(run_id=run_id):
            fields["run_id"] = run_id
        case BatchQueued(batch_id=batch_id, count=count):
            fields["batch_id"] = batch_id
            fields["runs"] = count
        case SyncOutputs(run_id=run_id) | NativeRun(run_id=run_id):
            fields["run_id"] = run_id
        case StreamOpened():
            fields["stream"] = True
        case FirstResult(content_type=content_type, content=content):
            fields["content_type"] = content_type
            fields["bytes"] = len(content)
    return fields


async def _after_submit(
    plan: Plan, view: SubmitView, session: Session, submission: Submission
) -> int:
    result = submission.result
    match result:
        case NativeRun(params=params):
            view.note("is_native_run: the server created the run without running it")
            if isinstance(view, JsonLinesView):
                view.emit("worker_params", params=mask_secrets(params))
            else:
                view.note(f"worker parameters: {sorted(params)}")
            return EXIT_OK
        case FirstResult():
            return await save_first_result(result, plan.download, view)
        case RunQueued() | BatchQueued() if not plan.wait:
            return EXIT_OK
        case BatchQueued(count=0):
            view.note("the batch has an empty column: the server started no runs")
            return EXIT_OK
        case BatchQueued() if submission.discovery_error:
            view.note(
                "the API names the runs of a model batch only in webhook events, which this "
                "command cannot receive here: follow them through your webhook"
            )
            return EXIT_OK
        case SyncOutputs(run_id=None):
            view.note("the run saved no outputs")
            return EXIT_OK
    follower = Follower(session.group, view, session.api, plan.download)
    for state in session.group.states.values():
        follower.seen(state)  # states from before the follower listened
    return await follower.follow()
