"""Validation of a wire body: errors at paths into the body, and cross-field warnings.

Local validation (pydantic) and a server's 422 both end up as :class:`FieldError` values whose
``loc`` is a path into the wire body, such as ``("inputs", "seed")`` or
``("batch_input_params", "seed", 2)``; one piece of UI code marks the widget owning that path.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from composer.core.draft import path_text
from composer.core.request import REQUEST_CLASSES, RunRequest
from composer.core.wire import CAMEL_TO_SNAKE, KIND_KEYS, KNOWN_ORIGINS, RequestKind, kind_of

Loc = tuple[str | int, ...]

# Names a 422 ``loc`` may carry that are not part of the body: the union member the server tried.
_UNION_MEMBERS = frozenset(
    {
        "ModelRunRequest",
        "DeploymentRunRequest",
        "WorkflowRunRequest",
        "WorkflowRunVersionRequest",
    }
)
# Tags pydantic appends for each member of the ``inputs`` value union.
_INPUT_TYPE_TAGS = frozenset({"str", "int", "float", "bool", "bytes", "list", "list[any]"})
_INPUT_VALUE_MESSAGE = (
    "Input should be a string, a number, a boolean or a list (not an object or null)"
)


@dataclass(frozen=True, slots=True)
class FieldError:
    """One reason a body is invalid, at a path into the wire body (empty path: the whole body)."""

    loc: Loc
    message: str
    type: str = "value_error"

    @property
    def path(self) -> str:
        """The path as people read it: ``inputs.seed``, ``batch_input_params.seed[2]``."""
        return format_loc(self.loc)

    def __str__(self) -> str:
        return f"{self.path or 'body'}: {self.message}"


@dataclass(frozen=True, slots=True)
class RequestWarning:
    """Something valid that will not do what the user probably expects."""

    code: str
    message: str
    loc: Loc = ()


@dataclass(frozen=True, slots=True)
class Validation:
    """The outcome of validating a body: the model when valid, else errors; warnings either way."""

    kind: RequestKind | None
    request: RunRequest | None
    errors: tuple[FieldError, ...] = ()
    warnings: tuple[RequestWarning, ...] = ()

    @property
    def ok(self) -> bool:
        """True when the body is valid and ``request`` is set."""
        return self.request is not None and not self.errors


@dataclass(slots=True)
class ImportedBody:
    """A body converted from a foreign form (the TypeScript SDK's camelCase), with notes."""

    body: dict[str, Any]
    notes: list[str] = field(default_factory=list)


def format_loc(loc: Sequence[str | int]) -> str:
    """Render a path as dotted text with list indices in brackets (the draft's
    :func:`~composer.core.draft.path_text`, so a path reads the same everywhere)."""
    return path_text(tuple(loc))


def normalise_loc(loc: Iterable[str | int]) -> Loc:
    """Strip what is not a path into the body from a pydantic or FastAPI ``loc``.

    Removes a leading ``"body"``, the union member name the server tried
    (``"ModelRunRequest"``), and the type tag pydantic appends for each member of the ``inputs``
    value union (``["inputs", "seed", "str"]`` -> ``("inputs", "seed")``).
    """
    parts = list(loc)
    if parts and parts[0] == "body":
        parts.pop(0)
    if parts and isinstance(parts[0], str) and parts[0] in _UNION_MEMBERS:
        parts.pop(0)
    if len(parts) == 3 and parts[0] == "inputs" and parts[2] in _INPUT_TYPE_TAGS:
        parts.pop()
    return tuple(parts)


def errors_from_pydantic(raw: Iterable[Mapping[str, Any]]) -> list[FieldError]:
    """Convert pydantic error dicts (or a 422 ``detail`` list) to :class:`FieldError` values.

    The several errors pydantic gives for one ``inputs`` value (one per union member) collapse into
    one message; the first error at each path is kept, in the server's order.
    """
    errors: dict[Loc, FieldError] = {}
    for item in raw:
        raw_loc = item.get("loc", ())
        loc = normalise_loc(raw_loc if isinstance(raw_loc, list | tuple) else (str(raw_loc),))
        union_member_error = len(loc) == 2 and loc[0] == "inputs" and len(tuple(raw_loc)) > len(loc)
        message = _INPUT_VALUE_MESSAGE if union_member_error else str(item.get("msg", "invalid"))
        kind = "inputs_value" if union_member_error else str(item.get("type", "value_error"))
        errors.setdefault(loc, FieldError(loc, message, kind))
    return list(errors.values())


def errors_from_422(detail: object) -> list[FieldError]:
    """Turn a server 422 ``detail`` into field errors (a non-list detail: one body error)."""
    if isinstance(detail, list):
        return errors_from_pydantic(item for item in detail if isinstance(item, Mapping))
    return [FieldError((), str(detail), "value_error")]


def import_body(data: Mapping[str, Any]) -> ImportedBody:
    """Accept the TypeScript SDK's camelCase names and convert them to the wire's snake_case.

    The API silently ignores a camelCase key (a required one then gives 422), so composer converts
    known names and says so. A key present in both forms keeps the snake_case value.
    """
    body: dict[str, Any] = {}
    notes: list[str] = []
    for key, value in data.items():
        snake = CAMEL_TO_SNAKE.get(key)
        if snake is None:
            body.setdefault(key, value)
            continue
        if snake in data:
            notes.append(f"dropped {key}: {snake} is also present and wins")
            continue
        body[snake] = value
        notes.append(f"converted {key} to {snake} (the API expects snake_case)")
    return ImportedBody(body=body, notes=notes)


def validate_body(body: object, kind: RequestKind | None = None) -> Validation:
    """Validate a wire body as the server would, with errors at body paths and warnings.

    ``kind`` forces the request kind (the form's choice); otherwise it is read from the body
    (``model_id`` wins over ``deployment_id``, as on the server).
    """
    if not isinstance(body, Mapping):
        return Validation(
            None, None, (FieldError((), "The body must be a JSON object", "dict_type"),)
        )
    chosen = kind or kind_of(dict(body))
    # Without a kind key, validate as a model run (the generic endpoint's first choice) so every
    # other error still shows, and say which keys would make it a request.
    model_class = REQUEST_CLASSES[chosen or RequestKind.MODEL]
    try:
        request = model_class.model_validate(dict(body))
    except ValidationError as exc:
        errors = errors_from_pydantic(exc.errors(include_url=False))
        if chosen is None:
            errors = [_missing_kind_error() if e.loc == ("model_id",) else e for e in errors]
        warnings = tuple(cross_field_warnings(body, chosen or RequestKind.MODEL))
        return Validation(chosen, None, tuple(errors), warnings)
    return Validation(chosen, request, (), tuple(cross_field_warnings(body, request.kind)))


def _missing_kind_error() -> FieldError:
    message = "Field required: set model_id for a model run or deployment_id for a deployment run"
    return FieldError(("model_id",), message, "missing")


def cross_field_warnings(body: Mapping[str, Any], kind: RequestKind) -> list[RequestWarning]:
    """Rules the server applies silently or answers later with an error (API-CONTRACT section 2)."""
    warnings: list[RequestWarning] = []
    batch_params = body.get("batch_input_params")
    batch_number = body.get("batch_number")
    if batch_params is not None and batch_number is not None:
        warnings.append(
            RequestWarning(
                "batch_number_ignored",
                "batch_number is ignored because batch_input_params is present (even when empty)",
                ("batch_number",),
            )
        )
    mode = body.get("execution_mode", "async")
    if isinstance(batch_number, int) and batch_number > 1 and mode == "sync_first_result":
        warnings.append(
            RequestWarning(
                "sync_first_result_batch",
                "The server answers 400: batch_number is not supported with sync_first_result",
                ("batch_number",),
            )
        )
    if body.get("is_native_run") is True:
        warnings.append(
            RequestWarning(
                "native_run",
                "is_native_run: the server creates the run but executes nothing "
                "(it answers with worker parameters)",
                ("is_native_run",),
            )
        )
    if isinstance(batch_params, Mapping):
        for name, values in batch_params.items():
            if isinstance(values, list) and not values:
                warnings.append(
                    RequestWarning(
                        "empty_batch_column",
                        f"The batch column {name!r} is empty, so the batch starts zero runs",
                        ("batch_input_params", name),
                    )
                )
    origin = body.get("origin")
    if isinstance(origin, str) and origin not in KNOWN_ORIGINS:
        warnings.append(
            RequestWarning(
                "unknown_origin",
                f"origin {origin!r} is stored, but the server's database only knows "
                f"{', '.join(KNOWN_ORIGINS)}; the run will fail with 500",
                ("origin",),
            )
        )
    known = set(REQUEST_CLASSES[kind].model_fields) | {KIND_KEYS[kind]}
    for key in body:
        if key in known:
            continue
        hint = ""
        if key in CAMEL_TO_SNAKE:
            hint = f" (did you mean {CAMEL_TO_SNAKE[key]}?)"
        elif key in KIND_KEYS.values():
            hint = f" for a {kind.label.lower()}"
        warnings.append(
            RequestWarning("unknown_key", f"The server ignores the key {key!r}{hint}", (key,))
        )
    return warnings
