"""Received webhook requests: the record type, what a ComfyDeploy payload says, and webhook URLs.

A :class:`WebhookRecord` is one HTTP request exactly as the local receiver saw it (method, raw
path and query, headers in order, raw body bytes) plus the JSON it parsed to, if any. The history
database stores records with exactly the first nine fields; everything else here is derived.

ComfyDeploy payloads (API-CONTRACT section 5) look like
``{"event_type": "run.updated", "status": "running", "live_status": "...", "progress": 0.42,
"run_id": "<uuid>", "outputs": []}``; the properties of the record read them defensively, since a
receiver also records whatever else reaches it.

Related modules: :mod:`composer.core.webhook_io` (JSON lines, copy as curl),
:mod:`composer.core.signing` (signed webhook URLs), :mod:`composer.core.timeline` (what a handler
must cope with in one run's events).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from composer.core.wire import TERMINAL_STATUSES

if TYPE_CHECKING:
    from composer.core.signing import SignatureCheck

RUN_UPDATED: Final = "run.updated"
RUN_OUTPUT: Final = "run.output"
TARGET_EVENTS_PARAM: Final = "target_events"

DEFAULT_RECEIVER_HOST: Final = "127.0.0.1"
DEFAULT_RECEIVER_PORT: Final = 8787

# Shown wherever a receiver is bound to an address other machines can reach.
EXPOSED_WARNING: Final = (
    "The receiver listens on {host}, so other machines on your network can send it requests "
    "and read its answers. Use 127.0.0.1 unless you need that."
)
# Shown next to a local receiver URL: ComfyDeploy's servers cannot call back to this machine.
REMOTE_API_NOTE: Final = (
    "A remote API (ComfyDeploy) cannot reach {url}: expose it through a tunnel and use the "
    "tunnel's URL. The built-in sandbox runs on this machine and can call it directly."
)


@dataclass(frozen=True, slots=True)
class WebhookRecord:
    """One request the receiver got, exactly as it arrived.

    ``path`` and ``query`` are raw (percent-escapes kept, no ``?``), ``headers`` keep their order
    and repeats, ``body`` is the raw bytes and ``json`` the parsed body when it is valid JSON.
    ``signature`` is the signed-URL check (see :mod:`composer.core.signing`) when the receiver
    was given a secret; it is derived data, recomputable from ``query``, and not stored.
    """

    seq: int
    received_at: datetime
    method: str
    path: str
    query: str
    # Mutable values stay out of the hash, so records can be set members and dict keys.
    headers: list[tuple[str, str]] = field(hash=False)
    body: bytes
    json: Any | None = field(hash=False)
    remote: str
    signature: SignatureCheck | None = None

    @property
    def target(self) -> str:
        """Path and query as on the request line (``/hook?target_events=run.output``)."""
        return f"{self.path}?{self.query}" if self.query else self.path

    def header(self, name: str) -> str | None:
        """The first value of a header (case-insensitive), or None."""
        wanted = name.lower()
        for key, value in self.headers:
            if key.lower() == wanted:
                return value
        return None

    @property
    def payload(self) -> dict[str, Any]:
        """The JSON body when it is an object, else an empty dict."""
        return self.json if isinstance(self.json, dict) else {}

    @property
    def run_id(self) -> str | None:
        """The ``run_id`` of a ComfyDeploy payload."""
        return _text(self.payload.get("run_id"))

    @property
    def event_type(self) -> str | None:
        """``run.updated``, ``run.output`` or whatever ``event_type`` the payload names."""
        return _text(self.payload.get("event_type"))

    @property
    def status(self) -> str | None:
        """The run status the payload reports (an open string: unknown values are kept)."""
        return _text(self.payload.get("status"))

    @property
    def live_status(self) -> str | None:
        """Text like ``"Executing KSampler"``."""
        return _text(self.payload.get("live_status"))

    @property
    def progress(self) -> float | None:
        """The progress fraction 0..1 (may carry float32 noise); None when absent or no number."""
        value = self.payload.get("progress")
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        return float(value)

    @property
    def outputs(self) -> list[Any]:
        """The payload's output objects (empty when absent or malformed)."""
        value = self.payload.get("outputs")
        return value if isinstance(value, list) else []

    @property
    def is_terminal(self) -> bool:
        """True for a ``run.updated`` that reports a terminal status (success, failed, ...)."""
        return self.event_type == RUN_UPDATED and self.status in TERMINAL_STATUSES

    @property
    def is_comfydeploy_event(self) -> bool:
        """True when the body looks like a ComfyDeploy webhook (has event_type and run_id)."""
        return self.event_type is not None and self.run_id is not None

    def summary(self) -> str:
        """One line for lists and logs: ``#3 POST /hook run.updated running 42% <run id>``."""
        parts = [f"#{self.seq}", self.method, self.target]
        if self.event_type:
            parts.append(self.event_type)
        if self.status:
            parts.append(self.status)
        if self.progress is not None and self.event_type == RUN_UPDATED:
            parts.append(f"{round(self.progress * 100)}%")
        if self.run_id:
            parts.append(f"run {self.run_id}")
        if not self.is_comfydeploy_event:
            parts.append(f"({len(self.body)} bytes)")
        if self.signature is not None:
            parts.append(f"[{self.signature.state.value}]")
        return " ".join(parts)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def group_by_run(records: list[WebhookRecord]) -> dict[str, list[WebhookRecord]]:
    """Records per run id, run ids in order of first appearance; records without one are left out.

    This is how a batch's run ids are discovered: the API answers a batch with only a batch id,
    and each of its runs posts its own webhooks.
    """
    runs: dict[str, list[WebhookRecord]] = {}
    for record in records:
        run_id = record.run_id
        if run_id is not None:
            runs.setdefault(run_id, []).append(record)
    return runs


