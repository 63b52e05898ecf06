"""composer: compose, send and track ComfyDeploy runs, and test their webhooks locally."""

__version__ = "0.1.0"
