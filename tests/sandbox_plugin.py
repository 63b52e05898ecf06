"""pytest plugin: a running sandbox for any test that needs a ComfyDeploy API.

- ``sandbox``: one sandbox per test session on 127.0.0.1 (free port), reset before each test
  (no runs, no files, faults off, settings back to the defaults below). Use ``sandbox.base_url``
  (ends in ``/api``) and ``sandbox.token``; change ``sandbox.config.speed`` or
  ``sandbox.faults.error_rate`` in a test freely, the next test starts clean.
- ``sandbox_http``: an ``httpx.Client`` on that sandbox with the token already set.
- ``make_sandbox(**settings)``: a separate sandbox with its own settings, stopped after the test.

Runs are fast here: ``speed=200`` turns a 10 s run into about 50 ms.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import fields
from typing import Any

import httpx
import pytest

from composer.servers.sandbox import Sandbox, SandboxConfig

SANDBOX_TOKEN = "sandbox-test-token"
SANDBOX_SPEED = 200.0


def _test_config(**settings: Any) -> SandboxConfig:
    base: dict[str, Any] = {"token": SANDBOX_TOKEN, "speed": SANDBOX_SPEED}
    base.update(settings)
    return SandboxConfig(**base)


def _restore(config: SandboxConfig, defaults: SandboxConfig) -> None:
    for item in fields(SandboxConfig):
        if item.name != "faults":
            setattr(config, item.name, getattr(defaults, item.name))
    config.faults.reset()


@pytest.fixture(scope="session")
def _sandbox_session() -> Iterator[Sandbox]:
    sandbox = Sandbox(_test_config())
    sandbox.start()
    try:
        yield sandbox
    finally:
        sandbox.stop()


@pytest.fixture
def sandbox(_sandbox_session: Sandbox) -> Iterator[Sandbox]:
    """The session's sandbox, clean for this test."""
    _restore(_sandbox_session.config, _test_config())
    _sandbox_session.reset()
    yield _sandbox_session
    # Stop this test's runs and deliveries so nothing carries on into the next test.
    _restore(_sandbox_session.config, _test_config())
    _sandbox_session.reset()


@pytest.fixture
def sandbox_http(sandbox: Sandbox) -> Iterator[httpx.Client]:
    """A client for the sandbox with the bearer token set."""
    headers = {"Authorization": f"Bearer {sandbox.token}"}
    with httpx.Client(
        base_url=sandbox.base_url, headers=headers, trust_env=False, timeout=10
    ) as client:
        yield client


@pytest.fixture
def make_sandbox() -> Iterator[Callable[..., Sandbox]]:
    """Start sandboxes with their own settings: ``make_sandbox(seed=1, token=None)``."""
    started: list[Sandbox] = []

    def make(**settings: Any) -> Sandbox:
        sandbox = Sandbox(_test_config(**settings))
        sandbox.start()
        started.append(sandbox)
        return sandbox

    yield make
    for sandbox in started:
        sandbox.stop()
