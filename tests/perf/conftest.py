"""Benchmarks share the window fixtures of the UI tests."""

from tests.ui.conftest import make_window, window

__all__ = ["make_window", "window"]
