"""Which API a session talks to and with which key, and a cheap check that the key works.

A :class:`TargetAccess` is a profile resolved for use: its name (for messages), its base URL and
its API key. The key comes from ``$COMFY_DEPLOY_API_KEY`` when that is set (for every target but
the built-in sandbox, which has its own fixed token), else from the profile's stored key
(:class:`composer.core.profiles.ProfileStore`, the OS keyring or this session's memory). The
window and ``composer submit`` both resolve targets this way, so a name means the same API and
the same key in both.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from composer.client import errors
from composer.client.api import ApiClient
from composer.core.profiles import Profile, ProfileStore
from composer.core.snippets import KEY_VARIABLE


class KeySource(StrEnum):
    """Where a target's API key came from (shown next to the target, never the key itself)."""

    ENVIRONMENT = "environment"  # $COMFY_DEPLOY_API_KEY
    PROFILE = "profile"  # stored for the profile (keyring, or this session only)
    BUILTIN = "builtin"  # the built-in sandbox's fixed token
    NONE = "none"


@dataclass(frozen=True, slots=True)
class TargetAccess:
    """A target ready to use: ``name`` is shown in messages ("check your API key for <name>")."""

    name: str
    base_url: str
    api_key: str | None = field(default=None, repr=False)
    profile_id: str | None = None
    key_source: KeySource = KeySource.NONE

    @property
    def secrets(self) -> tuple[str, ...]:
        """Values to redact from anything written down (the history): the key, if any."""
        return (self.api_key,) if self.api_key else ()


def resolve_access(
    profiles: ProfileStore,
    profile: Profile,
    *,
    base_url: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> TargetAccess:
    """The access for ``profile``: ``base_url`` replaces the profile's (the running sandbox's
    real address); the environment's key overrides a stored one, except for the sandbox."""
    url = (base_url or profile.base_url).rstrip("/")
    if profile.is_sandbox:
        key = profiles.api_key(profile)
        return TargetAccess(profile.name, url, key, profile.id, KeySource.BUILTIN)
    env = (os.environ if environ is None else environ).get(KEY_VARIABLE) or None
    if env:
        return TargetAccess(profile.name, url, env.strip(), profile.id, KeySource.ENVIRONMENT)
    stored = profiles.api_key(profile)
    source = KeySource.PROFILE if stored else KeySource.NONE
    return TargetAccess(profile.name, url, stored, profile.id, source)


class CheckOutcome(StrEnum):
    """How a connection check ended."""

    OK = "ok"
    BAD_KEY = "bad_key"
    UNREACHABLE = "unreachable"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class ConnectionCheck:
    """The result of :func:`check_connection`: an outcome and one sentence for people."""

    outcome: CheckOutcome
    message: str

    @property
    def ok(self) -> bool:
        """True when the target answered an authenticated request."""
        return self.outcome is CheckOutcome.OK


async def check_connection(api: ApiClient) -> ConnectionCheck:
    """One cheap authenticated read (``GET /deployments``) that tells whether the target answers
    and accepts the key."""
    name = api.target
    try:
        deployments = await api.deployments()
    except errors.UnauthorizedError as exc:
        if not api.has_key:
            return ConnectionCheck(
                CheckOutcome.BAD_KEY,
                f"{name} answered, but no API key is set: paste one and test again",
            )
        return ConnectionCheck(CheckOutcome.BAD_KEY, f"The key was refused: {exc}")
    except (errors.UnreachableError, errors.ApiTimeoutError) as exc:
        return ConnectionCheck(CheckOutcome.UNREACHABLE, str(exc))
    except errors.NotFoundError:
        return ConnectionCheck(
            CheckOutcome.FAILED,
            f"{name} answered, but has no /deployments: is {api.base_url} a ComfyDeploy API "
            f"base URL (ending in /api)?",
        )
    except errors.ApiError as exc:
        return ConnectionCheck(CheckOutcome.FAILED, str(exc))
    count = len(deployments)
    plural = "deployment" if count == 1 else "deployments"
    return ConnectionCheck(
        CheckOutcome.OK, f"Connected to {name}: the key works ({count} {plural} visible)"
    )
