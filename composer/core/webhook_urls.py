"""Webhook URLs: ``target_events`` (``run.output``), local receiver URLs, and whether a URL points
at this machine.

Apart from :mod:`composer.core.webhooks` (the received records) because the request form uses
these before the window's first frame.
"""

from __future__ import annotations

from typing import Final

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


def split_url(url: str) -> tuple[str, str, str]:
    """``(before "?", query, "#fragment" or "")`` without decoding anything."""
    fragment = ""
    if "#" in url:
        url, fragment = url.split("#", 1)
        fragment = "#" + fragment
    base, _, query = url.partition("?")
    return base, query, fragment


def join_url(base: str, params: list[str], fragment: str) -> str:
    """The URL from :func:`split_url`'s parts, with ``params`` (raw ``key=value`` texts) as the
    query; no ``?`` when there are none."""
    query = "&".join(params)
    return f"{base}?{query}{fragment}" if query else f"{base}{fragment}"


def target_events(url: str) -> list[str]:
    """The event names the URL's ``target_events`` parameters ask for (literal, comma-separated).

    The service reads the query string literally: ``run.output`` must appear as such, not
    percent-encoded, so neither does this.
    """
    _, query, _ = split_url(url)
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
    base, query, fragment = split_url(url)
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
    return join_url(base, result, fragment)


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
    address = host.strip("[]")
    if ":" not in address and not address.replace(".", "").isdigit():
        return False  # a host name: no need for ipaddress (a module the first frame can skip)
    import ipaddress

    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def exposure_warning(host: str) -> str | None:
    """The warning the UI and CLI show when a receiver binds beyond loopback, else None."""
    return None if is_loopback(host) else EXPOSED_WARNING.format(host=host or "every address")


def is_local_url(url: str) -> bool:
    """True when a webhook URL points at this machine (so a remote API cannot reach it)."""
    base, _, _ = split_url(url)
    authority = base.split("://", 1)[-1].split("/", 1)[0].rsplit("@", 1)[-1]
    if authority.startswith("["):
        host = authority[1:].split("]", 1)[0]
    else:
        host = authority.split(":", 1)[0]
    return is_loopback(host) or host in ("0.0.0.0", "::")


def remote_api_note(url: str) -> str | None:
    """The note a form shows when a local webhook URL is sent to a remote API, else None."""
    return REMOTE_API_NOTE.format(url=url) if is_local_url(url) else None
