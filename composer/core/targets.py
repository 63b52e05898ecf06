"""The API targets composer knows by name, and how a target name or URL becomes a base URL."""

from __future__ import annotations

from typing import Final

PRODUCTION_URL: Final = "https://api.comfydeploy.com/api"
STAGING_URL: Final = "https://staging.api.comfydeploy.com/api"
SELF_HOSTED_URL: Final = "http://localhost:3011/api"
SANDBOX_DEFAULT_URL: Final = "http://127.0.0.1:3011/api"

# Lower-case names accepted on the command line and in presets' "target".
NAMED_TARGETS: Final[dict[str, str]] = {
    "sandbox": SANDBOX_DEFAULT_URL,
    "comfydeploy": PRODUCTION_URL,
    "production": PRODUCTION_URL,
    "staging": STAGING_URL,
    "self-hosted": SELF_HOSTED_URL,
}


def is_url(text: str) -> bool:
    """True for an http(s) URL."""
    return text.startswith(("http://", "https://"))


def base_url_for(target: str | None, default: str = PRODUCTION_URL) -> str:
    """The base URL for a target name or URL; unknown names and None give ``default``."""
    if not target:
        return default
    if is_url(target):
        return target.rstrip("/")
    return NAMED_TARGETS.get(target.strip().lower(), default)


class BaseUrlError(ValueError):
    """A base URL composer cannot use; ``str()`` says why in one line."""


def normalize_base_url(text: str) -> str:
    """Check a base URL and return it without trailing slashes; raises :class:`BaseUrlError`.

    An http(s) URL with a host, and nothing that would end up in a file and leak: no user name or
    password (keys belong in the keyring), no query string or fragment (the API's paths are
    appended to the base).
    """
    candidate = text.strip()
    if not candidate:
        raise BaseUrlError("the base URL is empty")
    from urllib.parse import urlsplit  # not needed before the window's first frame

    parts = urlsplit(candidate)
    if parts.scheme not in ("http", "https") or not is_url(candidate.lower()):
        raise BaseUrlError(f"{candidate!r} is not an http:// or https:// URL")
    if not parts.hostname:
        raise BaseUrlError(f"{candidate!r} has no host name")
    if parts.username is not None or parts.password is not None:
        raise BaseUrlError("the base URL must not contain a user name or password")
    if parts.query or parts.fragment or candidate.endswith(("?", "#")):
        raise BaseUrlError("the base URL must not have a query string (?...) or a fragment (#...)")
    try:
        parts.port  # noqa: B018 - raises ValueError for a port out of range or not a number
    except ValueError:
        raise BaseUrlError(f"{candidate!r} has an invalid port") from None
    if any(ch.isspace() for ch in candidate):
        raise BaseUrlError("the base URL must not contain spaces")
    return candidate.rstrip("/")


def same_base_url(first: str, second: str) -> bool:
    """True when two base URLs name the same API (scheme and host case, trailing slash ignored)."""
    return _url_key(first) == _url_key(second)


def _url_key(url: str) -> tuple[str, str, str]:
    from urllib.parse import urlsplit

    parts = urlsplit(url.strip())
    return (parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/"))
