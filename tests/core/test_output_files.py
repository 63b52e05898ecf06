"""File names for saved outputs: safe, readable for a batch, never overwriting."""

from __future__ import annotations

from pathlib import Path

from composer.core.output_files import (
    batch_prefix,
    files_of_run,
    media_file_name,
    plan_paths,
    safe_name,
)
from composer.core.runs import MediaItem, RunOutput, RunState


def test_safe_names_drop_folders_and_reserved_characters() -> None:
    assert safe_name("../../etc/passwd") == "passwd"
    assert safe_name("a:b*c?.png") == "a_b_c_.png"
    assert safe_name("..") == "output"
    assert safe_name(".hidden") == "hidden"
    assert safe_name("C:\\x\\y.png") == "y.png"
    assert safe_name("x" * 300 + ".png") == "x" * 120 + ".png"


def test_media_names_from_filename_url_or_type() -> None:
    assert media_file_name(MediaItem("images", "http://h/a/b.png?sig=1", "out.png")) == "out.png"
    assert media_file_name(MediaItem("images", "http://h/a/b%20c.png?sig=1", "")) == "b c.png"
    made_up = media_file_name(MediaItem("gifs", "http://h/", "", type="image/gif"), 3)
    assert made_up == "gifs-3.gif"


def test_batch_prefix_reads_like_the_grid() -> None:
    assert batch_prefix(2, {"seed": 1, "steps": 30}, 9) == "03_seed-1_steps-30_"
    assert batch_prefix(0, {"prompt": "a red fox / night"}, 120) == "001_prompt-a-red-fox-night_"
    assert batch_prefix(4, None, 5) == "05_"


def test_files_of_a_run_include_texts() -> None:
    state = RunState(
        "r1",
        outputs=(
            RunOutput("o1", node_id="9", media=(MediaItem("images", "http://h/x.png", "x.png"),)),
            RunOutput("o2", node_id="12", texts=("hello", "world")),
        ),
    )
    files = files_of_run(state, "01_")
    assert [f.name for f in files] == ["01_x.png", "01_12-text-1.txt", "01_12-text-2.txt"]
    assert files[0].url == "http://h/x.png"
    assert files[1].text == "hello"


def test_planned_paths_never_overwrite(tmp_path: Path) -> None:
    (tmp_path / "a.png").write_bytes(b"old")
    paths = plan_paths(tmp_path, ["a.png", "a.png", "A.PNG", "b", "b"])
    assert [p.name for p in paths] == ["a-2.png", "a-3.png", "A-4.PNG", "b", "b-2"]
    assert (tmp_path / "a.png").read_bytes() == b"old"
