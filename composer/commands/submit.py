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
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from composer.client import errors
from composer.client.api import ApiClient
from composer.client.group import PollSchedule, TrackerGroup
from composer.client.results import (
    BatchQueued,
    FirstResult,
    NativeRun,
    RunQueued,
    StreamOpened,
    SubmitResult,
    SyncOutputs,
)
from composer.commands.submit_follow import Follower, mask_secrets, save_first_result
from composer.commands.submit_view import (
    JsonLinesView,
    SubmitView,
    TerminalView,
    fields_of_error,
)
from composer.commands.submit_webhooks import WebhookCatcher, is_loopback
from composer.core.endpoints import is_batch
from composer.core.presets import Preset, PresetError, load_preset
from composer.core.runs import initial_state, merge
from composer.core.snippets import KEY_VARIABLE
from composer.core.targets import NAMED_TARGETS, base_url_for, is_url
from composer.core.wire import RequestKind

EXIT_OK: Final = 0
EXIT_RUN_FAILED: Final = 1
EXIT_BAD_INPUT: Final = 2
EXIT_API_ERROR: Final = 3
EXIT_INTERRUPTED: Final = 130
SANDBOX: Final = "sandbox"
DEFAULT_SANDBOX_SPEED: Final = 5.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the subcommand's options."""
    parser.add_argument("preset", type=Path, help="a preset file (or a bare request body JSON)")
    parser.add_argument(
        "--target",
        help="where to send it: sandbox (a built-in sandbox for this command), a target name "
        "(comfydeploy, staging, self-hosted) or a base URL ending in /api; default: the "
        "preset's target, else comfydeploy when $COMFY_DEPLOY_API_KEY is set, else sandbox",
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
        "--sandbox-speed",
        type=_positive,
        default=DEFAULT_SANDBOX_SPEED,
        help=f"speed factor of the built-in sandbox (default {DEFAULT_SANDBOX_SPEED:g})",
    )


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text} must be greater than 0")
    return value


@dataclass
class Plan:
    """What one ``composer submit`` does, resolved from the arguments and the environment."""

    preset: Preset
    target: str  # the name shown in messages
    base_url: str | None  # None: start the built-in sandbox
    api_key: str | None
    wait: bool
    download: Path | None
    sandbox_speed: float


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
        if plan.base_url is None:
            sandbox, plan.base_url, plan.api_key = _start_sandbox(plan.sandbox_speed, view)
            if sandbox is None:
                return EXIT_API_ERROR
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
    api_key = os.environ.get(KEY_VARIABLE) or None
    target = args.target or preset.target or ("comfydeploy" if api_key else SANDBOX)
    if not is_url(target) and target.strip().lower() not in NAMED_TARGETS:
        names = ", ".join(sorted(NAMED_TARGETS))
        print(
            f"composer: unknown target {target!r}: use one of {names}, or a base URL "
            f"ending in /api",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    builtin = target.strip().lower() == SANDBOX
    return Plan(
        preset=preset,
        target=target,
        base_url=None if builtin else base_url_for(target),
        api_key=api_key,
        wait=args.wait or builtin,
        download=args.download,
        sandbox_speed=args.sandbox_speed,
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


def _needs_catcher(plan: Plan) -> bool:
    """A model batch to follow, on this machine, without a webhook of its own (see
    :mod:`composer.commands.submit_webhooks`)."""
    body = plan.preset.request
    return (
        plan.wait
        and plan.preset.kind is RequestKind.MODEL
        and is_batch(body)
        and not body.get("is_native_run")
        and not body.get("webhook")
        and plan.base_url is not None
        and is_loopback(plan.base_url)
    )


async def _submit(plan: Plan, view: SubmitView) -> int:
    catcher = WebhookCatcher() if _needs_catcher(plan) else None
    try:
        if catcher is not None:
            url = catcher.start()
            plan.preset.request = {**plan.preset.request, "webhook": url}
            view.note(
                f"added webhook {url} to the request: the API names the runs of a model batch "
                f"only in their webhook events"
            )
        return await _send(plan, view, catcher)
    finally:
        if catcher is not None:
            catcher.stop()


async def _send(plan: Plan, view: SubmitView, catcher: WebhookCatcher | None) -> int:
    assert plan.base_url is not None
    preset = plan.preset
    async with ApiClient(plan.base_url, plan.api_key, target=plan.target) as api:
        try:
            result = await api.submit(preset.request, preset.kind)
        except asyncio.CancelledError:
            view.note("interrupted while sending: the run may exist, and was not cancelled")
            raise
        except (errors.ValidationFailedError, errors.BadRequestError) as exc:
            view.error(str(exc), **fields_of_error(exc))
            return EXIT_BAD_INPUT
        except errors.ApiError as exc:
            view.error(str(exc), **fields_of_error(exc))
            return EXIT_API_ERROR
        view.submitted(**_submitted_fields(result, api))
        return await _after_submit(plan, view, api, result, catcher)


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
    plan: Plan,
    view: SubmitView,
    api: ApiClient,
    result: SubmitResult,
    catcher: WebhookCatcher | None,
) -> int:
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
    async with TrackerGroup(api, schedule=PollSchedule(), concurrency=8) as group:
        follower = Follower(group, view, api, plan.download)
        match result:
            case RunQueued(run_id=run_id):
                group.track(run_id)
            case BatchQueued():
                if result.count == 0:
                    view.note("the batch has an empty column: the server started no runs")
                    return EXIT_OK
                if result.deployment_id is None and catcher is None:
                    view.note(
                        "the API names the runs of a model batch only in webhook events, which "
                        "this command cannot receive here: follow them through your webhook"
                    )
                    return EXIT_OK
                group.track_batch(result)
                if catcher is not None:
                    loop = asyncio.get_running_loop()

                    def to_group(payload: Any) -> None:
                        loop.call_soon_threadsafe(group.feed_webhook, payload)

                    catcher.attach(to_group)
            case StreamOpened(stream=stream):
                group.attach_stream(stream)
            case SyncOutputs(outputs=outputs, run_id=run_id):
                return await _finish_sync(follower, api, outputs, run_id)
        return await follower.follow()


async def _finish_sync(follower: Follower, api: ApiClient, outputs: Any, run_id: str | None) -> int:
    """A sync run already ended: one GET for its final status, then its outputs."""
    if run_id is None:
        follower.view.note("the run saved no outputs")
        return EXIT_OK
    try:
        update = await api.get_run(run_id)
    except errors.ApiError as exc:
        follower.view.error(str(exc), **fields_of_error(exc))
        return EXIT_API_ERROR
    state = merge(initial_state(run_id), update) or initial_state(run_id)
    return await follower.finish_one(state)
