"""Preset files: round trips, atomic writes, the library's operations and the typed errors."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from composer.core import atomic
from composer.core.library import PresetLibrary
from composer.core.presets import (
    NotAPresetError,
    Preset,
    PresetHoldsSecretError,
    PresetInvalidError,
    PresetNotJsonError,
    PresetTooNewError,
    PresetUnreadableError,
    load_preset,
    save_preset,
)
from composer.core.wire import RequestKind
from composer.resources import sample_preset_names, sample_preset_text


def flux_preset(name: str = "Flux portrait") -> Preset:
    return Preset(
        name=name,
        kind=RequestKind.MODEL,
        request={"inputs": {"prompt": "a fox", "seed": 42}, "model_id": "flux-dev"},
        description="a test",
        target="sandbox",
    )


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    save_preset(path, flux_preset())
    assert load_preset(path) == flux_preset()
    text = path.read_text(encoding="utf-8")
    assert text.endswith("}\n") and '\n  "name": "Flux portrait",\n' in text
    assert list(json.loads(text)) == [
        "format",
        "version",
        "name",
        "kind",
        "description",
        "target",
        "request",
    ]


def test_saving_twice_gives_identical_bytes(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    save_preset(path, flux_preset())
    first = path.read_bytes()
    save_preset(path, load_preset(path))
    assert path.read_bytes() == first


def test_interrupted_save_keeps_the_previous_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "p.json"
    save_preset(path, flux_preset("Original"))
    before = path.read_bytes()

    def crash(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "replace", crash)
    with pytest.raises(OSError, match="No space"):
        save_preset(path, flux_preset("Changed"))
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.json"]  # no temp file left


@pytest.mark.parametrize(
    ("text", "error", "fragment"),
    [
        ('{"format": "composer.preset", "version": 1,', PresetNotJsonError, "line 1, column"),
        ("[1, 2]", NotAPresetError, "no JSON object"),
        ('{"openapi": "3.1.0"}', NotAPresetError, '"format"'),
        (
            '{"format": "composer.preset", "version": 99, "name": "x", "request": {}}',
            PresetTooNewError,
            "version 99",
        ),
        (
            '{"format": "composer.preset", "version": 1, "name": "x", "kind": "model",'
            ' "request": {"model_id": "m", "inputs": {"seed": null}}}',
            PresetInvalidError,
            "request.inputs.seed",
        ),
        (
            '{"format": "composer.preset", "version": 1, "name": "x", "kind": "job",'
            ' "request": {}}',
            NotAPresetError,
            "kind",
        ),
    ],
)
def test_bad_files_give_typed_errors_and_stay_untouched(
    tmp_path: Path, text: str, error: type[Exception], fragment: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(text, encoding="utf-8")
    stat_before = os.stat(path)
    with pytest.raises(error) as caught:
        load_preset(path)
    assert str(path) in str(caught.value) and fragment in str(caught.value)
    assert path.read_text(encoding="utf-8") == text
    assert os.stat(path).st_mtime_ns == stat_before.st_mtime_ns


def test_missing_and_binary_files(tmp_path: Path) -> None:
    with pytest.raises(PresetUnreadableError, match="no such file"):
        load_preset(tmp_path / "nope.json")
    binary = tmp_path / "bin.json"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(PresetNotJsonError, match="UTF-8"):
        load_preset(binary)


def test_bare_body_is_accepted_only_when_asked(tmp_path: Path) -> None:
    path = tmp_path / "body.json"
    path.write_text('{"modelId": "flux-dev", "inputs": {"seed": 1}}', encoding="utf-8")
    with pytest.raises(NotAPresetError):
        load_preset(path)
    preset = load_preset(path, allow_bare=True)
    assert preset.request == {"model_id": "flux-dev", "inputs": {"seed": 1}}
    assert preset.name == "body" and any("modelId" in note for note in preset.notes)


def test_a_preset_never_holds_an_api_key(tmp_path: Path) -> None:
    preset = flux_preset()
    preset.request["webhook"] = "https://example.com/hook?token=sk-secret-123"
    with pytest.raises(PresetHoldsSecretError):
        save_preset(tmp_path / "p.json", preset, secrets=["sk-secret-123"])
    assert not (tmp_path / "p.json").exists()


@pytest.mark.parametrize("name", sample_preset_names())
def test_sample_presets_load(name: str) -> None:
    from composer.core.presets import parse_preset

    preset = parse_preset(sample_preset_text(name))
    assert preset.request and preset.kind in RequestKind
    assert preset.to_json() == sample_preset_text(name)


def test_library_operations(tmp_path: Path) -> None:
    library = PresetLibrary(tmp_path / "presets")
    first = library.save(flux_preset("Flux: portrait"))
    assert first.name == "flux-portrait.json"
    second = library.save(flux_preset("Flux: portrait"))
    assert second.name == "flux-portrait-2.json"
    renamed = library.rename(second, "Owl study")
    assert renamed.name == "owl-study.json" and not second.exists()
    assert load_preset(renamed).name == "Owl study"
    copy = library.duplicate(renamed)
    assert load_preset(copy).name == "Owl study copy"
    deleted = library.delete(copy)
    assert not copy.exists()
    restored = library.restore(deleted)
    assert restored == copy and load_preset(copy).name == "Owl study copy"
    (library.folder / "broken.json").write_text("{nope", encoding="utf-8")
    entries = library.entries()
    assert [e.name for e in entries] == ["broken", "Flux: portrait", "Owl study", "Owl study copy"]
    assert entries[0].error is not None and entries[0].preset is None


def test_library_import_and_export(tmp_path: Path) -> None:
    library = PresetLibrary(tmp_path / "presets")
    outside = tmp_path / "from-a-colleague.json"
    outside.write_text(
        '{"deployment_id": "123e4567-e89b-12d3-a456-426614174000"}', encoding="utf-8"
    )
    imported = library.import_file(outside)
    assert load_preset(imported).kind is RequestKind.DEPLOYMENT
    exported = tmp_path / "out" / "shared.json"
    library.export_file(imported, exported)
    assert load_preset(exported) == load_preset(imported)


def test_atomic_writes_keep_usual_permissions(tmp_path: Path) -> None:
    fresh = tmp_path / "fresh.json"
    atomic.write_text_atomic(fresh, "{}")
    assert fresh.stat().st_mode & 0o777 == 0o666 & ~atomic._UMASK
    fresh.chmod(0o640)
    atomic.write_text_atomic(fresh, "{ }")
    assert fresh.stat().st_mode & 0o777 == 0o640


def test_atomic_writes_never_replace_what_is_not_a_file(tmp_path: Path) -> None:
    folder = tmp_path / "a-folder.json"
    folder.mkdir()
    with pytest.raises(OSError, match="not a regular file"):
        atomic.write_text_atomic(folder, "{}")
    assert folder.is_dir()
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(OSError, match="not a regular file"):
        atomic.write_text_atomic(fifo, "{}")
    assert not fifo.is_file() and fifo.exists()
