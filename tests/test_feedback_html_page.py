"""The HTML feedback page as a reader sees it: math typeset without scripts, text marks, size.

Math: TeX in Markdown cells and ``text/latex`` outputs becomes MathML on the server, within
an allow-list, and never from the student's own HTML. Marks: no emoji. Size: a page grows
with the notebook, not with a framework's stylesheet.
"""

from __future__ import annotations

import json
import re
import unicodedata
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from grader.reports import feedback_html
from grader.reports import feedback_md as feedback_md
from grader.results import CheckResult, SubmissionResult

_MATHML = {
    "math", "menclose", "merror", "mfrac", "mi", "mmultiscripts", "mn", "mo", "mover",
    "mpadded", "mphantom", "mprescripts", "mroot", "mrow", "ms", "mspace", "msqrt", "mstyle",
    "msub", "msubsup", "msup", "mtable", "mtd", "mtext", "mtr", "munder", "munderover", "none",
}  # fmt: skip
_ACTIVE = {"script", "style", "iframe", "object", "embed", "form", "base", "link", "img", "svg"}


class _Page(HTMLParser):
    """Collects the page's MathML and anything active in it or elsewhere."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.math_depth = 0
        self.maths: list[str] = []  # the display attribute of each <math>
        self.problems: list[str] = []
        self.csp = ""
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "math":
            self.maths.append(values.get("display", ""))
        if tag == "math" or self.math_depth:
            self.math_depth += 1
            if tag not in _MATHML:
                self.problems.append(f"<{tag}> in MathML")
            bad = {"href", "xlink:href", "src", "style"} & set(values)
            self.problems += [f"{name}= on <{tag}>" for name in sorted(bad)]
        if tag in _ACTIVE - {"img", "style"}:
            self.problems.append(f"<{tag}>")
        if tag == "meta" and values.get("http-equiv", "").lower() == "content-security-policy":
            self.csp = values.get("content", "")
        self.problems += [f"{n}= on <{tag}>" for n in values if n.startswith("on")]
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        if self.math_depth:
            self.math_depth -= 1
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.styles.append(data)


def _parse(page: str) -> _Page:
    parser = _Page()
    parser.feed(page)
    parser.close()
    assert parser.problems == []
    assert "script-src" not in parser.csp and "default-src 'none'" in parser.csp
    return parser


def _sub(path: Path, tests: tuple[CheckResult, ...] = ()) -> SubmissionResult:
    return SubmissionResult(
        id="alice",
        path=str(path),
        sha256="0" * 64,
        status="graded",
        error=None,
        score=0.0,
        max_score=5.0,
        duration_s=0.1,
        tests=tests,
    )


def _md(source: str, **extra: Any) -> dict[str, Any]:
    return {"cell_type": "markdown", "metadata": {}, "source": source, **extra}


def _code(source: str, outputs: list[Any] | None = None) -> dict[str, Any]:
    cell = {"cell_type": "code", "metadata": {}, "execution_count": 1, "source": source}
    return {**cell, "outputs": outputs or []}


def _page(tmp_path: Path, cells: list[Any], name: str = "nb") -> str:
    notebook = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells}
    path = tmp_path / f"{name}.ipynb"
    path.write_text(json.dumps(notebook), encoding="utf-8")
    check = CheckResult("f.shapes", "f", 0.0, 5.0, "failed", "wrong shape", "visible")
    return feedback_html(str(path), _sub(path, (check,)))


# --- math --------------------------------------------------------------------------------


def test_every_math_delimiter_in_markdown_becomes_mathml(tmp_path: Path) -> None:
    # \\( and \\[ take two backslashes in Markdown, as in JupyterLab: Markdown eats one.
    source = (
        "Inline $a^2 + b^2$ and \\\\(\\sqrt{x}\\\\).\n\n"
        "$$\\frac{1}{m}\\sum_{i=1}^m y^{(i)}$$\n\n"
        "\\\\[W^{[1]} x + b^{[1]}\\\\]\n\n"
        "\\begin{align}z &= Wx\\\\ a &= \\tanh(z)\\end{align}"
    )
    page = _parse(_page(tmp_path, [_md(source)]))
    assert page.maths == ["inline", "inline", "block", "block", "block"]
    text = _page(tmp_path, [_md(source)])
    assert "\\frac" not in text and "\\sqrt" not in text and "\\tanh" not in text
    assert "<mfrac>" in text and "<msqrt>" in text and "<mtable" in text


def test_feedback_messages_never_become_math(tmp_path: Path) -> None:
    message = "got $5 and $6, \\(x\\) \\\\(y\\\\) [1, 2] \\[3\\] $$z$$"
    check = CheckResult("f.shapes", "f", 0.0, 5.0, "failed", message, "visible")
    path = tmp_path / "nb.ipynb"
    notebook = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [_md("$w$")]}
    path.write_text(json.dumps(notebook), encoding="utf-8")
    text = feedback_html(str(path), _sub(path, (check,)))
    assert _parse(text).maths == ["inline"]  # the student's $w$ only
    assert message in text  # shown as written


def test_dollars_in_code_are_not_math(tmp_path: Path) -> None:
    source = "Costs `$5 and $6` here, $x$ is math.\n\n```python\nprice = '$1' + '$2'\n```"
    text = _page(tmp_path, [_md(source), _code("s = '$a$'  # $b$")])
    assert _parse(text).maths == ["inline"]  # only $x$
    assert "<code>$5 and $6</code>" in text
    plain = re.sub(r"<[^>]*>", "", text)  # code is split into coloured spans
    assert "'$1' + '$2'" in plain and "'$a$'  # $b$" in plain


def test_latex_outputs_become_mathml(tmp_path: Path) -> None:
    latex = {"output_type": "display_data", "metadata": {}, "data": {"text/latex": ""}}
    outputs = [
        {**latex, "data": {"text/latex": "$$\\int_0^1 x^2\\,dx = \\frac{1}{3}$$"}},
        {**latex, "data": {"text/latex": "$\\displaystyle x + 1$"}},
        {**latex, "data": {"text/latex": "\\begin{equation}e^{i\\pi}\\end{equation}"}},
        {**latex, "data": {"text/latex": "no math here <b>"}},
    ]
    text = _page(tmp_path, [_code("sympy_things()", outputs)])
    assert _parse(text).maths == ["block", "inline", "block"]
    assert "no math here &lt;b&gt;" in text


@pytest.mark.parametrize(
    ("tex", "why"),
    [
        ("\\frac{1}{", "malformed"),
        ("\\sqrt[", "unfinished command"),
        ("x" * 3_000, "too long"),
        ("{" * 60 + "x" + "}" * 60, "nested too deep"),
        ("{" * 900 + "x", "would exhaust the recursion limit"),
    ],
)
def test_formula_that_cannot_be_converted_shows_its_source(
    tmp_path: Path, tex: str, why: str
) -> None:
    text = _page(tmp_path, [_md(f"Before $1+1$, then ${tex}$ after.")])
    assert _parse(text).maths == ["inline"], why  # the good formula still converts
    shown = re.findall(r'<code class="tex">(.*?)</code>', text, flags=re.S)
    assert shown == ["$" + tex.replace("<", "&lt;") + "$"]
    assert "after." in text


def test_formula_budget_per_page() -> None:
    from grader.reports._math import MathBudget, latex_output_html, math_html

    budget = MathBudget(2)
    out = [math_html("x", display=False, source="$x$", budget=budget) for _ in range(3)]
    assert [o.startswith("<math") for o in out] == [True, True, False]
    assert out[2] == '<code class="tex">$x$</code>'
    assert latex_output_html("$$y$$", budget).startswith('<code class="tex">')


HOSTILE_TEX = [
    "\\href{javascript:alert(1)}{click}",
    "\\style{background:url(https://evil.example/x)}{y}",
    "\\text{<script>alert(1)</script>}",
    "\\mathrm{<img src=x onerror=alert(1)>}",
    "\\color{red; background:url(x)}{z}",
    "\\hspace{url(x)}q",
    "\\text{</math><img src=x onerror=alert(1)>}",
]


@pytest.mark.parametrize("tex", HOSTILE_TEX)
def test_hostile_tex_gives_inert_mathml(tmp_path: Path, tex: str) -> None:
    cells = [
        _md(f"Formula: ${tex}$ and $$ {tex} $$"),
        _code(
            "x",
            [{"output_type": "display_data", "metadata": {}, "data": {"text/latex": f"${tex}$"}}],
        ),
    ]
    text = _page(tmp_path, cells)
    page = _parse(text)
    assert len(page.maths) + text.count('<code class="tex">') == 3
    mathml = "".join(re.findall(r"<math.*?</math>", text, flags=re.S))
    assert "javascript:" not in mathml and "url(" not in mathml


def test_student_html_never_carries_mathml_nor_forges_a_formula(tmp_path: Path) -> None:
    forged = '<span class="grader-math-0123456789abcdef-0"></span>'
    raw_math = "<math><mi href='javascript:alert(1)'>x</mi><maction>y</maction></math>"
    text = _page(tmp_path, [_md(f"$z$ then {forged} and {raw_math}")])
    assert _parse(text).maths == ["inline"]  # $z$ alone
    assert "<maction" not in text
    assert forged in text  # kept as the empty span it is: no formula behind it


def test_clean_mathml_allow_list() -> None:
    from grader.reports._sanitise import clean_mathml

    dirty = (
        '<math display="block"><mrow href="javascript:x" style="color:red">'
        '<mi xlink:href="x" mathcolor="red" onclick="x">a</mi>'
        '<maction actiontype="toggle"><mi>b</mi></maction>'
        '<semantics><mi>c</mi><annotation-xml encoding="text/html"><img src=x></annotation-xml>'
        '</semantics><mspace width="url(x)"/><mglyph src="x.png"/></mrow></math>'
    )
    clean = clean_mathml(dirty)
    assert clean == (
        '<math display="block"><mrow><mi mathcolor="red">a</mi><mi>b</mi><mi>c</mi>'
        "<mspace></mspace></mrow></math>"
    )


# --- marks, feedback cells, stylesheet ------------------------------------------------------


def _is_emoji_like(char: str) -> bool:
    # Pictographs, dingbats that default to emoji presentation, and variation selector 16.
    code = ord(char)
    emoji_blocks = (0x1F000 <= code <= 0x1FAFF) or code in (0xFE0F, 0x2705, 0x274C, 0x2754)
    return emoji_blocks or code in range(0x23E9, 0x23FB) or code in (0x26A0, 0x26A1)


def test_marks_are_text_not_emoji(tmp_path: Path) -> None:
    outcomes = ("passed", "failed", "error", "timeout", "missing")
    tests = tuple(
        CheckResult(f"f.{o}", "f", 0.0, 1.0, o, "msg", "visible")  # type: ignore[arg-type]
        for o in outcomes
    )
    path = tmp_path / "x.ipynb"
    text = feedback_md.feedback_markdown(_sub(path, tests), title="t")
    assert [c for c in text if _is_emoji_like(c)] == []
    marks = feedback_md.MARKS
    assert set(marks) == set(outcomes)
    for outcome in outcomes:
        assert f"| {marks[outcome]} |" in text
        assert marks[outcome].endswith(outcome)  # the word, whatever the font shows
    assert all(unicodedata.category(c) != "So" or c in "✓✗" for c in text)


def test_feedback_cells_are_set_apart_and_cannot_be_forged(tmp_path: Path) -> None:
    student = _md("I am *not* feedback", metadata={"tags": ["grader-feedback"]})
    text = _page(tmp_path, [student, _code("def f():\n    return 1")])
    # the summary and f's feedback cell; the student's tagged cell lost its tag
    assert len(re.findall(r'class="[^"]*celltag_grader-feedback', text)) == 2
    assert ".celltag_grader-feedback{" in text


def test_stylesheet_is_allowed_by_hash_and_nothing_inline(tmp_path: Path) -> None:
    import base64
    import hashlib

    page = _parse(_page(tmp_path, [_md("# hi")]))
    assert "'unsafe-inline'" not in page.csp
    assert len(page.styles) == 1
    digest = base64.b64encode(hashlib.sha256(page.styles[0].encode()).digest()).decode()
    assert f"style-src 'sha256-{digest}'" in page.csp


# --- size ----------------------------------------------------------------------------------


def _cells(n: int) -> list[Any]:
    out = {"output_type": "stream", "name": "stdout", "text": "cost after iteration 0: 0.69\n"}
    code = "def f(x):\n    # a comment\n    return np.tanh(x) + 1  # $1\n"
    prose = "We compute $a = \\tanh(z)$ for *each* unit, then the **cost**."
    return [cell for _ in range(n) for cell in (_md(prose), _code(code, [out]))]


def test_page_size_is_in_proportion_to_the_notebook(tmp_path: Path) -> None:
    sizes = {n: len(_page(tmp_path, _cells(n), name=f"n{n}").encode()) for n in (0, 20, 40)}
    notebook = len(json.dumps({"cells": _cells(20)}))
    # A small notebook's page: the old one was ~350 KB of JupyterLab CSS whatever the content.
    assert sizes[0] < 15_000
    assert sizes[20] < 60_000
    # Linear: the second 20 cell pairs cost what the first 20 did, a small multiple of their
    # JSON (the old page spent ~1.7 KB of wrappers and spans on each pair).
    first, second = sizes[20] - sizes[0], sizes[40] - sizes[20]
    assert abs(second - first) < 0.1 * first
    assert first < 4 * notebook
