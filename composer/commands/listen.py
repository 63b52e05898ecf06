"""``composer listen``: a local webhook receiver that prints every request it gets.

The first stdout line is ``Listening on http://HOST:PORT/``; then one line per request, or one
JSON object per line with ``--json`` (see :mod:`composer.core.webhook_io`). Every line is
flushed at once, so a pipe sees it live. Ctrl+C (or SIGTERM) stops it cleanly with exit code 0.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from types import FrameType

from composer.commands import non_negative_number
from composer.core.webhook_io import format_time, record_to_json_line
from composer.core.webhooks import DEFAULT_RECEIVER_HOST, DEFAULT_RECEIVER_PORT, WebhookRecord
from composer.servers.background import ServerStartError
from composer.servers.receiver import DEFAULT_MAX_BODY, WebhookReceiver, check_status


def _status(text: str) -> int:
    try:
        value = int(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError("not a number") from exc
    try:
        check_status(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the subcommand's options."""
    parser.add_argument(
        "--host",
        default=DEFAULT_RECEIVER_HOST,
        help="address to listen on (default 127.0.0.1; another address lets other machines in)",
    )
    parser.add_argument(
        "--port", type=int, default=DEFAULT_RECEIVER_PORT, help="port (default 8787; 0: any free)"
    )
    parser.add_argument(
        "--status", type=_status, default=200, help="status to answer with (default 200)"
    )
    parser.add_argument(
        "--delay", type=non_negative_number, default=0.0, help="seconds to wait before answering"
    )
    parser.add_argument(
        "--max-body",
        type=int,
        default=DEFAULT_MAX_BODY,
        help=f"larger bodies get 413 (default {DEFAULT_MAX_BODY} bytes)",
    )
    parser.add_argument(
        "--json", action="store_true", help="print one JSON object per request (JSON lines)"
    )


def format_line(record: WebhookRecord) -> str:
    """The human line for one request: time, number, method, target and what it says."""
    return f"{format_time(record.received_at)} {record.summary()}"


class _TerminatedError(Exception):
    """Raised by the SIGTERM handler to leave the loop like Ctrl+C."""


def run(args: argparse.Namespace) -> int:
    """Serve until interrupted; exit 1 with one line on stderr when the port cannot be used."""
    receiver = WebhookReceiver(
        args.host, args.port, status=args.status, delay=args.delay, max_body=args.max_body
    )
    try:
        receiver.start()
    except ServerStartError as exc:
        print(f"composer: {exc}", file=sys.stderr)
        return 1
    if receiver.warning:
        print(f"composer: warning: {receiver.warning}", file=sys.stderr)
    feed = receiver.feed()

    def on_term(signum: int, frame: FrameType | None) -> None:
        raise _TerminatedError

    previous = signal.signal(signal.SIGTERM, on_term)
    try:
        _print(f"Listening on {receiver.listen_url}")
        while True:
            record = feed.get(timeout=0.5)
            if record is not None:
                _print(record_to_json_line(record) if args.json else format_line(record))
    except (KeyboardInterrupt, _TerminatedError):
        return 0
    except BrokenPipeError:
        # The reader went away (``composer listen | head``): stop quietly, as other tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    finally:
        signal.signal(signal.SIGTERM, previous)
        feed.close()
        receiver.stop()


def _print(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()
