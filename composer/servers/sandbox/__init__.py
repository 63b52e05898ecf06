"""The sandbox: a local, faithful stand-in for the ComfyDeploy API (API-CONTRACT.md).

``Sandbox(SandboxConfig(speed=50)).start()`` serves it in the background and returns its base URL;
``composer sandbox`` serves it from a terminal.
"""

from composer.servers.sandbox.config import FaultConfig, SandboxConfig
from composer.servers.sandbox.server import Sandbox
from composer.servers.sandbox.webhooks import WebhookAttempt

__all__ = ["FaultConfig", "Sandbox", "SandboxConfig", "WebhookAttempt"]
