"""The preview: the exact wire body as highlighted, editable JSON, and ready-to-run snippets.

The JSON tab shows ``Draft.wire()`` (``RunRequest.to_wire()``: what the client sends) with long
data URIs folded, its size in bytes, and the endpoint it goes to. Typing valid JSON there replaces
the draft (the form follows); invalid JSON shows its line and column, and the form keeps its last
good state. A body too big to show in full (a huge batch) is shown abbreviated and read-only.
The curl, Python and TypeScript tabs render the same body with ``composer.core.snippets``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QStackedWidget,
    QTabBar,
    QVBoxLayout,
    QWidget,
)

from composer.core.bodytext import (
    BodyTextParseError,
    RenderCache,
    RenderedBody,
    describe_size,
    parse_body_text,
    render_body,
    wire_size,
)
from composer.core.draft import Body, DraftChange, ordered_body
from composer.core.endpoints import choose_endpoint
from composer.core.snippets import SNIPPET_LANGUAGES, body_json, snippet
from composer.ui.binding import DraftBinding
from composer.ui.icons import set_icon
from composer.ui.theme import Theme, current_theme, set_role

if TYPE_CHECKING:
    from composer.ui.highlighter import JsonHighlighter

ORIGIN = "preview"
PARSE_DELAY_MS = 250
LARGE_BODY_BYTES = 400_000  # above this the JSON view is abbreviated and read-only
LARGE_LIST_ITEMS = 200
HIGHLIGHT_MAX_CHARS = 200_000
SNIPPET_TITLES = {"curl": "curl", "python": "Python", "typescript": "TypeScript"}


def code_font() -> Any:
    """The system's fixed-width font."""
    return QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)


