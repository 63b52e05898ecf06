"""``composer sandbox``: serve the local ComfyDeploy API until Ctrl+C.

The first line on stdout is ``Sandbox listening on http://HOST:PORT/api`` (flushed at once, so a
script can wait for it). Ctrl+C or SIGTERM stops the server cleanly with exit code 0.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType

from composer.commands import non_negative_number, positive_number
from composer.servers.sandbox.config import DEFAULT_PORT


def _share(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text} is not a share between 0 and 1")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the subcommand's options."""
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0: any)"
    )
    parser.add_argument(
        "--token", help="accept only this API key (default: any non-empty bearer token)"
    )
    parser.add_argument("--seed", type=int, help="make run ids, timings and outcomes repeatable")
    parser.add_argument(
        "--speed", type=positive_number, default=1.0, help="divide every delay by X (default 1)"
    )
    parser.add_argument(
        "--fail-rate", type=_share, default=0.0, help="share of runs that fail (0 to 1)"
    )
    parser.add_argument(
        "--timeout-rate", type=_share, default=0.0, help="share of runs that time out (0 to 1)"
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=2,
        help="runs executing at once per model or deployment (default 2)",
    )
    parser.add_argument(
        "--webhook-get-retries",
        action="store_true",
        help="send webhook retries as GET, like the real service's quirk",
    )
    faults = parser.add_argument_group("fault injection")
    faults.add_argument(
        "--latency", type=non_negative_number, default=0.0, help="seconds added to every answer"
    )
    faults.add_argument(
        "--error-rate", type=_share, default=0.0, help="share of requests answered 500/502/503"
    )
    faults.add_argument(
        "--drop-rate",
        type=_share,
        default=0.0,
        help="share of requests handled, then dropped without an answer",
    )
    faults.add_argument(
        "--webhook-duplicate-rate", type=_share, default=0.0, help="share of webhooks sent twice"
    )
    faults.add_argument(
        "--webhook-reorder", action="store_true", help="deliver webhooks out of order"
    )


def run(args: argparse.Namespace) -> int:
    """Serve until interrupted; exit 0 after a clean stop, 1 when the port cannot be used."""
    from composer.servers.background import ServerStartError
    from composer.servers.sandbox import FaultConfig, Sandbox, SandboxConfig

    if args.concurrency < 1:
        print("composer: --concurrency must be at least 1", file=sys.stderr)
        return 2
    config = SandboxConfig(
        token=args.token or None,
        seed=args.seed,
        speed=args.speed,
        fail_rate=args.fail_rate,
        timeout_rate=args.timeout_rate,
        concurrency=args.concurrency,
        webhook_get_retries=args.webhook_get_retries,
        faults=FaultConfig(
            latency=args.latency,
            error_rate=args.error_rate,
            drop_rate=args.drop_rate,
            webhook_duplicate_rate=args.webhook_duplicate_rate,
            webhook_reorder=args.webhook_reorder,
        ),
    )
    sandbox = Sandbox(config, host=args.host, port=args.port)
    stop = threading.Event()

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    # Installed before the "listening" line, so a script may send SIGTERM as soon as it reads it.
    previous = signal.signal(signal.SIGTERM, on_signal)
    try:
        try:
            sandbox.start()
        except ServerStartError as exc:
            print(f"composer: {exc} (is another sandbox running? try --port 0)", file=sys.stderr)
            return 1
        print(f"Sandbox listening on {sandbox.listen_url}", flush=True)
        print(
            f"Try: curl -H 'Authorization: Bearer {config.token or 'any-token'}' "
            f"{sandbox.base_url}/models   (Ctrl+C stops)",
            file=sys.stderr,
            flush=True,
        )
        while not stop.wait(0.5) and sandbox.running:
            pass
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        sandbox.stop()
    print("Sandbox stopped", file=sys.stderr, flush=True)
    return 0
