"""The student's own notebook as HTML, with feedback inserted after each graded function.

Rendering uses nbconvert's ``HTMLExporter`` (lab template for the cells) with a small
stylesheet of our own (:mod:`grader.reports._page_style`), so the page's size follows the
notebook's. nbconvert never sees the upload itself: it gets a bounded, normalised copy
(:mod:`grader.reports._notebook_view`), so a huge or schema-deviating notebook costs a
bounded amount of time and memory. Everything the student wrote that could be active is made
inert: Markdown, HTML outputs and raw cells go through an nh3 allow-list
(:mod:`grader.reports._sanitise`), JavaScript, widget and Mermaid outputs are dropped, and
the page's Content-Security-Policy forbids scripts, fetches, forms and ``<base>``. Math is
converted to MathML on the server (:mod:`grader.reports._page_markup`), so it shows without
MathJax. If nbconvert fails anyway, the page falls back to escaped
plain text (:mod:`grader.reports._plain_html`): a notebook the reader accepted always gets
its page.
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Mapping
from typing import Any

import jinja2
import nbformat
from nbconvert import HTMLExporter
from nbconvert.exporters import TemplateExporter

from grader.files import open_regular
from grader.notebook import DEFAULT_MAX_BYTES
from grader.reports._common import fmt_num, function_score, one_line, ordered_functions
from grader.reports._highlight import highlight
from grader.reports._notebook_view import notebook_view
from grader.reports._page_markup import PageMarkup
from grader.reports._page_style import STYLE
from grader.reports._plain_html import csp, plain_page
from grader.reports.feedback_md import (
    feedback_markdown,
    function_feedback,
    md_escape,
    score_line,
    submission_line,
)
from grader.results import SubmissionResult

__all__ = ["feedback_html"]

_TEMPLATE_NAME = "grader_feedback.html.j2"
# nbconvert's lab template for the cells; the head is ours: no script, no MathJax, no widget
# state, and our stylesheet instead of JupyterLab's (270 KB of CSS for a 20 KB notebook).
_TEMPLATE = (
    """{%- extends 'index.html.j2' -%}
{%- from 'celltags.j2' import celltags -%}
{%- from 'cell_id_anchor.j2' import cell_id_anchor -%}
{%- block header -%}
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{{ resources.grader_csp }}">
<meta name="referrer" content="no-referrer">
<title>{{ resources.metadata.name | e }}</title>
<style>{% raw %}"""
    + STYLE
    + """{% endraw %}</style>
