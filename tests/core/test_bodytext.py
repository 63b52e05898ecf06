"""Preview text: compact JSON, folded data URIs, edits read back, bad JSON located; images."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from composer.core.bodytext import (
    BodyTextParseError,
    describe_size,
    parse_body_text,
    render_body,
    wire_size,
)
from composer.core.media import MediaFileError, data_uri_from_file, is_image_reference

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=6) | st.dictionaries(st.text(max_size=8), children, max_size=6)
    ),
    max_leaves=40,
)


@given(st.dictionaries(st.text(max_size=10), json_values, max_size=8))
def test_rendered_text_reads_back_as_the_same_body(body: dict[str, object]) -> None:
    rendered = render_body(body)
    assert parse_body_text(rendered.text, rendered.folds) == body


def test_long_data_uris_fold_and_unfold() -> None:
    uri = "data:image/png;base64," + "A" * 4000
    body = {"inputs": {"a": uri, "b": uri, "c": "short"}}
    rendered = render_body(body)
    assert "AAAA" not in rendered.text and "folded #1" in rendered.text
    assert len(rendered.folds) == 1  # the same value folds to the same stub
    edited = rendered.text.replace('"short"', '"changed"')
    assert parse_body_text(edited, rendered.folds)["inputs"] == {"a": uri, "b": uri, "c": "changed"}


def test_scalar_lists_are_packed_and_long_texts_one_per_line() -> None:
    text = render_body({"seed": list(range(1000)), "p": ["x" * 40, "y" * 40]}).text
    assert text.count("\n") < 70  # not 1000+
    assert '\n    "' + "x" * 40 + '",\n' in text
    assert render_body({"p": ["fox", "owl"]}).text == '{\n  "p": ["fox", "owl"]\n}'


def test_bad_json_reports_line_and_column() -> None:
    with pytest.raises(BodyTextParseError) as caught:
        parse_body_text('{\n  "model_id": "flux-dev",\n  "inputs": {,}\n}')
    assert (caught.value.error.line, caught.value.error.column) == (3, 14)
    assert str(caught.value).startswith("Line 3, column 14:")


def test_sizes() -> None:
    assert describe_size(1) == "1 byte" and describe_size(12_300) == "12.3 kB"
    assert describe_size(4_500_000) == "4.5 MB"
    assert wire_size({"a": "é"}) == len('{"a":"é"}'.encode())


def test_image_files_become_data_uris_within_a_limit(tmp_path: Path) -> None:
    picture = tmp_path / "picture.bin"  # no image extension: the signature decides
    picture.write_bytes(PNG)
    uri = data_uri_from_file(picture)
    assert uri.startswith("data:image/png;base64,iVBORw0KGgo")
    assert is_image_reference(uri) and is_image_reference("https://x.org/a.JPG?x=1")
    with pytest.raises(MediaFileError, match=r"is 208 bytes; images up to 100 bytes"):
        data_uri_from_file(picture, limit=100)
    text = tmp_path / "notes.txt"
    text.write_text("hello", encoding="utf-8")
    with pytest.raises(MediaFileError, match="not an image"):
        data_uri_from_file(text)
    with pytest.raises(MediaFileError, match="no such file"):
        data_uri_from_file(tmp_path / "missing.png")
    assert json.loads(json.dumps(uri)) == uri


def test_huge_lists_can_be_abbreviated_for_viewing() -> None:
    rendered = render_body({"seed": list(range(100_000))}, max_items=50)
    assert rendered.abbreviated and "99,950 more values not shown" in rendered.text
    assert len(rendered.text) < 1000
    assert not render_body({"seed": [1, 2]}, max_items=50).abbreviated


def test_the_render_cache_reuses_unchanged_lists_only() -> None:
    from composer.core.bodytext import RenderCache

    cache = RenderCache()
    column = list(range(500))
    body = {"batch_input_params": {"seed": column}, "webhook": "a"}
    first = render_body(body, cache=cache).text
    again = render_body({**body, "webhook": "ab"}, cache=cache).text
    assert again == first.replace('"a"', '"ab"')
    changed = render_body({"batch_input_params": {"seed": [*column[:-1], -1]}}, cache=cache)
    assert "498, -1" in changed.text
