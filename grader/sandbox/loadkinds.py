"""The kinds of load unit that carry top-level statements (see :mod:`grader.toplevel`).

Shared by the grader and the child, so here in the sandbox package, which the child has.
"""

from __future__ import annotations

__all__ = ["KEPT_OUT", "OUT_OF_TIME", "TOPLEVEL"]

TOPLEVEL = "toplevel"  # a top-level statement a function needs: run within the budget
# A statement not to run again: it stopped a child from loading (ran past the load limit).
KEPT_OUT = "toplevel-kept-out"
# A statement that ran out of its time on an earlier load: not run again.
OUT_OF_TIME = "toplevel-out-of-time"
