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
