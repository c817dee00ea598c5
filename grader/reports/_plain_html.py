"""The feedback page's last resort: escaped text in ``<pre>`` blocks, built without nbconvert.

Used when nbconvert fails on a notebook the reader accepted, or when the notebook cannot be
read at all. Nothing here can raise on any text: every piece goes through
:func:`html.escape`, lone surrogates are replaced, and the page carries the same policy as
the rendered one (:func:`csp`).
"""

from __future__ import annotations

import html
from collections.abc import Iterable

from grader.reports._page_style import style_hash

__all__ = ["csp", "plain_page"]

_STYLE = "body{font-family:sans-serif;max-width:60em;margin:2em auto}pre{white-space:pre-wrap}"


def csp(style: str) -> str:
    """The pages' Content-Security-Policy, allowing one ``<style>`` element: ``style``.

    No script-src: no script runs. Styles are allowed by hash, not 'unsafe-inline', so no
    ``<style>`` element or ``style`` attribute that slipped past the sanitiser applies.
    form-action and base-uri do not fall back to default-src, so they are spelled out.
    """
    return (
        f"default-src 'none'; img-src data:; style-src {style_hash(style)}; "
        "form-action 'none'; base-uri 'none'"
    )


def _esc(text: str) -> str:
    return html.escape(text.encode("utf-8", "replace").decode("utf-8"))


def plain_page(title: str, feedback: str, cells: Iterable[str] = ()) -> str:
    """A complete, inert HTML page: the feedback (Markdown source), then each cell's text.

    Args:
        title: the page title.
        feedback: the feedback as Markdown, shown as preformatted text.
        cells: the notebook's cell sources (and outputs), already cut to a bounded size.
    """
    blocks = "".join(f"<pre>{_esc(text)}</pre>\n" for text in cells)
    return (
        '<!DOCTYPE html>\n<html>\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{csp(_STYLE)}">\n'
        '<meta name="referrer" content="no-referrer">\n'
        f"<title>{_esc(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
        f"<pre>{_esc(feedback)}</pre>\n<hr>\n{blocks}</body>\n</html>\n"
    )
