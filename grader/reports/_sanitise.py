"""Make student HTML inert: an allow-list of formatting tags, no scripts, no navigation.

Student Markdown (rendered to HTML), ``text/html`` outputs and raw cells all pass through
:func:`clean_html` before they reach a feedback page. The work is done by nh3 (Rust's
ammonia), a maintained HTML5 sanitiser that parses the way browsers do, so tricks that fool
regular expressions (``<scr<script>ipt>``, unclosed comments, odd attribute quoting) do not
fool it. What survives: text formatting, lists, tables, code, headings, and images whose
source is a ``data:image/...`` URI. Links keep their text; only in-page ``#anchors`` keep
their ``href``, so nothing navigates away from the page.

Student HTML never keeps MathML: ``<math>`` is where namespace-confusion tricks live. Math on
a page is MathML the grader made itself from TeX (:mod:`grader.reports._math`), and that goes
through :func:`clean_mathml`, an allow-list of presentation MathML without links
(``href``, ``xlink:href``), styles, ``<maction>`` or ``<annotation-xml>``.
"""

from __future__ import annotations

import re

import nh3

__all__ = ["clean_html", "clean_mathml"]

_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "col", "colgroup", "dd",
    "del", "details", "dfn", "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3",
    "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s",
    "samp", "small", "span", "strike", "strong", "sub", "summary", "sup", "table", "tbody",
    "td", "tfoot", "th", "thead", "tr", "tt", "u", "ul", "var", "wbr",
}  # fmt: skip
_ATTRIBUTES = {
    "*": {"class", "id", "title", "align"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "ol": {"start"},
}
# Raster images only: an SVG image cannot run script either, but there is no need for it.
_IMAGE_PREFIXES = ("data:image/png;", "data:image/jpeg;", "data:image/gif;", "data:image/webp;")


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    """Keep in-page links and data-URI images; drop every other URL."""
    if attribute == "href":
        return value if value.startswith("#") else None
    if attribute == "src":
        return value if value.lower().startswith(_IMAGE_PREFIXES) else None
    return value


def clean_html(html: object) -> str:
    """Return ``html`` with everything active removed (scripts, forms, frames, styles, links).

    Accepts any object (nbconvert's templates pass what the notebook held) and never raises
    on text: lone surrogates are replaced before the sanitiser sees them.
    """
    if isinstance(html, bytes):  # nbconvert passes encoded SVG through the same filter
        html = html.decode("utf-8", "replace")
    text = html if isinstance(html, str) else str(html)
    text = text.encode("utf-8", "replace").decode("utf-8")
    return nh3.clean(
        text,
        tags=_TAGS,
        clean_content_tags={"script", "style", "template", "noscript", "textarea", "title"},
        attributes=_ATTRIBUTES,
        attribute_filter=_attribute_filter,
        url_schemes={"data"},
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


# Presentation MathML as latex2mathml writes it. Left out on purpose: maction (toggles,
# statuslines: interaction), annotation-xml (may embed HTML), semantics wrappers, mglyph (an
# image source), and every link or style attribute.
_MATH_TAGS = {
    "math", "menclose", "merror", "mfrac", "mi", "mmultiscripts", "mn", "mo", "mover",
    "mpadded", "mphantom", "mprescripts", "mroot", "mrow", "ms", "mspace", "msqrt", "mstyle",
    "msub", "msubsup", "msup", "mtable", "mtd", "mtext", "mtr", "munder", "munderover", "none",
}  # fmt: skip
_MATH_ATTRIBUTES = {
    "accent", "accentunder", "columnalign", "columnlines", "columnspacing", "columnspan",
    "depth", "display", "displaystyle", "fence", "form", "frame", "height", "largeop",
    "linethickness", "lspace", "mathbackground", "mathcolor", "mathsize", "mathvariant",
    "maxsize", "minsize", "movablelimits", "notation", "rowalign", "rowlines", "rowspacing",
    "rowspan", "rspace", "scriptlevel", "separator", "stretchy", "symmetric", "width",
}  # fmt: skip
_PLAIN_VALUE = re.compile(r"[#A-Za-z0-9 .,%+-]{0,64}")  # names, numbers, lengths, colours


def _math_attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    """Keep only short plain values: no url(), no entities, nothing a parser could act on."""
    return value if _PLAIN_VALUE.fullmatch(value) else None


def clean_mathml(mathml: str) -> str:
    """Return ``mathml`` reduced to the presentation-MathML allow-list (no links, no styles).

    Args:
        mathml: MathML markup, normally made by the grader from TeX.

    Returns:
        Markup that holds only MathML elements and plain attribute values; text is kept.
    """
    text = mathml.encode("utf-8", "replace").decode("utf-8")
    return nh3.clean(
        text,
        tags=_MATH_TAGS,
        clean_content_tags={"script", "style", "template", "annotation-xml", "annotation"},
        attributes={"*": _MATH_ATTRIBUTES},
        attribute_filter=_math_attribute_filter,
        url_schemes=set(),
        link_rel=None,
        strip_comments=True,
    )