</head>
{%- endblock header -%}
{% block input_group -%}
<div class="jp-InputArea">
{%- if resources.global_content_filter.include_input_prompt -%}
<div class="jp-InputPrompt">In&nbsp;[{{ cell.execution_count or "&nbsp;" }}]:</div>
{%- endif -%}
<div class="jp-InputArea-editor">{{ cell.source | highlight_code | clean_html }}</div>
</div>
{%- endblock input_group %}
{% block markdowncell scoped %}
<div {{ cell_id_anchor(cell) }} class="jp-Cell jp-MarkdownCell"><div class="jp-InputArea">
<div class="jp-InputPrompt"></div>
<div class="jp-RenderedMarkdown {{ celltags(cell) }}">
{{ cell.source | markdown2html | strip_files_prefix | clean_html }}
</div></div></div>
{%- endblock markdowncell %}
{% block data_png scoped %}
<div class="jp-RenderedImage jp-OutputArea-output {{ extra_class }}">
<img alt="image output" src="data:image/png;base64,{{ output.data['image/png'] | escape_html }}">
</div>
{%- endblock data_png %}
{% block data_jpg scoped %}
<div class="jp-RenderedImage jp-OutputArea-output {{ extra_class }}">
<img alt="image output" src="data:image/jpeg;base64,{{ output.data['image/jpeg'] | escape_html }}">
</div>
{%- endblock data_jpg %}
{% block data_latex scoped %}
<div class="jp-RenderedLatex jp-OutputArea-output {{ extra_class }}" data-mime-type="text/latex">
{{ output.data['text/latex'] | latex_output }}
</div>
{%- endblock data_latex %}
{%- block data_javascript -%}{%- endblock data_javascript -%}
{%- block data_widget_view -%}{%- endblock data_widget_view -%}
{%- block data_mermaid -%}{%- endblock data_mermaid -%}
"""
)
_CSP = csp(STYLE)
FEEDBACK_TAG = "grader-feedback"  # the feedback cells' tag: the stylesheet sets them apart


def _load(path: str) -> Any | None:
    """A bounded v4 copy of the notebook, or None when it cannot be read for any reason."""
    try:
        with open_regular(path) as handle:  # never a link's target, never a blocking FIFO
            data = handle.read(DEFAULT_MAX_BYTES + 1)
        if len(data) > DEFAULT_MAX_BYTES:
            return None
        raw = json.loads(data.decode("utf-8-sig"))
        del data
        return notebook_view(raw)
    # A broken submission must still get its feedback page (a .py script lands here too);
    # anything else the view trips on must not cost the student the page either.
    except Exception:
        return None


def _find_cells(cells: list[Any], functions: list[str]) -> dict[str, int]:
    """1-based number of the last code cell defining each function at top level."""
    found: dict[str, int] = {}
    for function in functions:
        pattern = re.compile(rf"^def[ \t]+{re.escape(function)}[ \t]*\(", re.MULTILINE)
        for number, cell in enumerate(cells, start=1):
            if cell.get("cell_type") == "code" and pattern.search(str(cell.get("source", ""))):
                found[function] = number  # the last definition wins, as in extraction
    return found


def _markdown_cell(source: str, cell_id: str) -> Any:
    # Fixed ids (not nbformat's random ones) keep the HTML identical from run to run. The tag
    # cannot be forged by a student: the notebook view drops the metadata of their cells.
    metadata = {"tags": [FEEDBACK_TAG]}
    return nbformat.v4.new_markdown_cell(  # type: ignore[no-untyped-call]
        source, id=cell_id[:64], metadata=metadata
    )


def _summary_cell(sub: SubmissionResult, unplaced: list[str]) -> str:
    parts = ["# Grader feedback", submission_line(sub), score_line(sub)]
    if sub.status != "graded":
        parts.append(f"Your submission could not be graded: {md_escape(sub.error or '')}")
    if sub.warnings:
        parts.append("\n".join(f"- **Warning:** {md_escape(w)}" for w in sub.warnings))
    functions = ordered_functions(sub.tests) if sub.status == "graded" else []
    if functions:
        rows = []
        for function in functions:
            score, max_score = function_score(sub, function)
            rows.append(f"| `{function}` | {fmt_num(score)} / {fmt_num(max_score)} |")
        parts.append("| Function | Points |\n|---|---|\n" + "\n".join(rows))
    parts += [function_feedback(sub, f) for f in unplaced]
    return "\n\n".join(parts)


def _with_feedback(nb: Any, sub: SubmissionResult, placement: Mapping[str, int]) -> Any:
    functions = ordered_functions(sub.tests) if sub.status == "graded" else []
    count = len(nb.cells)
    placed = {f: n for f, n in placement.items() if f in functions and 1 <= n <= count}
    unplaced = [f for f in functions if f not in placed]
    cells = [_markdown_cell(_summary_cell(sub, unplaced), "grader-summary")]
    for number, cell in enumerate(nb.cells, start=1):
        cells.append(cell)
        for function in (f for f in functions if placed.get(f) == number):
            source = function_feedback(sub, function, heading="## Feedback:")
            cells.append(_markdown_cell(source, f"grader-{function}"))
    nb.cells = cells
    return nb


def _unchanged(text: str) -> str:
    return text


class _Exporter(HTMLExporter):
    """nbconvert's HTML exporter without its BeautifulSoup pass over the finished page.

    That pass only adds alt texts (our template writes them) and tabindex attributes, and it
    costs about as much as rendering: seconds for a page with thousands of MathML elements.
    """

    def from_notebook_node(  # type: ignore[override]  # as nbconvert's own exporters do
        self, nb: Any, resources: dict[str, Any] | None = None, **kw: Any
    ) -> tuple[str, dict[str, Any]]:
        return TemplateExporter.from_notebook_node(self, nb, resources, **kw)


def _export(nb: Any, title: str) -> str:
    markup = PageMarkup()  # one per page: its formulas, their budget and placeholder nonce
    exporter = _Exporter(  # type: ignore[no-untyped-call]
        template_name="lab",
        template_file=_TEMPLATE_NAME,
        extra_loaders=[jinja2.DictLoader({_TEMPLATE_NAME: _TEMPLATE})],
        embed_images=False,
        sanitize_html=True,
        filters={
            "markdown2html": markup.markdown2html,
            "clean_html": markup.clean_html,
            "latex_output": markup.latex,
            "highlight_code": highlight,
            # strip_files_prefix rewrites Jupyter-server `files/` links (useless here, where
            # links off the page are removed) with a regex that is quadratic in `[`: 10,000
            # of them in Markdown cost seconds.
            "strip_files_prefix": _unchanged,
        },
    )
    with warnings.catch_warnings():
        # Without IPython installed nbconvert warns that it falls back to the Python lexer;
        # traitlets/jupyter_core may emit deprecation notices we cannot fix here.
        warnings.filterwarnings("ignore", message="IPython3 lexer unavailable")
        warnings.simplefilter("ignore", DeprecationWarning)
        body, _resources = exporter.from_notebook_node(
            nb, resources={"metadata": {"name": title}, "grader_csp": _CSP}
        )
    return str(body)


def _cell_texts(nb: Any) -> list[str]:
    """Each cell's source and text outputs, for the plain page."""
    texts = []
    for cell in nb.cells:
        parts = [str(cell.get("source", ""))]
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            parts.append(str(output.get("text", data.get("text/plain", ""))))
            parts += [str(line) for line in output.get("traceback", [])]
        texts.append("\n".join(p for p in parts if p))
    return texts


