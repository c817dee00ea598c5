r"""The feedback page's Jinja filters: Markdown with math as MathML, student HTML made inert.

nbconvert's Markdown renderer (mistune with its math plugin) finds math where JupyterLab
does, outside code spans and code blocks: ``$…$``, ``$$…$$``, ``\begin{env}…\end{env}``, and
``\\(…\\)`` and ``\\[…\\]`` with two backslashes in the source (Markdown eats one, so MathJax
sees ``\(`` and ``\[``); it leaves the TeX for MathJax. Here the renderer puts a placeholder
element in its place instead, and the page's ``clean_html`` filter swaps each placeholder
for the formula's sanitised MathML *after* the student's HTML went through the allow-list.
Student HTML therefore never carries MathML of its own (the allow-list strips ``<math>``),
and only MathML the grader made from TeX reaches the page.

A placeholder is ``<span class="grader-math-NONCE-N">`` with a random nonce per page: the
student cannot forge one, and the sanitiser escapes quotes in attribute values and ``<`` in
text, so that exact string in its output can only be an element it kept.
"""

from __future__ import annotations

import html
import re
import secrets
from typing import Any

from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath

from grader.reports._highlight import highlight
from grader.reports._math import MathBudget, latex_output_html, math_html
from grader.reports._sanitise import clean_html

__all__ = ["PageMarkup"]


class _MathRenderer(IPythonRenderer):
    """nbconvert's renderer with each formula replaced by a placeholder element."""

    def __init__(self, page: PageMarkup) -> None:
        super().__init__(escape=False, embed_images=False)
        self._page = page

    def block_math(self, body: str) -> str:
        return self._page.placeholder(body, display=True, source=f"$${body}$$")

    def inline_math(self, body: str) -> str:
        return self._page.placeholder(body, display=False, source=f"${body}$")

    def block_code(self, code: str, info: str | None = None) -> str:
        # A fence's language is only a lexer name: no Mermaid, and the page's own highlighter.
        language = info.split(None, 1)[0] if info and info.strip() else ""
        if not language:
            return f"<pre><code>{html.escape(code)}</code></pre>\n"
        return highlight(code, language) + "\n"

    def latex_environment(self, name: str, body: str) -> str:
        tex = f"\\begin{{{name}}}{body}\\end{{{name}}}"
        return self._page.placeholder(tex, display=True, source=tex)


class PageMarkup:
    """The Markdown, HTML and LaTeX filters of one page, sharing its formula budget."""

    def __init__(self) -> None:
        self._nonce = secrets.token_hex(8)
        self._formulas: list[str] = []
        self._budget = MathBudget()
        self._placeholder = re.compile(rf'<span class="grader-math-{self._nonce}-(\d+)">')

    def placeholder(self, tex: str, *, display: bool, source: str) -> str:
        """Convert one formula now and return the element that will stand for it."""
        self._formulas.append(math_html(tex, display=display, source=source, budget=self._budget))
        return f'<span class="grader-math-{self._nonce}-{len(self._formulas) - 1}"></span>'

    def _formula(self, match: re.Match[str]) -> str:
        kind = "math-display" if 'display="block"' in self._formulas[int(match[1])] else "math"
        return f'<span class="{kind}">{self._formulas[int(match[1])]}'

    def markdown2html(self, source: Any) -> str:
        """Markdown to HTML with placeholders for math; the page's clean_html follows it."""
        return MarkdownWithMath(renderer=_MathRenderer(self)).render(str(source))

    def clean_html(self, html: object) -> str:
        """Student HTML through the allow-list, then this page's formulas in their places."""
        return self._placeholder.sub(self._formula, clean_html(html))

    def latex(self, text: object) -> str:
        """A ``text/latex`` output as MathML (or code when it cannot be converted)."""
        return latex_output_html(str(text), self._budget)
