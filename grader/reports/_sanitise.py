"""Make student HTML inert: an allow-list of formatting tags, no scripts, no navigation.

Student Markdown (rendered to HTML), ``text/html`` outputs and raw cells all pass through
:func:`clean_html` before they reach a feedback page. The work is done by nh3 (Rust's
ammonia), a maintained HTML5 sanitiser that parses the way browsers do, so tricks that fool
regular expressions (``<scr<script>ipt>``, unclosed comments, odd attribute quoting) do not
fool it. What survives: text formatting, lists, tables, code, headings, and images whose
source is a ``data:image/...`` URI. Links keep their text; only in-page ``#anchors`` keep
their ``href``, so nothing navigates away from the page.
"""

from __future__ import annotations

import nh3

__all__ = ["clean_html"]

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
