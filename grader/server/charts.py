"""Plots as SVG drawn on the server: no script, no external asset, every text escaped.

The SVG is placed inline in the page. It uses presentation attributes (``fill``, ``x``) and
classes styled by the site's stylesheet, never a ``style`` attribute, so the page's CSP
(no ``unsafe-inline``) holds. Each chart has a ``<title>`` and a ``role="img"`` label, and the
page shows the same figures as a table for screen readers and keyboard users.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup

from grader.server.dashboard import Bin, CheckRate

__all__ = ["failure_rates_svg", "histogram_svg"]

_WIDTH = 640
_LEFT = 48
_BOTTOM = 40
_TOP = 16


def _num(value: float) -> str:
    return f"{value:.4g}"


def _open(width: int, height: int, label: str) -> str:
    text = escape(label)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{text}"><title>{text}</title>'
    )


def histogram_svg(bins: Sequence[Bin], label: str) -> Markup:
    """Vertical bars, one per bin, the count above each, the bins' edges below."""
    height = 240
    plot_h = height - _TOP - _BOTTOM
    plot_w = _WIDTH - _LEFT - 16
    most = max([b.count for b in bins] + [1])
    slot = plot_w / max(1, len(bins))
    parts = [_open(_WIDTH, height, label)]
    base = _TOP + plot_h
    parts.append(f'<line class="axis" x1="{_LEFT}" y1="{base}" x2="{_LEFT + plot_w}" y2="{base}"/>')
    for i, one in enumerate(bins):
        bar_h = plot_h * one.count / most
        x = _LEFT + i * slot
        parts.append(
            f'<rect class="bar" x="{x + 2:.1f}" y="{base - bar_h:.1f}" '
            f'width="{slot - 4:.1f}" height="{bar_h:.1f}">'
            f"<title>{escape(_num(one.low))} to {escape(_num(one.high))}: "
            f"{one.count}</title></rect>"
        )
        if one.count:
            parts.append(
                f'<text class="count" x="{x + slot / 2:.1f}" y="{base - bar_h - 4:.1f}" '
                f'text-anchor="middle">{one.count}</text>'
            )
        parts.append(
            f'<text class="tick" x="{x:.1f}" y="{base + 16}" text-anchor="middle">'
            f"{escape(_num(one.low))}</text>"
        )
    if bins:
        parts.append(
            f'<text class="tick" x="{_LEFT + plot_w:.1f}" y="{base + 16}" text-anchor="middle">'
            f"{escape(_num(bins[-1].high))}</text>"
        )
    parts.append(
        f'<text class="axis-label" x="{_LEFT + plot_w / 2:.1f}" y="{height - 6}" '
        'text-anchor="middle">score</text>'
    )
    parts.append(
        f'<text class="axis-label" x="12" y="{_TOP + plot_h / 2:.1f}" text-anchor="middle" '
        f'transform="rotate(-90 12 {_TOP + plot_h / 2:.1f})">students</text></svg>'
    )
    return Markup("".join(parts))  # every piece of text above is escaped


def failure_rates_svg(rates: Sequence[CheckRate], label: str) -> Markup:
    """Horizontal bars, one per check: the fraction of submissions that count failing it."""
    row_h = 26
    name_w = 250
    height = _TOP + row_h * max(1, len(rates)) + 24
    plot_w = _WIDTH - name_w - 60
    parts = [_open(_WIDTH, height, label)]
    for i, rate in enumerate(rates):
        y = _TOP + i * row_h
        bar_w = plot_w * rate.rate
        name = rate.check if len(rate.check) <= 34 else rate.check[:33] + "…"
        parts.append(
            f'<text class="name" x="{name_w - 8}" y="{y + 17}" text-anchor="end">'
            f"{escape(name)}</text>"
        )
        parts.append(
            f'<rect class="track" x="{name_w}" y="{y + 4}" width="{plot_w}" height="{row_h - 8}"/>'
        )
        parts.append(
            f'<rect class="bar fail" x="{name_w}" y="{y + 4}" width="{bar_w:.1f}" '
            f'height="{row_h - 8}"><title>{escape(rate.check)}: {rate.failed} of '
            f"{rate.total} failed</title></rect>"
        )
        parts.append(
            f'<text class="count" x="{name_w + plot_w + 6}" y="{y + 17}">'
            f"{round(100 * rate.rate)}%</text>"
        )
    if not rates:
        parts.append(
            f'<text class="tick" x="{_WIDTH / 2}" y="{_TOP + 18}" '
            'text-anchor="middle">no graded submission yet</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # every piece of text above is escaped