# --- webhook URLs -------------------------------------------------------------------------------


def _split_url(url: str) -> tuple[str, str, str]:
    """``(before "?", query, "#fragment" or "")`` without decoding anything."""
    fragment = ""
    if "#" in url:
        url, fragment = url.split("#", 1)
        fragment = "#" + fragment
    base, _, query = url.partition("?")
    return base, query, fragment


def _join_url(base: str, params: list[str], fragment: str) -> str:
    query = "&".join(params)
    return f"{base}?{query}{fragment}" if query else f"{base}{fragment}"


def target_events(url: str) -> list[str]:
    """The event names the URL's ``target_events`` parameters ask for (literal, comma-separated).

    The service reads the query string literally: ``run.output`` must appear as such, not
    percent-encoded, so neither does this.
    """
    _, query, _ = _split_url(url)
    names: list[str] = []
    for param in query.split("&"):
        key, sep, value = param.partition("=")
        if sep and key == TARGET_EVENTS_PARAM:
            names.extend(name for name in value.split(",") if name)
    return names


def wants_run_output(url: str | None) -> bool:
    """True when a webhook URL asks for ``run.output`` events (``target_events=run.output``)."""
    return bool(url) and RUN_OUTPUT in target_events(url or "")


def with_run_output(url: str, enabled: bool = True) -> str:
    """The URL with ``run.output`` added to (or removed from) its ``target_events``.

    Adding keeps other target events (``target_events=a,run.output``); removing drops the
    parameter when nothing is left. The rest of the URL is kept byte for byte; nothing is
    percent-encoded, because the service matches the literal text.
    """
    base, query, fragment = _split_url(url)
    params = [param for param in query.split("&") if param] if query else []
    result: list[str] = []
    found = False
    for param in params:
        key, sep, value = param.partition("=")
        if not (sep and key == TARGET_EVENTS_PARAM):
            result.append(param)
            continue
        names = [name for name in value.split(",") if name and name != RUN_OUTPUT]
        if enabled and not found:
            names.append(RUN_OUTPUT)
            found = True
        if names:
            result.append(f"{TARGET_EVENTS_PARAM}={','.join(names)}")
    if enabled and not found:
        result.append(f"{TARGET_EVENTS_PARAM}={RUN_OUTPUT}")
    return _join_url(base, result, fragment)


def receiver_url(
    host: str = DEFAULT_RECEIVER_HOST,
    port: int = DEFAULT_RECEIVER_PORT,
    path: str = "/",
    *,
    run_output: bool = False,
) -> str:
    """The URL to put in ``webhook`` for a local receiver listening on ``host:port``.

    A wildcard bind (``0.0.0.0``, ``::``) is reached through loopback, so the URL names
    127.0.0.1 / ::1 instead. With ``run_output`` the URL asks for ``run.output`` events too.
    """
    if host in ("", "0.0.0.0"):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    shown = f"[{host}]" if ":" in host else host
    if not path.startswith("/"):
        path = "/" + path
    url = f"http://{shown}:{port}{path}"
    return with_run_output(url) if run_output else url


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def exposure_warning(host: str) -> str | None:
    """The warning the UI and CLI show when a receiver binds beyond loopback, else None."""
    return None if is_loopback(host) else EXPOSED_WARNING.format(host=host or "every address")


def is_local_url(url: str) -> bool:
    """True when a webhook URL points at this machine (so a remote API cannot reach it)."""
    base, _, _ = _split_url(url)
    authority = base.split("://", 1)[-1].split("/", 1)[0].rsplit("@", 1)[-1]
    if authority.startswith("["):
        host = authority[1:].split("]", 1)[0]
    else:
        host = authority.split(":", 1)[0]
    return is_loopback(host) or host in ("0.0.0.0", "::")


def remote_api_note(url: str) -> str | None:
    """The note a form shows when a local webhook URL is sent to a remote API, else None."""
    return REMOTE_API_NOTE.format(url=url) if is_local_url(url) else None
