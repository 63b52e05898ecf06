"""Checks beyond the server's schema: inputs against their declarations, and the webhook URL.

Values are checked against what a model or deployment declares (``InputSpec``).

The server accepts any string, number, boolean or list for any input and silently ignores names
no input node reads, so these are warnings: a value of the wrong type, out of the declared range
or not among the declared choices, and a name nothing reads. Batch cells get the same checks,
plus one the server's schema does not make: a cell that is null or an object cannot be a run's
input value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from composer.core.catalogue import InputSpec
from composer.core.validation import Loc, RequestWarning

_TYPE_WORDS = {
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "text": "text",
    "image": "an image URL or data URI",
    "list": "a list",
}


def _fits(kind: str, value: Any) -> bool:
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind in ("text", "image"):
        return isinstance(value, str)
    if kind == "list":
        return isinstance(value, list)
    return True


def value_warnings(spec: InputSpec, value: Any, loc: Loc) -> list[RequestWarning]:
    """What is off about one value of a declared input (type, range, choices)."""
    kind = spec.value_type
    if kind == "enum":
        choices = spec.enum_values or []
        if value not in choices:
            shown = ", ".join(str(choice) for choice in choices[:8])
            more = ", …" if len(choices) > 8 else ""
            message = f"{spec.input_id} is declared with the choices {shown}{more}"
            return [RequestWarning("not_a_choice", message, loc)]
        return []
    if not _fits(kind, value):
        message = f"{spec.input_id} is declared as {_TYPE_WORDS.get(kind, kind)}"
        return [RequestWarning("declared_type", message, loc)]
    if isinstance(value, int | float) and not isinstance(value, bool):
        if spec.min_value is not None and value < spec.min_value:
            message = f"{spec.input_id} is declared with a minimum of {spec.min_value:g}"
            return [RequestWarning("below_minimum", message, loc)]
        if spec.max_value is not None and value > spec.max_value:
            message = f"{spec.input_id} is declared with a maximum of {spec.max_value:g}"
            return [RequestWarning("above_maximum", message, loc)]
    return []


class ColumnCache:
    """Warnings of batch columns, reused while the same column list is checked again.

    The draft edits copy-on-write: after a keystroke elsewhere, a 10,000-value column is the
    very same list object, so its cells need no new check. Entries live for one check.
    """

    def __init__(self) -> None:
        self._entries: dict[tuple[str, int, int], tuple[list[Any], Any, list[RequestWarning]]]
        self._entries = {}
        self._used: dict[tuple[str, int, int], tuple[list[Any], Any, list[RequestWarning]]]
        self._used = {}

    def column(
        self, name: str, values: list[Any], spec: InputSpec | None, declared: bool
    ) -> list[RequestWarning]:
        """The cell warnings of one column, from the cache when the list is unchanged."""
        key = (name, id(values), id(spec) if spec is not None else int(declared))
        entry = self._entries.get(key)
        if entry is not None and entry[0] is values and entry[1] is spec:
            self._used[key] = entry
            return entry[2]
        found = _column_warnings(name, values, spec)
        self._used[key] = (values, spec, found)
        return found

    def finish(self) -> None:
        """End a check: keep only the entries it used."""
        self._entries, self._used = self._used, {}


def _column_warnings(name: str, values: list[Any], spec: InputSpec | None) -> list[RequestWarning]:
    warnings: list[RequestWarning] = []
    for index, value in enumerate(values):
        loc: Loc = ("batch_input_params", name, index)
        if value is None or isinstance(value, Mapping):
            what = "null" if value is None else "an object"
            message = f"{what} cannot be an input value (text, number, boolean or list)"
            warnings.append(RequestWarning("batch_cell_type", message, loc))
        elif spec is not None:
            warnings += value_warnings(spec, value, loc)
    return warnings


def input_warnings(
    body: Mapping[str, Any], specs: Sequence[InputSpec], cache: ColumnCache | None = None
) -> list[RequestWarning]:
    """Warnings for ``inputs`` and ``batch_input_params`` against the declared inputs.

    With no declared inputs (``specs`` empty: nothing known about the target) only the batch
    cells that cannot be input values are flagged. A :class:`ColumnCache` kept between calls
    makes checking big unchanged columns free.
    """
    declared = {spec.input_id: spec for spec in specs}
    warnings: list[RequestWarning] = []
    inputs = body.get("inputs")
    if isinstance(inputs, Mapping):
        for name, value in inputs.items():
            spec = declared.get(name)
            if spec is not None:
                warnings += value_warnings(spec, value, ("inputs", name))
            elif declared:
                warnings.append(_unread(name, ("inputs", name)))
    params = body.get("batch_input_params")
    if isinstance(params, Mapping):
        for name, values in params.items():
            if not isinstance(values, list):
                continue
            spec = declared.get(name)
            if spec is None and declared:
                warnings.append(_unread(name, ("batch_input_params", name)))
            if cache is not None:
                warnings += cache.column(name, values, spec, bool(declared))
            else:
                warnings += _column_warnings(name, values, spec)
    if cache is not None:
        cache.finish()
    return warnings


def _unread(name: str, loc: Loc) -> RequestWarning:
    message = f"No declared input is named {name!r}: the server ignores it"
    return RequestWarning("undeclared_input", message, loc)


def webhook_warnings(body: Mapping[str, Any]) -> list[RequestWarning]:
    """The server stores any webhook text; one that is not an http(s) URL never gets a call."""
    webhook = body.get("webhook")
    if not isinstance(webhook, str) or not webhook:
        return []
    try:
        parts = urlsplit(webhook.strip())
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        message = "Not an http(s) URL: ComfyDeploy can only call http:// or https:// addresses"
        return [RequestWarning("webhook_url", message, ("webhook",))]
    if webhook != webhook.strip():
        return [RequestWarning("webhook_url", "The URL has spaces around it", ("webhook",))]
    return []


def form_warnings(
    body: Mapping[str, Any], specs: Sequence[InputSpec], cache: ColumnCache | None = None
) -> list[RequestWarning]:
    """Every check of this module for one body."""
    return [*webhook_warnings(body), *input_warnings(body, specs, cache)]