def _plain(nb: Any | None, sub: SubmissionResult, title: str) -> str:
    """The page as escaped text; it cannot fail (feedback or cells that do are left out)."""
    try:
        feedback = feedback_markdown(sub, title=title)
    except Exception:  # the page must be written whatever went wrong
        feedback = f"Score: {fmt_num(sub.score)} / {fmt_num(sub.max_score)}"
    try:
        cells = _cell_texts(nb) if nb is not None else []
    except Exception:
        cells = []
    return plain_page(title, feedback, cells)


def feedback_html(
    notebook_path: str, sub: SubmissionResult, *, functions_by_cell: Mapping[str, int] | None = None
) -> str:
    """Render the student's notebook as self-contained HTML with feedback cells inserted.

    A summary cell goes first; each graded function's feedback follows the cell that
    defines it. Functions whose cell is unknown get their feedback in the summary cell. If
    the notebook cannot be read, the page holds the feedback alone; if nbconvert fails on
    it, the page is escaped plain text. Long notebooks are cut, with a visible note.

    Args:
        notebook_path: the student's submission (.ipynb, nbformat 3 or 4).
        sub: that submission's results.
        functions_by_cell: function name -> 1-based cell number among all cells. When None,
            the last code cell with a top-level ``def name(`` is used.

    Returns:
        A complete HTML document that loads nothing from the network and runs no script.
    """
    title = f"Feedback: {one_line(sub.id, 200)}"
    nb = _load(notebook_path)
    try:
        if nb is None:
            alone = nbformat.v4.new_notebook()  # type: ignore[no-untyped-call]
            alone.cells = [_markdown_cell(feedback_markdown(sub, title=title), "grader-all")]
            return _export(alone, title)
        functions = ordered_functions(sub.tests)
        if functions_by_cell is None:
            functions_by_cell = _find_cells(list(nb.cells), functions)
        return _export(_with_feedback(nb, sub, functions_by_cell), title)
    # nbconvert, its templates, Markdown renderer and highlighter raise all sorts of errors
    # on unusual input; the student still gets a page.
    except Exception:
        return _plain(nb, sub, title)
