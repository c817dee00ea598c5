"""Syntax colours for code on the feedback page, with markup only where there is a colour.

nbconvert's highlighter wraps every token in a ``<span>`` (names, punctuation, spaces
included), which makes code about three times its size in HTML: 42 KB of spans for a 29 KB
notebook. Here Pygments only lexes; consecutive tokens are merged and only the kinds the
stylesheet colours (comments, keywords, strings, numbers, definitions, builtins) get a
``<span>``, so the page grows with the code and not with its token count.
"""

from __future__ import annotations

import html

from pygments import lex
from pygments.lexer import Lexer
from pygments.lexers import TextLexer, get_lexer_by_name
from pygments.token import Comment, Error, Keyword, Name, Number, Operator, String, _TokenType
from pygments.util import ClassNotFound

__all__ = ["highlight"]

# Most specific first: String.Doc before String, Name.Function before the Name it is in.
_CLASSES: tuple[tuple[_TokenType, str], ...] = (
    (Comment, "c"),
    (String.Doc, "c"),
    (String, "s"),
    (Keyword, "k"),
    (Operator.Word, "k"),
    (Number, "m"),
    (Name.Function, "nf"),
    (Name.Class, "nf"),
    (Name.Decorator, "nf"),
    (Name.Builtin, "nb"),
    (Error, "err"),
)


def _css_class(token: _TokenType) -> str:
    return next((css for kind, css in _CLASSES if token in kind), "")


def _lexer(language: str) -> Lexer:
    try:
        return get_lexer_by_name(language)
    except ClassNotFound:
        return TextLexer()


def highlight(source: object, language: str = "python", metadata: object = None) -> str:
    """``source`` as ``<div class="highlight"><pre>…</pre></div>`` with coloured spans.

    Args:
        source: the code (anything is turned into text).
        language: a Pygments lexer name; unknown names get no colours.
        metadata: the cell's metadata (accepted for nbconvert's filter signature; unused).
    """
    lexer = _lexer("python" if language in ("ipython", "ipython3") else language)
    runs: list[tuple[str, list[str]]] = []  # css class, the texts of its tokens
    for token, value in lex(str(source), lexer):
        # Blank space joins the run before it: fewer spans, same colours.
        css = _css_class(token) if value.strip() else (runs[-1][0] if runs else "")
        if runs and runs[-1][0] == css:
            runs[-1][1].append(value)
        else:
            runs.append((css, [value]))
    parts = []
    for css, texts in runs:
        text = html.escape("".join(texts))
        parts.append(f'<span class="{css}">{text}</span>' if css else text)
    return '<div class="highlight"><pre>' + "".join(parts).rstrip("\n") + "</pre></div>"
