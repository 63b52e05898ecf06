"""The sandbox's settings: what the command line and tests choose, readable while it runs.

Both dataclasses are read at the moment each value is used, so a test or the app can change the
speed or a fault share on a running sandbox (``sandbox.faults.error_rate = 0.5``) and the next
request or run step follows it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Final

from composer.core.simulation import DELIVERY_ATTEMPTS, DELIVERY_BACKOFF, DELIVERY_TIMEOUT

DEFAULT_PORT: Final = 3011
DEFAULT_MAX_BODY_BYTES: Final = 32 * 1024 * 1024  # a few base64 images fit; a runaway upload not
# The real service's delivery rules, under the names the sandbox's sender uses.
WEBHOOK_TIMEOUT: Final = DELIVERY_TIMEOUT  # seconds per attempt
WEBHOOK_ATTEMPTS: Final = DELIVERY_ATTEMPTS
WEBHOOK_BACKOFF: Final = DELIVERY_BACKOFF  # before attempt 2 and attempt 3


@dataclass
class FaultConfig:
    """Misbehaviour to inject, all off by default; shares are probabilities from 0 to 1."""

    latency: float = 0.0
    """Seconds added before every API answer (not scaled by the speed factor)."""
    error_rate: float = 0.0
    """Share of API requests answered with a 500, 502 or 503 instead of being handled."""
    drop_rate: float = 0.0
    """Share of API requests that are handled, then the connection is closed without an answer."""
    webhook_duplicate_rate: float = 0.0
    """Share of webhook deliveries sent twice."""
    webhook_reorder: bool = False
    """Deliver each webhook after a random delay, so they arrive out of order."""

    def reset(self) -> None:
        """Turn every fault off again."""
        for item in fields(self):
            setattr(self, item.name, item.default)

    def active(self) -> bool:
        """True when any request-level fault is on."""
        return self.latency > 0 or self.error_rate > 0 or self.drop_rate > 0


@dataclass
class SandboxConfig:
    """How a sandbox behaves. ``speed`` divides every simulated delay (100 = a hundred times
    faster); ``seed`` makes run ids, timings and outcomes reproducible."""

    token: str | None = None
    """With a token only it is accepted; without one any non-empty bearer token is."""
    seed: int | None = None
    speed: float = 1.0
    fail_rate: float = 0.0
    """Share of runs that end ``failed``."""
    timeout_rate: float = 0.0
    """Share of runs that end ``timeout``."""
    concurrency: int = 2
    """Runs executing at once per model or deployment; the rest wait in the queue."""
    webhook_get_retries: bool = False
    """Reproduce the real service's quirk: retry attempts 2 and 3 are sent as GET."""
    webhook_timeout: float = WEBHOOK_TIMEOUT
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    max_batch_runs: int = 1000
    """A larger batch is refused with 400 (the real service would try to start them all)."""
    faults: FaultConfig = field(default_factory=FaultConfig)

    def scaled(self, seconds: float) -> float:
        """A simulated delay in real seconds at the current speed."""
        return seconds / self.speed if self.speed > 0 else seconds
