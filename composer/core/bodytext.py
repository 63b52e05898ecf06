"""The body as text people read and edit: compact JSON with long data URIs folded, and back.

The preview shows the wire body as JSON. Two things make plain ``json.dumps(indent=2)`` a poor
fit: a data URI of a few megabytes drowns the rest, and a batch column of 10,000 values takes
10,000 lines. So :func:`render_body` folds each long data URI to a short stub (remembered in
:attr:`RenderedBody.folds`) and packs lists of plain values onto few lines. :func:`parse_body_text`
reads edited text back, puts the folded values back in place of untouched stubs, and reports bad
JSON with its line and column. The values are exactly the body's: only the layout differs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final, NamedTuple

FOLD_MIN_CHARS: Final = 160  # data URIs longer than this are folded
LINE_WIDTH: Final = 96

_encode_string = json.encoder.encode_basestring  # the C implementation (non-ASCII kept as is)


# A NamedTuple: defined at start-up, where a dataclass would cost ten times as much.
class RenderedBody(NamedTuple):
    """JSON text of a body; ``folds`` maps each stub string in it to the value it stands for."""

    text: str
    folds: Mapping[str, str] = MappingProxyType({})
    abbreviated: bool = False  # long lists were cut short: the text is a view, not the body


# A NamedTuple: defined at start-up, where a dataclass would cost ten times as much.
class BodyTextError(NamedTuple):
    """Why edited text is not a body, with the 1-based line and column of the problem."""

    message: str
    line: int = 1
    column: int = 1
    position: int = 0

    def __str__(self) -> str:
        return f"Line {self.line}, column {self.column}: {self.message}"


def describe_size(size: int) -> str:
    """``"512 bytes"``, ``"12.3 kB"``, ``"4.5 MB"`` (decimal units, as file managers show)."""
    if size < 1000:
        return f"{size} byte" + ("" if size == 1 else "s")
    if size < 1_000_000:
        return f"{size / 1000:.1f} kB"
    return f"{size / 1_000_000:.1f} MB"


def fold_stub(value: str, number: int) -> str:
    """The short text that stands for a long data URI in the preview."""
    head = value.split(",", 1)[0]
    return f"{head},… {describe_size(len(value))} folded #{number}"


def wire_size(body: Mapping[str, Any]) -> int:
    """Bytes of the body as the client sends it (compact UTF-8 JSON)."""
    return len(json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


class RenderCache:
    """Rendered text of big lists, reused while the same list object is rendered again.

    The draft edits copy-on-write, so a batch column nobody touched is the very same list
    object after a keystroke elsewhere: its text need not be built again. Entries hold the list
    itself (an ``id`` alone could be reused by a new object) and live for one render.
    """

    MIN_ITEMS = 64

    def __init__(self) -> None:
        self._entries: dict[tuple[int, int, int | None], tuple[list[Any], str]] = {}
        self._used: dict[tuple[int, int, int | None], tuple[list[Any], str]] = {}

    def get(self, value: list[Any], depth: int, max_items: int | None) -> str | None:
        """The text rendered last time for this very list, or None."""
        key = (id(value), depth, max_items)
        entry = self._entries.get(key)
        if entry is None or entry[0] is not value:
            return None
        self._used[key] = entry
        return entry[1]

    def put(self, value: list[Any], depth: int, max_items: int | None, text: str) -> None:
        """Remember the text of a list for the next render."""
        self._used[(id(value), depth, max_items)] = (value, text)

    def finish(self) -> None:
        """End a render: keep only the entries it used."""
        self._entries, self._used = self._used, {}


def render_body(
    body: Mapping[str, Any],
    width: int = LINE_WIDTH,
    max_items: int | None = None,
    cache: RenderCache | None = None,
) -> RenderedBody:
    """Indented JSON of ``body``; long data URIs folded; lists of plain values packed.

    With ``max_items``, longer lists show their first values and a note of how many more: a
    readable view of a huge body, no longer the body itself (``abbreviated`` is then True).
    A :class:`RenderCache` kept between calls makes re-rendering big unchanged lists free.
    """
    renderer = _Renderer(width, max_items, cache)
    parts: list[str] = []
    renderer.value(body, 0, parts)
    if cache is not None:
        cache.finish()
    return RenderedBody("".join(parts), renderer.folds, renderer.abbreviated)


class _Renderer:
    def __init__(
        self, width: int, max_items: int | None = None, cache: RenderCache | None = None
    ) -> None:
        self.width = width
        self.max_items = max_items
        self.cache = cache
        self.abbreviated = False
        self.folds: dict[str, str] = {}
        self._stubs_by_value: dict[str, str] = {}

    def scalar(self, value: Any) -> str:
        if isinstance(value, str):
            if len(value) > FOLD_MIN_CHARS and value.startswith("data:"):
                stub = self._stubs_by_value.get(value)
                if stub is None:
                    stub = fold_stub(value, len(self.folds) + 1)
                    self._stubs_by_value[value] = stub
                    self.folds[stub] = value
                return str(_encode_string(stub))
            return str(_encode_string(value))
        if value is True:
            return "true"
        if value is False:
            return "false"
        if value is None:
            return "null"
        if isinstance(value, float):
            return json.dumps(value)  # NaN/Infinity as Python's json writes them
        return repr(value)

    def value(self, value: Any, depth: int, out: list[str]) -> None:
        if isinstance(value, Mapping):
            self.mapping(value, depth, out)
        elif isinstance(value, list):
            self.sequence(value, depth, out)
        else:
            out.append(self.scalar(value))

    def mapping(self, value: Mapping[str, Any], depth: int, out: list[str]) -> None:
        if not value:
            out.append("{}")
            return
        pad = "  " * (depth + 1)
        out.append("{\n")
        last = len(value) - 1
        for index, (key, item) in enumerate(value.items()):
            out.append(f"{pad}{_encode_string(str(key))}: ")
            self.value(item, depth + 1, out)
            out.append(",\n" if index < last else "\n")
        out.append("  " * depth + "}")

    def sequence(self, value: list[Any], depth: int, out: list[str]) -> None:
        if not value:
            out.append("[]")
            return
        cache = self.cache if len(value) >= RenderCache.MIN_ITEMS else None
        if cache is not None:
            cached = cache.get(value, depth, self.max_items)
            if cached is not None:
                if self.max_items is not None and len(value) > self.max_items:
                    self.abbreviated = True
                out.append(cached)
                return
            folds_before = len(self.folds)
            parts: list[str] = []
            self._sequence(value, depth, parts)
            text = "".join(parts)
            if len(self.folds) == folds_before:  # stubs are numbered per render: not cached
                cache.put(value, depth, self.max_items, text)
            out.append(text)
            return
        self._sequence(value, depth, out)

    def _sequence(self, value: list[Any], depth: int, out: list[str]) -> None:
        if self.max_items is not None and len(value) > self.max_items:
            self.abbreviated = True
            more = len(value) - self.max_items
            value = [*value[: self.max_items], f"… {more:,} more values not shown"]
        if any(isinstance(item, Mapping | list) for item in value):
            pad = "  " * (depth + 1)
            out.append("[\n")
            last = len(value) - 1
            for index, item in enumerate(value):
                out.append(pad)
                self.value(item, depth + 1, out)
                out.append(",\n" if index < last else "\n")
            out.append("  " * depth + "]")
            return
        texts = [self.scalar(item) for item in value]
        inline = "[" + ", ".join(texts) + "]"
        # Short lists stay on the key's line (the key takes about 24 characters).
        if len(inline) + depth * 2 + 24 <= self.width:
            out.append(inline)
            return
        pad = "  " * (depth + 1)
        if max(len(text) for text in texts) > 18:  # texts (prompts) read best one per line
            out.append("[\n" + ",\n".join(pad + text for text in texts) + "\n" + "  " * depth + "]")
            return
        # Pack short values onto lines of at most `width` characters.
        lines: list[str] = []
        line: list[str] = []
        used = len(pad)
        for text in texts:
            if line and used + len(text) + 2 > self.width:
                lines.append(pad + ", ".join(line))
                line, used = [], len(pad)
            line.append(text)
            used += len(text) + 2
        lines.append(pad + ", ".join(line))
        out.append("[\n" + ",\n".join(lines) + "\n" + "  " * depth + "]")


def parse_body_text(text: str, folds: Mapping[str, str] | None = None) -> Any:
    """Read edited preview text: the JSON value with folded stubs restored.

    Raises :class:`BodyTextParseError` for text that is not JSON (with line and column).
    """
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BodyTextParseError(BodyTextError(exc.msg, exc.lineno, exc.colno, exc.pos)) from None
    return _unfold(value, folds) if folds else value


class BodyTextParseError(ValueError):
    """Edited text that is not valid JSON; ``error`` says where."""

    def __init__(self, error: BodyTextError) -> None:
        super().__init__(str(error))
        self.error = error


def _unfold(value: Any, folds: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        return folds.get(value, value)
    if isinstance(value, dict):
        return {key: _unfold(item, folds) for key, item in value.items()}
    if isinstance(value, list):
        return [_unfold(item, folds) for item in value]
    return value
