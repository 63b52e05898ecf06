"""Smoke check of the one-folder app bundle (slow: builds it). Run: ./dev pytest -m packaging

Builds the bundle with packaging/build.sh (a clean venv), copies the folder to another path, and
uses the copy as a user would: --version, the window rendered offscreen, the sandbox and the
webhook receiver from the CLI, and a sample preset submitted to the bundle's own sandbox.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from composer import __version__

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.packaging, pytest.mark.timeout(900)]


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built bundle, copied away from the build tree (the 'done when' of the issue)."""
    started = time.monotonic()
    subprocess.run([str(ROOT / "packaging" / "build.sh")], check=True, timeout=900)
    built = ROOT / "dist" / "composer"
    copy = tmp_path_factory.mktemp("elsewhere") / "composer"
    shutil.copytree(built, copy, symlinks=True)
    size = sum(f.stat().st_size for f in copy.rglob("*") if f.is_file() and not f.is_symlink())
    print(f"\nbundle built in {time.monotonic() - started:.0f} s, {size / 1e6:.0f} MB")
    return copy / "composer"


def run(binary: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run(
        [str(binary), *args], capture_output=True, text=True, timeout=timeout, env=env, check=False
    )


def test_version(bundle: Path) -> None:
    result = run(bundle, "--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"composer {__version__}"


def test_window_screenshot(bundle: Path, tmp_path: Path) -> None:
    png = tmp_path / "window.png"
    preset = ROOT / "composer" / "resources" / "presets" / "batch-grid-3x3.json"
    result = run(bundle, "gui", str(preset), "--screenshot", str(png))
    assert result.returncode == 0, result.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.stat().st_size > 20_000  # a rendered window, not an empty image


def test_submit_to_the_bundled_sandbox(bundle: Path, tmp_path: Path) -> None:
    preset = ROOT / "composer" / "resources" / "presets" / "flux-dev-portrait.json"
    result = run(
        bundle, "submit", str(preset), "--target", "sandbox", "--json", "--download", str(tmp_path)
    )
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert events[-1]["event"] == "finished"
    assert events[-1]["status"] == "success"
    assert any(path.suffix == ".png" for path in tmp_path.rglob("*"))


@pytest.mark.parametrize(
    ("command", "first_line"),
    [
        (["sandbox", "--port", "0"], "Sandbox listening on http://127.0.0.1:"),
        (["listen", "--port", "0"], "Listening on http://127.0.0.1:"),
    ],
)
def test_servers_start_from_the_bundle(bundle: Path, command: list[str], first_line: str) -> None:
    process = subprocess.Popen(
        [str(bundle), *command], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith(first_line), line + (process.stderr.read() if process.stderr else "")
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
