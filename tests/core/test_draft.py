"""The draft: one wire dict edited at paths, kind switching, undo, saved state, change events."""

from __future__ import annotations

import pytest

from composer.core.draft import Draft, DraftChange, DraftPathError, same_value
from composer.core.wire import RequestKind

SEED = {
    "execution_mode": "async",
    "inputs": {"prompt": "A beautiful landscape", "seed": 42},
    "model_id": "flux-dev",
}


def test_set_and_unset_at_paths_leave_unset_fields_out() -> None:
    draft = Draft()
    assert draft.body == {} and draft.kind is RequestKind.MODEL
    draft.set(("model_id",), "flux-dev")
    draft.set(("inputs", "seed"), 42)
    draft.set(("batch_input_params", "seed"), [1, 2])
    draft.set(("batch_input_params", "seed", 2), 3)  # index == length appends
    assert draft.body == {
        "model_id": "flux-dev",
        "inputs": {"seed": 42},
        "batch_input_params": {"seed": [1, 2, 3]},
    }
    draft.unset(("batch_input_params", "seed", 0))
    assert draft.get(("batch_input_params", "seed")) == [2, 3]
    draft.unset(("inputs", "seed"))
    assert draft.body["inputs"] == {}
    assert not draft.is_set(("webhook",)) and draft.get(("webhook",), "x") == "x"
    with pytest.raises(DraftPathError):
        draft.set(("model_id", "x"), 1)
    with pytest.raises(DraftPathError):
        draft.set(("batch_input_params", "seed", 9), 1)


def test_edits_never_mutate_an_earlier_body() -> None:
    draft = Draft(SEED)
    before = draft.body
    draft.set(("inputs", "seed"), 7)
    assert before["inputs"]["seed"] == 42
    assert draft.body["inputs"]["seed"] == 7
    assert SEED["inputs"] == {"prompt": "A beautiful landscape", "seed": 42}


def test_wire_is_the_request_models_serialisation() -> None:
    draft = Draft({"model_id": "flux-dev", "inputs": {"seed": 1}, "execution_mode": "sync"})
    assert list(draft.wire()) == ["execution_mode", "inputs", "model_id"]
    draft.set(("inputs", "seed"), None)  # invalid: the body as typed, in the same order
    assert not draft.validation.ok
    assert draft.validation.errors[0].loc == ("inputs", "seed")
    assert list(draft.wire()) == ["execution_mode", "inputs", "model_id"]


def test_switching_kind_keeps_shared_fields_and_restores_the_other_key() -> None:
    draft = Draft(SEED)
    draft.set_kind(RequestKind.DEPLOYMENT)
    assert "model_id" not in draft.body and draft.body["inputs"] == SEED["inputs"]
    draft.set(("deployment_id",), "0f6c2d1e-4b7a-4c1e-9a53-2f8d6b1c7e40")
    draft.set_kind(RequestKind.MODEL)
    assert draft.body["model_id"] == "flux-dev" and "deployment_id" not in draft.body
    draft.set_kind(RequestKind.DEPLOYMENT)
    assert draft.body["deployment_id"] == "0f6c2d1e-4b7a-4c1e-9a53-2f8d6b1c7e40"
    assert draft.validation.ok


def test_typing_in_one_field_is_one_undo_step_until_sealed() -> None:
    draft = Draft(SEED)
    for text in ("a", "a f", "a fox"):
        draft.set(("inputs", "prompt"), text)
    draft.seal()
    draft.set(("inputs", "prompt"), "a fox!")
    draft.set(("execution_mode",), "sync")
    assert draft.undo() and draft.body["execution_mode"] == "async"
    assert draft.undo() and draft.body["inputs"]["prompt"] == "a fox"
    assert draft.undo() and draft.body == SEED
    assert not draft.undo()
    assert draft.redo() and draft.body["inputs"]["prompt"] == "a fox"
    draft.set(("webhook",), "https://example.com/hook")  # a new edit drops the redo branch
    assert not draft.can_redo


def test_undo_crosses_kind_switches_and_replacements() -> None:
    draft = Draft(SEED)
    draft.set_kind(RequestKind.DEPLOYMENT)
    draft.replace({"deployment_id": "x"})
    assert draft.undo() and draft.kind is RequestKind.DEPLOYMENT
    assert "deployment_id" not in draft.body
    assert draft.undo() and draft.kind is RequestKind.MODEL and draft.body == SEED


def test_dirty_follows_the_saved_state_through_undo() -> None:
    draft = Draft(SEED)
    assert not draft.dirty
    draft.set(("inputs", "seed"), 43)
    assert draft.dirty
    draft.undo()
    assert not draft.dirty
    draft.set(("inputs", "seed"), True)  # True is not 42, nor 1
    draft.mark_saved()
    assert not draft.dirty
    draft.mark_unsaved()
    assert draft.dirty


def test_same_value_is_strict_about_json_types_and_order() -> None:
    assert not same_value(1, True) and not same_value(1, 1.0) and same_value([1, "a"], [1, "a"])
    assert not same_value({"a": 1, "b": 2}, {"b": 2, "a": 1})


def test_rename_key_keeps_the_position() -> None:
    draft = Draft({"inputs": {"a": 1, "b": 2, "c": 3}, "model_id": "m"})
    draft.rename_key(("inputs",), "b", "beta")
    assert list(draft.body["inputs"]) == ["a", "beta", "c"]
    with pytest.raises(DraftPathError):
        draft.rename_key(("inputs",), "a", "c")


def test_listeners_hear_each_change_with_paths_and_origin() -> None:
    draft = Draft(SEED)
    heard: list[DraftChange] = []
    unsubscribe = draft.subscribe(heard.append)
    draft.set(("inputs", "seed"), 1, origin="inputs.seed")
    draft.set(("inputs", "seed"), 1)  # no change, no event
    draft.set_kind(RequestKind.DEPLOYMENT)
    draft.undo()
    unsubscribe()
    draft.redo()
    assert [(c.paths, c.origin, c.kind_changed, c.reason) for c in heard] == [
        ((("inputs", "seed"),), "inputs.seed", False, "edit"),
        ((("model_id",), ("deployment_id",)), None, True, "edit"),
        (((),), None, True, "undo"),
    ]
    assert heard[0].touches(("inputs",)) and not heard[0].touches(("webhook",))
    assert heard[2].touches(("webhook",))
