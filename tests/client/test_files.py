"""Saving outputs through the client: real PNG bytes from the sandbox, errors per file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from composer.client.files import SavedFile, save_outputs
from composer.core.output_files import OutputFile, plan_paths
from composer.servers.sandbox import Sandbox
from tests.client.helpers import api_for, run

PNG = b"\x89PNG\r\n\x1a\n"


def _finished_run(sandbox_http: httpx.Client, body: dict[str, Any]) -> dict[str, Any]:
    """A finished run's outputs: a sync run answers them when it ends (no polling needed)."""
    answer = sandbox_http.post("/run", json={**body, "execution_mode": "sync"})
    assert answer.status_code == 200, answer.text
    outputs: list[dict[str, Any]] = answer.json()
    return {"outputs": outputs}


def test_save_outputs_writes_real_files_and_reports_each(
    sandbox: Sandbox, sandbox_http: httpx.Client, tmp_path: Path
) -> None:
    run_object = _finished_run(
        sandbox_http, {"model_id": "flux-schnell", "inputs": {"prompt": "A fox", "seed": 1}}
    )
    url = run_object["outputs"][0]["data"]["images"][0]["url"]
    files = [
        OutputFile("fox.png", url=url),
        OutputFile("gone.png", url=sandbox.base_url + "/files/nope/missing.png"),
        OutputFile("note.txt", text="a text output"),
    ]
    paths = plan_paths(tmp_path, [f.name for f in files])
    seen: list[tuple[int, int]] = []

    def progress(done: int, total: int, _result: SavedFile) -> None:
        seen.append((done, total))

    async def go() -> list[SavedFile]:
        async with api_for(sandbox) as api:
            return await save_outputs(api, files, paths, on_progress=progress)

    results = run(go())
    assert [r.ok for r in results] == [True, False, True]
    assert (tmp_path / "fox.png").read_bytes().startswith(PNG)
    assert (tmp_path / "note.txt").read_text() == "a text output"
    assert not (tmp_path / "gone.png").exists()
    assert results[1].error is not None and "404" in results[1].error
    assert sorted(seen) == [(1, 3), (2, 3), (3, 3)]


def test_an_unwritable_folder_is_reported_not_raised(sandbox: Sandbox, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    files = [OutputFile("a.txt", text="hi")]

    async def go() -> list[SavedFile]:
        async with api_for(sandbox) as api:
            return await save_outputs(api, files, [blocker / "a.txt"])

    [result] = run(go())
    assert result.error is not None and result.error.startswith("cannot write")
