"""The draft: the request being composed, as one wire dict, with change events and undo.

Every view of the request (form fields, inputs and batch tables, the JSON preview, snippets) reads
this dict and writes it through :class:`Draft`, so there is one source of truth. A field the user
never set is absent from the dict, exactly as it is absent from the body the client sends.

The dict is never mutated in place: an edit copies the containers along its path and shares the
rest (structural sharing). That makes undo snapshots free (a snapshot is the old root) and lets a
view hold on to a value without it changing under it. Treat :attr:`Draft.body` as read-only.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final, NamedTuple

from composer.core.wire import KIND_KEYS, SHARED_FIELDS, RequestKind, kind_of

if TYPE_CHECKING:
    from composer.core.validation import Validation

# A path into the body, as in validation errors: ("inputs", "seed"), ("batch_input_params", "x", 2).
# (The same as composer.core.validation.Loc, repeated so that importing the draft does not load
# pydantic: the window shows itself before the request models are built.)
Loc = tuple[str | int, ...]

Body = dict[str, Any]
Listener = Callable[["DraftChange"], None]


class _Missing:
    """The type of :data:`MISSING`."""

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


# Stands for "no value here": a field left out of the body (distinct from null).
MISSING: Final[Any] = _Missing()
_MISSING: Final[Any] = MISSING
HISTORY_LIMIT: Final = 500


class DraftPathError(LookupError):
    """A path that does not lead to a container in the draft (for example into a string)."""


# A NamedTuple: defined at start-up, where a dataclass would cost ten times as much.
class DraftChange(NamedTuple):
    """What one edit changed: the paths (``()`` = the whole body), who made it, and how.

    ``origin`` names the view that made the edit, so that view can skip refreshing itself (a
    field being typed in must not have its text and cursor reset under the user's fingers).
    """

    paths: tuple[Loc, ...]
    origin: str | None = None
    kind_changed: bool = False
    reason: str = "edit"  # "edit", "replace", "undo", "redo", "load"

    def touches(self, prefix: Loc) -> bool:
        """True when this change may affect the value at ``prefix`` (or something inside it)."""
        for path in self.paths:
            shortest = min(len(path), len(prefix))
            if path[:shortest] == prefix[:shortest]:
                return True
        return False


# A NamedTuple: defined at start-up, where a dataclass would cost ten times as much.
class _State(NamedTuple):
    body: Body
    kind: RequestKind
    # The other kind's identifying value, kept while the kind is switched away (switch back: it
    # returns), e.g. {"deployment_id": "..."} while composing a model run.
    stash: Mapping[str, Any] = MappingProxyType({})


class _Entry:
    """One undo step: a state, and what lets the next edit merge into it."""

    __slots__ = ("merge_key", "stamp", "state")

    def __init__(self, state: _State, merge_key: object = None, stamp: float = 0.0) -> None:
        self.state = state
        self.merge_key = merge_key
        self.stamp = stamp


class Draft:
    """A request being composed: ``body`` (the wire dict) and ``kind`` (model or deployment run)."""

    def __init__(self, body: Mapping[str, Any] | None = None, kind: RequestKind | None = None):
        body = dict(body or {})
        state = _State(body, kind or kind_of(body) or RequestKind.MODEL)
        self._history: list[_Entry] = [_Entry(state)]
        self._index = 0
        self._sealed = True
        self._saved: _State | None = state
        self._listeners: list[Listener] = []
        self._validation: Validation | None = None

    # --- reading ---

    @property
    def _state(self) -> _State:
        return self._history[self._index].state

    @property
    def body(self) -> Body:
        """The wire dict as composed (read-only: edit through :meth:`set` and friends)."""
        return self._state.body

    @property
    def kind(self) -> RequestKind:
        """The request kind the form composes."""
        return self._state.kind

    def get(self, path: Loc, default: Any = None) -> Any:
        """The value at ``path`` (``("inputs", "seed")``), or ``default`` when it is not set."""
        value = _lookup(self.body, path)
        return default if value is _MISSING else value

    def is_set(self, path: Loc) -> bool:
        """True when the value at ``path`` is present in the body."""
        return _lookup(self.body, path) is not _MISSING

    @property
    def validation(self) -> Validation:
        """The body validated as the server would (cached until the next change)."""
        if self._validation is None:
            from composer.core.validation import validate_body  # pydantic: loaded on first use

            self._validation = validate_body(self.body, self.kind)
        return self._validation

    def wire(self) -> Body:
        """The body the client sends: ``RunRequest.to_wire()`` when valid, else the body as typed
        in the same key order, so the preview always shows what would go out."""
        request = self.validation.request
        if request is not None:
            return request.to_wire()
        return ordered_body(self.body, self.kind)

    # --- editing ---

    def set(self, path: Loc, value: Any, *, origin: str | None = None) -> None:
        """Set the value at ``path``, creating missing parent objects; a no-op when equal."""
        if not path:
            raise DraftPathError("use replace() to set the whole body")
        if same_value(_lookup(self.body, path), value):
            return
        body = _assoc(self.body, path, value)
        self._commit(self._state_with(body), (path,), origin, merge_key=("set", path))

    def unset(self, path: Loc, *, origin: str | None = None) -> None:
        """Remove the value at ``path`` from the body (a field left out: the server default)."""
        if not path or not self.is_set(path):
            return
        body = _dissoc(self.body, path)
        self._commit(self._state_with(body), (path,), origin, merge_key=("unset", path))

    def rename_key(self, parent: Loc, old: str, new: str, *, origin: str | None = None) -> None:
        """Rename a key of the object at ``parent`` keeping its position (an input, a column)."""
        container = self.get(parent)
        if not isinstance(container, Mapping) or old not in container or old == new:
            return
        if new in container:
            raise DraftPathError(f"{new!r} already exists")
        renamed = {(new if key == old else key): value for key, value in container.items()}
        body = _assoc(self.body, parent, renamed) if parent else renamed
        self._commit(self._state_with(body), ((*parent, old), (*parent, new)), origin)

    def replace(
        self,
        body: Mapping[str, Any],
        kind: RequestKind | None = None,
        *,
        origin: str | None = None,
        reason: str = "replace",
    ) -> None:
        """Replace the whole body (JSON typed in the preview, a loaded preset, a restored draft).

        The kind follows ``kind``, else the body's kind key, else stays as it is.
        """
        new_kind = kind or kind_of(dict(body)) or self.kind
        state = _State(dict(body), new_kind, {})
        if new_kind is self.kind and same_value(state.body, self.body):
            return
        self._commit(state, ((),), origin, kind_changed=new_kind is not self.kind, reason=reason)

    def set_kind(self, kind: RequestKind, *, origin: str | None = None) -> None:
        """Switch between model and deployment run, keeping every shared field.

        The old kind's identifying key leaves the body and is kept aside; switching back brings
        it back, so a round trip loses nothing.
        """
        old = self._state
        if kind is old.kind:
            return
        body = dict(old.body)
        stash = dict(old.stash)
        old_key, new_key = KIND_KEYS[old.kind], KIND_KEYS[kind]
        if old_key in body:
            stash[old_key] = body.pop(old_key)
        if new_key in stash and new_key not in body:
            body[new_key] = stash.pop(new_key)
        paths: tuple[Loc, ...] = ((old_key,), (new_key,))
        self._commit(_State(body, kind, stash), paths, origin, kind_changed=True)

    def _state_with(self, body: Body) -> _State:
        return _State(body, self.kind, self._state.stash)

    # --- history ---

    def seal(self) -> None:
        """End the current typing burst: the next edit starts a new undo step."""
        self._sealed = True

    @property
    def can_undo(self) -> bool:
        """True when there is an edit to undo."""
        return self._index > 0

    @property
    def can_redo(self) -> bool:
        """True when an undone edit can be redone."""
        return self._index < len(self._history) - 1

    def undo(self) -> bool:
        """Go back one step; returns False when there is nothing to undo."""
        if not self.can_undo:
            return False
        self._move(self._index - 1, "undo")
        return True

    def redo(self) -> bool:
        """Redo the last undone step; returns False when there is nothing to redo."""
        if not self.can_redo:
            return False
        self._move(self._index + 1, "redo")
        return True

    def clear_history(self) -> None:
        """Forget undo steps (after loading a preset, undo must not cross into the old one)."""
        entry = self._history[self._index]
        self._history = [_Entry(entry.state)]
        self._index = 0
        self._sealed = True

    def _move(self, index: int, reason: str) -> None:
        before = self._state
        self._index = index
        self._sealed = True
        self._validation = None
        self._emit(DraftChange(((),), None, before.kind is not self.kind, reason))

    # --- saved state ---

    def mark_saved(self) -> None:
        """Remember the current state as saved (a preset was written or loaded)."""
        self._saved = self._state

    @property
    def dirty(self) -> bool:
        """True when the body or kind differs from the last saved state."""
        saved = self._saved
        if saved is None:
            return True
        return saved.kind is not self.kind or not same_value(saved.body, self.body)

    def mark_unsaved(self) -> None:
        """Forget the saved state: the draft counts as changed until saved (a restored draft)."""
        self._saved = None

    # --- events ---

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` after every change; returns a function that unsubscribes it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def _commit(
        self,
        state: _State,
        paths: tuple[Loc, ...],
        origin: str | None,
        *,
        merge_key: object = None,
        kind_changed: bool = False,
        reason: str = "edit",
    ) -> None:
        top = self._history[self._index]
        del self._history[self._index + 1 :]  # a new edit drops the redo branch
        now = time.monotonic()
        if merge_key is not None and not self._sealed and top.merge_key == merge_key:
            top.state = state  # one typing burst in one field is one undo step
            top.stamp = now
        else:
            self._history.append(_Entry(state, merge_key, now))
            if len(self._history) > HISTORY_LIMIT:
                del self._history[0]
            self._index = len(self._history) - 1
        self._sealed = merge_key is None
        self._validation = None
        self._emit(DraftChange(paths, origin, kind_changed, reason))

    def _emit(self, change: DraftChange) -> None:
        for listener in list(self._listeners):
            listener(change)


def ordered_body(body: Body, kind: RequestKind) -> Body:
    """``body`` with its keys in the order ``RunRequest.to_wire()`` gives (the shared fields,
    then the kind's key, then the rest as typed); pydantic-free, for the first frame too."""
    order = (*SHARED_FIELDS, kind.key)
    ordered = {key: body[key] for key in order if key in body}
    ordered.update((key, value) for key, value in body.items() if key not in ordered)
    return ordered


# --- paths into nested dicts and lists, copy-on-write ---


def path_text(loc: Loc) -> str:
    """A path as people read it: ``inputs.seed``, ``batch_input_params.seed[2]``.

    ``composer.core.validation.format_loc`` calls this one; it lives here because the draft must
    not import validation (and with it pydantic)."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def same_value(a: Any, b: Any) -> bool:
    """Equality as the wire sees it: ``1``, ``1.0`` and ``True`` differ, and so does key order
    (it orders a batch's runs).

    Shared subtrees (the common case after copy-on-write edits) compare by identity at once.
    """
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same_value(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _lookup(node: Any, path: Loc) -> Any:
    for part in path:
        if isinstance(node, Mapping) and isinstance(part, str):
            if part not in node:
                return _MISSING
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and -len(node) <= part < len(node):
            node = node[part]
        else:
            return _MISSING
    return node


def _assoc(node: Any, path: Loc, value: Any) -> Any:
    """A copy of ``node`` with ``value`` at ``path``; containers off the path are shared."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(head, str):
        if node is None or node is _MISSING:
            node = {}
        if not isinstance(node, Mapping):
            raise DraftPathError(f"cannot set {head!r} inside a {type(node).__name__}")
        copy = dict(node)
        copy[head] = _assoc(copy.get(head, _MISSING), rest, value)
        return copy
    if not isinstance(node, list):
        raise DraftPathError(f"cannot set item {head} inside a {type(node).__name__}")
    items = list(node)
    if head == len(items):
        items.append(_assoc(_MISSING, rest, value))
    elif -len(items) <= head < len(items):
        items[head] = _assoc(items[head], rest, value)
    else:
        raise DraftPathError(f"item {head} is past the end of a list of {len(items)}")
    return items


def _dissoc(node: Any, path: Loc) -> Any:
    """A copy of ``node`` without the value at ``path`` (a list item is removed, not nulled)."""
    head, rest = path[0], path[1:]
    if isinstance(node, Mapping) and isinstance(head, str):
        copy = dict(node)
        if rest:
            copy[head] = _dissoc(copy[head], rest)
        else:
            del copy[head]
        return copy
    if isinstance(node, list) and isinstance(head, int):
        items = list(node)
        if rest:
            items[head] = _dissoc(items[head], rest)
        else:
            del items[head]
        return items
    raise DraftPathError(f"no value at {path!r}")
