"""TeX to MathML on the server, so a page that runs no script still shows formulas.

The feedback page's CSP forbids scripts, so MathJax cannot typeset it in the browser. Each
formula is converted here by latex2mathml (pure Python) and the result is sanitised with the
MathML allow-list (:func:`grader.reports._sanitise.clean_mathml`). Browsers render MathML
natively (Chromium since 109, Firefox and Safari long before).

Cost is bounded: a formula longer than :data:`MAX_TEX` characters or nested deeper than
:data:`MAX_DEPTH` groups is not converted, nor is any formula beyond a page's
:data:`MAX_FORMULAS`. A formula that is not converted, for these reasons or because
latex2mathml does not understand it, is shown as its TeX source in ``<code>``: the reader
still sees what the student wrote.
"""

from __future__ import annotations

import html
import re

from latex2mathml.converter import convert

from grader.reports._sanitise import clean_mathml

__all__ = ["MAX_DEPTH", "MAX_FORMULAS", "MAX_TEX", "MathBudget", "latex_output_html", "math_html"]

MAX_TEX = 2_000  # characters of one formula (a long display equation has a few hundred)
MAX_DEPTH = 40  # nested groups ({, \left, \begin): latex2mathml recurses on each
MAX_FORMULAS = 2_000  # formulas converted on one page; the rest show as TeX source
_OPENERS = re.compile(r"(?<!\\)\{|\\left\b|\\begin\b")
_CLOSERS = re.compile(r"(?<!\\)\}|\\right\b|\\end\b")
_GROUP = re.compile(rf"{_OPENERS.pattern}|{_CLOSERS.pattern}")
# The whole of a text/latex output is one formula when wrapped in one pair of delimiters.
_WRAPPED = re.compile(r"\$\$([^$]+)\$\$|\\\[(.+)\\\]|\$([^$]+)\$|\\\((.+)\\\)", re.DOTALL)


class MathBudget:
    """How many more formulas one page may convert."""

    def __init__(self, formulas: int = MAX_FORMULAS) -> None:
        self.left = formulas

    def take(self) -> bool:
        """Use one formula of the budget; False when none is left."""
        self.left -= 1
        return self.left >= 0


def _depth(tex: str) -> int:
    """The deepest nesting of groups in ``tex`` (unbalanced input counts what it opens)."""
    depth = deepest = 0
    for match in _GROUP.finditer(tex):
        depth += 1 if _OPENERS.fullmatch(match.group()) else -1
        deepest = max(deepest, depth)
    return deepest


def _as_code(source: str) -> str:
    return f'<code class="tex">{html.escape(source)}</code>'


def math_html(tex: str, *, display: bool, source: str, budget: MathBudget) -> str:
    """One formula as sanitised MathML, or its TeX ``source`` in ``<code>`` if not converted.

    Args:
        tex: the formula without its delimiters.
        display: a display (block) formula rather than an inline one.
        source: what the student wrote, delimiters included, shown when not converted.
        budget: the page's allowance of formulas.

    Returns:
        HTML that can be placed as it is in a page (never raises).
    """
    if not tex.strip() or len(tex) > MAX_TEX or _depth(tex) > MAX_DEPTH or not budget.take():
        return _as_code(source)
    try:
        mathml = convert(tex, display="block" if display else "inline")
    # latex2mathml raises its own errors, and IndexError, KeyError or ValueError on many
    # malformed inputs: any failure shows the source instead.
    except Exception:
        return _as_code(source)
    return clean_mathml(mathml)


def latex_output_html(text: str, budget: MathBudget) -> str:
    """A ``text/latex`` output as HTML: a formula in delimiters becomes MathML, else code.

    Args:
        text: the output's text, e.g. ``$$\\frac{1}{3}$$`` as SymPy writes it.
        budget: the page's allowance of formulas.
    """
    stripped = text.strip()
    wrapped = _WRAPPED.fullmatch(stripped)
    if wrapped is None:
        if stripped.startswith("\\begin{"):  # an environment on its own: display math
            return math_html(stripped, display=True, source=text, budget=budget)
        return f"<pre>{html.escape(text)}</pre>"
    index = next(i for i, group in enumerate(wrapped.groups()) if group is not None)
    tex = wrapped.group(index + 1)
    return math_html(tex, display=index < 2, source=stripped, budget=budget)
