"""Checks beyond the server's schema: declared input types, ranges, choices; webhook URLs."""

from __future__ import annotations

from composer.core.catalogue import InputSpec
from composer.core.checks import form_warnings, input_warnings, webhook_warnings

SPECS = [
    InputSpec(input_id="seed", class_type="ComfyUIDeployExternalSeed", min_value=0, max_value=100),
    InputSpec(input_id="steps", class_type="ComfyUIDeployExternalNumberInt"),
    InputSpec(input_id="sampler", enum_values=["euler", "dpmpp_2m"]),
]


def test_declared_types_ranges_and_choices() -> None:
    body = {
        "inputs": {"seed": 200, "steps": "20", "sampler": "ddim", "extra": 1},
        "batch_input_params": {"seed": [1, "x", None], "other": [{"a": 1}]},
    }
    found = {(w.loc, w.code) for w in input_warnings(body, SPECS)}
    assert found == {
        (("inputs", "seed"), "above_maximum"),
        (("inputs", "steps"), "declared_type"),
        (("inputs", "sampler"), "not_a_choice"),
        (("inputs", "extra"), "undeclared_input"),
        (("batch_input_params", "seed", 1), "declared_type"),
        (("batch_input_params", "seed", 2), "batch_cell_type"),
        (("batch_input_params", "other"), "undeclared_input"),
        (("batch_input_params", "other", 0), "batch_cell_type"),
    }


def test_without_declarations_only_impossible_cells_are_flagged() -> None:
    body = {"inputs": {"anything": 1}, "batch_input_params": {"a": [1, None]}}
    assert [w.loc for w in input_warnings(body, [])] == [("batch_input_params", "a", 1)]


def test_webhook_urls() -> None:
    assert webhook_warnings({"webhook": "https://example.com/hook?x=1"}) == []
    assert webhook_warnings({}) == []
    for bad in ("example.com/hook", "ftp://example.com", "https://", " https://a.b"):
        assert [w.loc for w in webhook_warnings({"webhook": bad})] == [("webhook",)], bad
    assert len(form_warnings({"webhook": "nope", "inputs": {"x": 1}}, SPECS)) == 2


def test_the_column_cache_gives_the_same_warnings() -> None:
    from composer.core.checks import ColumnCache

    cache = ColumnCache()
    column = [1, None, "x"]
    body = {"batch_input_params": {"seed": column}}
    first = input_warnings(body, SPECS, cache)
    assert input_warnings(body, SPECS, cache) == first == input_warnings(body, SPECS)
    changed = {"batch_input_params": {"seed": [1, 2, "x"]}}
    assert [w.loc for w in input_warnings(changed, SPECS, cache)] == [
        ("batch_input_params", "seed", 2)
    ]
