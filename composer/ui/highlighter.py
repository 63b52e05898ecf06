"""JSON syntax colours for the preview: one regular expression, applied line by line."""

from __future__ import annotations

from PySide6.QtCore import QRegularExpression
from PySide6.QtGui import QColor, QFont, QSyntaxHighlighter, QTextCharFormat, QTextDocument

from composer.ui.theme import Theme, current_theme

# Keys are strings followed by a colon; a folded data URI stub ends in "folded #N".
_TOKENS = QRegularExpression(
    r'(?<fold>"data:[^"]*folded #\d+")'
    r'|(?<key>"(?:[^"\\]|\\.)*"(?=\s*:))'
    r'|(?<string>"(?:[^"\\]|\\.)*")'
    r"|(?<number>-?\b\d+(?:\.\d+)?(?:[eE][+-]?\d+)?\b)"
    r"|(?<literal>\b(?:true|false|null)\b)"
)
_GROUPS = ("fold", "key", "string", "number", "literal")


class JsonHighlighter(QSyntaxHighlighter):
    """Colours keys, strings, numbers and literals; folded data URIs in muted italics."""

    def __init__(self, document: QTextDocument, theme: Theme | None = None) -> None:
        super().__init__(document)
        self.formats: dict[str, QTextCharFormat] = {}
        self.set_theme(theme or current_theme(), rehighlight=False)

    def set_theme(self, theme: Theme, *, rehighlight: bool = True) -> None:
        """Use ``theme``'s colours."""
        colors = {
            "fold": theme.muted,
            "key": theme.json_key,
            "string": theme.json_string,
            "number": theme.json_number,
            "literal": theme.json_literal,
        }
        self.formats = {}
        for name, color in colors.items():
            text_format = QTextCharFormat()
            text_format.setForeground(QColor(color))
            if name == "fold":
                text_format.setFontItalic(True)
            if name == "key":
                text_format.setFontWeight(QFont.Weight.DemiBold)
            self.formats[name] = text_format
        if rehighlight:
            self.rehighlight()

    def highlightBlock(self, text: str) -> None:
        matches = _TOKENS.globalMatch(text)
        while matches.hasNext():
            match = matches.next()
            for name in _GROUPS:
                start = match.capturedStart(name)
                if start >= 0:
                    self.setFormat(start, match.capturedLength(name), self.formats[name])
                    break
