"""The layer rules of ARCHITECTURE.md, checked by import-linter (contracts in pyproject.toml)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_layers_are_kept() -> None:
    """core/ has no Qt or HTTP, client/ and servers/ no Qt, ui/ no HTTP library."""
    linter = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(linter), "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_contracts_cover_every_layer() -> None:
    """A contract forbidding Qt exists for each Qt-free layer (a deleted contract fails here)."""
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    for layer in ("composer.core", "composer.client", "composer.servers"):
        assert f'"{layer}"' in text
    assert text.count('"PySide6"') >= 2
