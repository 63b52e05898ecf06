"""``composer preview`` as a user runs it: a real subprocess on real files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from composer import __version__
from composer.resources import resource, sample_preset_names


def composer(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "composer", *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_version() -> None:
    result = composer("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"composer {__version__}"


@pytest.mark.parametrize("name", sample_preset_names())
def test_preview_prints_exactly_the_request(name: str) -> None:
    path = Path(str(resource("presets", name)))
    result = composer("preview", str(path))
    assert result.returncode == 0, result.stderr
    expected = json.loads(path.read_text(encoding="utf-8"))["request"]
    assert result.stdout == json.dumps(expected, indent=2, ensure_ascii=False) + "\n"


def test_preview_of_the_seed_is_the_contract_body() -> None:
    from tests.core.test_request import SEED_WIRE

    result = composer("preview", str(resource("presets", "seed-example.json")))
    assert json.loads(result.stdout) == SEED_WIRE


def test_preview_snippets_and_endpoint() -> None:
    path = str(resource("presets", "deployment-run.json"))
    curl = composer("preview", path, "--curl", "--target", "staging")
    assert curl.returncode == 0
    assert "'https://staging.api.comfydeploy.com/api/run/deployment/queue'" in curl.stdout
    endpoint = composer("preview", path, "--endpoint", "--target", "https://example.org/api/")
    assert endpoint.stdout == "POST https://example.org/api/run/deployment/queue\n"
    python = composer("preview", path, "--python")
    compile(python.stdout, "snippet.py", "exec")


def test_bad_preset_exits_2_with_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(
        '{"format": "composer.preset", "version": 1, "name": "x", "kind": "model",'
        ' "request": {"model_id": "m", "batch_input_params": {"seed": 4}}}',
        encoding="utf-8",
    )
    result = composer("preview", str(bad))
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert str(bad) in lines[0] and "request.batch_input_params.seed" in lines[0]
    assert "Traceback" not in result.stderr


def test_camel_case_body_is_converted_with_a_note(tmp_path: Path) -> None:
    body = tmp_path / "sdk.json"
    body.write_text('{"modelId": "flux-dev", "batchNumber": 2}', encoding="utf-8")
    result = composer("preview", str(body))
    assert result.returncode == 0
    assert json.loads(result.stdout) == {"model_id": "flux-dev", "batch_number": 2}
    assert "converted modelId to model_id" in result.stderr


def test_unknown_arguments_exit_2() -> None:
    assert composer("preview").returncode == 2


def test_a_sample_named_as_the_readme_writes_it_is_found_from_any_folder(tmp_path: Path) -> None:
    # ``resources/presets/seed-example.json`` does not exist under tmp_path: the sample is meant.
    result = subprocess.run(
        [sys.executable, "-m", "composer", "preview", "resources/presets/seed-example.json"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
        cwd=tmp_path,
    )
    from tests.core.test_request import SEED_WIRE

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == SEED_WIRE
    assert "is not a file; using" in result.stderr and "seed-example.json" in result.stderr
