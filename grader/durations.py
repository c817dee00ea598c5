"""One way to print a duration, so the progress line, the ETA and the closing line agree."""

from __future__ import annotations

import math

__all__ = ["fmt_duration"]


def fmt_duration(seconds: float, *, coarse: bool = False) -> str:
    """A duration for people: ``0.51 s``, ``9.4 s``, ``42 s``, ``1 min 05 s``, ``2 h 03 min``.

    Two significant digits below ten seconds, whole seconds below a minute, then minutes and
    hours; a unit always follows its number, separated by a space. Negative or non-finite
    values (a clock gone wrong) print as ``0 s``, never raise.

    Args:
        seconds: the duration.
        coarse: whole seconds even below ten (an estimate such as an ETA has no decimals).
    """
    if not math.isfinite(seconds) or seconds <= 0:
        return "0 s"
    if seconds < 1 and not coarse:
        return f"{seconds:.2f} s"
    if seconds < 9.95 and not coarse:
        return f"{seconds:.1f} s"
    whole = int(seconds + 0.5)
    if whole < 60:
        return f"{whole} s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"