class PreviewPane(QWidget):
    """Tabs of JSON (two-way) and snippets, with the endpoint and size line on top."""

    copied = Signal(str)  # what was copied, for the status bar

    def __init__(
        self,
        binding: DraftBinding,
        base_url: Callable[[], str],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.binding = binding
        self._base_url = base_url
        self.rendered = RenderedBody("")
        self._programmatic = False
        self._editing = False  # the JSON text holds user edits not yet (or not) applied
        self._note = ""  # what applying the typed JSON converted (camelCase keys)
        self._render_cache = RenderCache()

        self.endpoint = QLabel()
        self.endpoint.setObjectName("endpoint")
        self.endpoint.setFont(code_font())
        self.endpoint.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.size_label = QLabel()
        self.size_label.setObjectName("body_size")
        set_role(self.size_label, "muted")
        self.status = QLabel()
        self.status.setObjectName("preview_status")
        self.status.setWordWrap(True)
        self.status.hide()
        self.revert = QPushButton("Show the form's request")
        self.revert.setObjectName("preview__revert")
        self.revert.setToolTip("Discard the text typed here and show the request as composed")
        self.revert.clicked.connect(self.discard_edits)
        self.revert.hide()

        self.editor = QPlainTextEdit()
        self.editor.setObjectName("preview_json")
        self.editor.setAccessibleName("Request body JSON")
        self.editor.setFont(code_font())
        self.editor.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.editor.setFrameShape(QPlainTextEdit.Shape.NoFrame)
        self.editor.setTabChangesFocus(False)
        self.editor.textChanged.connect(self._on_text_changed)
        # Colours come with the second start-up phase (start_highlighting), with the exact body:
        # the text format types they need cost the first frame about 5 ms.
        self.highlighter: JsonHighlighter | None = None
        self._parse_timer = QTimer(self)
        self._parse_timer.setSingleShot(True)
        self._parse_timer.setInterval(PARSE_DELAY_MS)
        self._parse_timer.timeout.connect(self.apply_text)

        # One tab bar over two views: the JSON editor, and one read-only view that shows the
        # snippet of the chosen language (fewer widgets to build at start-up than one each).
        self.tabs = QTabBar()
        self.tabs.setObjectName("preview_tabs")
        self.tabs.setDocumentMode(True)
        self.tabs.setExpanding(False)
        self.tabs.setDrawBase(False)
        self.tabs.addTab("JSON")
        for language in SNIPPET_LANGUAGES:
            self.tabs.addTab(SNIPPET_TITLES[language])
        self.snippet_view = QPlainTextEdit()
        self.snippet_view.setObjectName("snippet")
        self.snippet_view.setReadOnly(True)
        self.snippet_view.setFont(code_font())
        set_role(self.snippet_view, "code")
        self.snippet_view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.snippets = {language: self.snippet_view for language in SNIPPET_LANGUAGES}
        self.pages = QStackedWidget()
        self.pages.addWidget(self.editor)
        self.pages.addWidget(self.snippet_view)
        self.copy_button = QPushButton("Copy")
        set_icon(self.copy_button, "copy")
        self.copy_button.setObjectName("copy_current")
        self.copy_button.setFlat(True)
        self.copy_button.clicked.connect(lambda: self.copy(self.current_language))
        self.tabs.currentChanged.connect(lambda _index: self._on_tab())

        top = QVBoxLayout()
        top.setContentsMargins(10, 8, 10, 6)
        top.setSpacing(2)
        top.addWidget(self.endpoint)
        top.addWidget(self.size_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(top)
        status_line = QHBoxLayout()
        status_line.setContentsMargins(10, 0, 10, 6)
        status_line.addWidget(self.status, 1)
        status_line.addWidget(self.revert)
        layout.addLayout(status_line)
        tab_line = QHBoxLayout()
        tab_line.setContentsMargins(6, 0, 6, 0)
        tab_line.addWidget(self.tabs)
        tab_line.addStretch(1)
        tab_line.addWidget(self.copy_button)
        layout.addLayout(tab_line)
        separator = QFrame()
        set_role(separator, "separator")
        layout.addWidget(separator)
        layout.addWidget(self.pages, 1)
        self._on_tab()

    @property
    def current_language(self) -> str:
        """``json`` or the snippet language of the visible tab."""
        index = self.tabs.currentIndex()
        return "json" if index <= 0 else SNIPPET_LANGUAGES[index - 1]

    def _on_tab(self) -> None:
        language = self.current_language
        title = "JSON body" if language == "json" else f"{SNIPPET_TITLES[language]} snippet"
        self.copy_button.setToolTip(f"Copy the {title} to the clipboard")
        self.copy_button.setAccessibleName(f"Copy the {title}")
        self.pages.setCurrentIndex(0 if language == "json" else 1)
        self.snippet_view.setAccessibleName(title)
        self.render_snippet()

    # --- from the draft ---

    def on_change(self, change: DraftChange) -> None:
        """A change from elsewhere overrides JSON text the user left invalid."""
        if change.origin != ORIGIN:
            self._editing = False
            self._parse_timer.stop()
            self._note = ""

    def refresh(self) -> None:
        """Show the draft: endpoint, size, JSON (unless the user is typing in it), snippet."""
        draft = self.binding.draft
        body = draft.wire()
        endpoint = choose_endpoint(body, draft.kind)
        self.endpoint.setText(endpoint.describe(self._base_url()))
        size = wire_size(body)
        exact = f" ({size:,} bytes)" if size >= 1000 else ""
        self.size_label.setText(f"{describe_size(size)}{exact} on the wire")
        if not self._editing:
            large = size > LARGE_BODY_BYTES
            max_items = LARGE_LIST_ITEMS if large else None
            rendered = render_body(body, max_items=max_items, cache=self._render_cache)
            if rendered.text != self.editor.toPlainText():
                self._set_text(rendered)
            self.rendered = rendered
            self.editor.setReadOnly(rendered.abbreviated)
            if rendered.abbreviated:
                self._show_status(
                    "Large body: long lists are shortened here and the text is read-only. "
                    "Edit values in the form; Copy gives the full JSON.",
                    "muted",
                )
            else:
                self._show_status(self._note, "warning")
        self.render_snippet(body)

    def start_highlighting(self) -> None:
        """Colour the JSON from now on (the window's second start-up phase)."""
        if self.highlighter is None:
            from composer.ui.highlighter import JsonHighlighter

            self.highlighter = JsonHighlighter(self.editor.document())
            if len(self.editor.toPlainText()) > HIGHLIGHT_MAX_CHARS:
                self.highlighter.setDocument(None)

    def show_unchecked(self) -> None:
        """The first frame's preview: the body as it is, before validation (pydantic) has run.

        For a preset saved by composer this is already the exact wire body; :meth:`refresh`
        replaces it with ``Draft.wire()`` a moment later.
        """
        draft = self.binding.draft
        body = ordered_body(draft.body, draft.kind)
        self.endpoint.setText(choose_endpoint(body, draft.kind).describe(self._base_url()))
        self.size_label.setText("")
        self._set_text(render_body(body))

    def _set_text(self, rendered: RenderedBody) -> None:
        self._programmatic = True
        try:
            big = len(rendered.text) > HIGHLIGHT_MAX_CHARS
            if self.highlighter is not None:
                self.highlighter.setDocument(None if big else self.editor.document())
            scroll = self.editor.verticalScrollBar().value()
            self.editor.setPlainText(rendered.text)
            self.editor.verticalScrollBar().setValue(scroll)
        finally:
            self._programmatic = False

    def render_snippet(self, body: Body | None = None) -> None:
        """Render the snippet of the visible tab (hidden ones render when shown); ``body``: the
        draft's wire body when the caller has it already (it costs a conversion)."""
        index = self.tabs.currentIndex()
        if index <= 0:
            return
        language = SNIPPET_LANGUAGES[index - 1]
        wire = body if body is not None else self.binding.draft.wire()
        text = snippet(language, self._base_url(), wire)
        view = self.snippets[language]
        if view.toPlainText() != text:
            view.setPlainText(text)

    def snippet_text(self, language: str) -> str:
        """The full snippet for ``language`` (with the whole body, never abbreviated)."""
        return snippet(language, self._base_url(), self.binding.draft.wire())

    # --- from the user ---

    def _on_text_changed(self) -> None:
        if self._programmatic:
            return
        self._editing = True
        self._parse_timer.start()

    def apply_text(self) -> bool:
        """Read the JSON text; valid: replace the draft, invalid: say where. Returns validity."""
        self._parse_timer.stop()
        text = self.editor.toPlainText()
        try:
            value = parse_body_text(text, self.rendered.folds)
        except BodyTextParseError as exc:
            self._mark_error(exc.error.position)
            self._show_status(f"Not valid JSON: {exc.error}. The form keeps its last good state.",
                              "error")  # fmt: skip
            return False
        self._mark_error(None)
        if not isinstance(value, dict):
            self._show_status("The body must be a JSON object ({...}).", "error")
            return False
        from composer.core.validation import import_body  # camelCase keys of the TS SDK

        imported = import_body(value)
        self.binding.draft.seal()
        self.binding.draft.replace(imported.body, origin=ORIGIN)
        self.binding.draft.seal()
        self._editing = False
        note = "; ".join(imported.notes)
        self._note = note[:1].upper() + note[1:]
        self._show_status(self._note, "warning")
        return True

    def discard_edits(self) -> None:
        """Throw away typed JSON that was not applied and show the draft again."""
        self._editing = False
        self._parse_timer.stop()
        self._mark_error(None)
        self.refresh()

    def _mark_error(self, position: int | None) -> None:
        # Loaded here: only an invalid edit needs them, and their types cost start-up time.
        from PySide6.QtGui import QTextCharFormat, QTextCursor
        from PySide6.QtWidgets import QTextEdit

        selections: list[QTextEdit.ExtraSelection] = []
        if position is not None:
            selection = QTextEdit.ExtraSelection()
            char_format = QTextCharFormat()
            char_format.setBackground(QColor(current_theme().error_bg))
            char_format.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
            char_format.setUnderlineColor(QColor(current_theme().error))
            selection.format = char_format
            cursor = QTextCursor(self.editor.document())
            cursor.setPosition(min(position, max(0, len(self.editor.toPlainText()) - 1)))
            cursor.movePosition(
                QTextCursor.MoveOperation.NextCharacter, QTextCursor.MoveMode.KeepAnchor
            )
            selection.cursor = cursor
            selections.append(selection)
        self.editor.setExtraSelections(selections)

    def _show_status(self, text: str, role: str) -> None:
        self.status.setText(text)
        set_role(self.status, role)
        self.status.setVisible(bool(text))
        self.revert.setVisible(role == "error")

    @property
    def error_text(self) -> str:
        """The JSON error shown, or ``""``."""
        return self.status.text() if self.status.property("role") == "error" else ""

    # --- copy ---

    def copy(self, language: str) -> None:
        """Copy the full JSON body or a snippet to the clipboard."""
        if language == "json":
            text = body_json(self.binding.draft.wire())
        else:
            text = self.snippet_text(language)
        QGuiApplication.clipboard().setText(text)
        title = "JSON" if language == "json" else SNIPPET_TITLES[language]
        self.copied.emit(f"Copied the {title} ({describe_size(len(text.encode('utf-8')))})")

    def set_theme(self, theme: Theme) -> None:
        """Recolour the highlighting."""
        if self.highlighter is not None:
            self.highlighter.set_theme(theme)
