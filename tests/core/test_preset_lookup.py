"""A PRESET argument that is not a file names a library preset or a shipped sample."""

from __future__ import annotations

from pathlib import Path

from composer.core.library import PresetLibrary, find_preset_file
from composer.core.presets import Preset, RequestKind, save_preset


def test_an_existing_path_is_used_as_given(tmp_path: Path) -> None:
    path = tmp_path / "mine.json"
    path.write_text("{}", encoding="utf-8")
    assert find_preset_file(path, PresetLibrary(tmp_path / "lib")) == path


def test_a_sample_is_found_by_name_with_or_without_folder_and_suffix(tmp_path: Path) -> None:
    library = PresetLibrary(tmp_path / "lib")
    for typed in ("seed-example", "seed-example.json", "resources/presets/seed-example.json"):
        found = find_preset_file(Path(typed), library)
        assert found is not None and found.name == "seed-example.json", typed
        assert found.parent.name == "presets" and found.is_file()


def test_the_library_wins_over_a_sample_of_the_same_name(tmp_path: Path) -> None:
    library = PresetLibrary(tmp_path / "lib")
    mine = library.folder / "seed-example.json"
    save_preset(mine, Preset(name="Mine", kind=RequestKind.MODEL, request={"model_id": "m"}))
    assert find_preset_file(Path("seed-example"), library) == mine


def test_an_unknown_name_finds_nothing(tmp_path: Path) -> None:
    library = PresetLibrary(tmp_path / "lib")
    assert find_preset_file(Path("no-such-preset"), library) is None
    assert find_preset_file(Path("../seed-example/.."), library) is None
