"""How much of a submission's code extraction reads: a hard ceiling on the grader's own work.

Parsing is the one step of reading a submission whose cost grows faster than the file: the
AST of dense code takes a couple of hundred bytes per character, every kept statement costs
Python-level work, and the recovery from syntax errors re-parses a cell chunk by chunk. Real
notebooks hold a few hundred lines of code; a hostile one can hold 64 MB. So extraction reads
at most :data:`MAX_CELL_CHARS` or :data:`MAX_CELL_LINES` of one cell (so one giant cell cannot
starve the others), and at most :data:`MAX_CODE_CHARS`, :data:`MAX_CODE_LINES`,
:data:`MAX_CODE_CELLS`, :data:`MAX_STATEMENTS` and :data:`MAX_SEMICOLONS` in all, in notebook
order. What does not fit is dropped with a warning that names the cells, so the grader's cost
is linear in the notebook and bounded whatever it holds, and ordinary notebooks (far below
every limit) are read exactly as before.
"""

from __future__ import annotations

from grader.notebook import Cell

__all__ = [
    "MAX_CELL_CHARS",
    "MAX_CELL_LINES",
    "MAX_CELL_STATEMENTS",
    "MAX_CODE_CELLS",
    "MAX_CODE_CHARS",
    "MAX_CODE_LINES",
    "MAX_SEMICOLONS",
    "MAX_STATEMENTS",
    "CodeBudget",
]

# Real notebooks hold ~10-20 KB and ~400 lines of code in ~25 cells (the largest cell ~2 KB);
# parsing costs ~5-15 microseconds per token, so these bound the worst case near a second.
MAX_CELL_CHARS = 200 * 1024  # one cell: 100x the largest cell of a real notebook
MAX_CELL_LINES = 5_000
MAX_CODE_CHARS = 256 * 1024  # the whole notebook: ~20x a real one
MAX_CODE_LINES = 10_000
MAX_CODE_CELLS = 2_000
MAX_STATEMENTS = 5_000  # kept top-level statements (imports, definitions, constants)
# A statement is the costliest thing to parse (~10-25 microseconds); lines bound most of them,
# and ';' the ones that share a line (only over-counting when a ';' is in a string or comment).
MAX_SEMICOLONS = 4_000
MAX_CELL_STATEMENTS = 2_000  # top-level statements looked at in one cell


def _size(chars: int) -> str:
    return f"{chars / 1e6:.1f} MB" if chars >= 1_000_000 else f"{chars / 1e3:.0f} KB"


def _before_nth(text: str, char: str, count: int) -> str:
    """``text`` up to (and including) its ``count``-th ``char``, or all of it if it has fewer."""
    end = -1
    for _ in range(count):
        end = text.find(char, end + 1)
        if end < 0:
            return text
    return text[: end + 1]


class CodeBudget:
    """What is left of the code one extraction may read; :meth:`admit` spends it, cell by cell."""

    def __init__(self) -> None:
        self.chars = MAX_CODE_CHARS
        self.lines = MAX_CODE_LINES
        self.cells = MAX_CODE_CELLS
        self.statements = MAX_STATEMENTS
        self.semicolons = MAX_SEMICOLONS
        self._skipped: list[int] = []

    def admit(self, cell: Cell) -> tuple[Cell | None, str | None]:
        """The part of ``cell`` that extraction may read (None: none of it), and why it was cut.

        A cut cell keeps whole lines only; the lost part is named in the warning. Cells after
        the budget is spent are collected for one warning from :meth:`skipped_warning`.
        """
        if min(self.chars, self.lines, self.cells, self.statements) <= 0:
            self._skipped.append(cell.number)
            return None, None
        self.cells -= 1
        source = cell.source
        limit = min(MAX_CELL_CHARS, self.chars)
        kept = source[:limit] if len(source) > limit else source
        lines = min(MAX_CELL_LINES, self.lines)
        if kept.count("\n") >= lines:
            kept = _before_nth(kept, "\n", lines)
        if kept.count(";") > self.semicolons:
            kept = _before_nth(kept, ";", self.semicolons + 1)  # cut before the line of the last
        if kept is not source:
            kept = kept[: kept.rfind("\n") + 1]  # whole lines only ("" if the first is too long)
        self.chars -= len(kept)
        self.lines -= kept.count("\n") + 1
        self.semicolons -= kept.count(";")
        if kept is source:
            return cell, None
        read = kept.count("\n")
        which = f"only its first {read:,} line{'s' * (read != 1)} were" if read else "none was"
        warning = (
            f"cell {cell.number} holds {_size(len(source))} of code, more than the grader reads; "
            f"{which} read, and the definitions in the rest were not graded"
        )
        return Cell(cell.number, kept), warning

    def spend_statements(self, count: int) -> None:
        """Record ``count`` kept statements."""
        self.statements -= count

    def skipped_warning(self) -> str | None:
        """One warning naming the cells that were not read at all, if any."""
        if not self._skipped:
            return None
        first, count = self._skipped[0], len(self._skipped)
        which = f"cell {first} was" if count == 1 else f"{count} cells from cell {first} on were"
        return (
            f"{which} not read: the notebook holds more code than the grader reads "
            f"({_size(MAX_CODE_CHARS)}, {MAX_CODE_LINES:,} lines, {MAX_CODE_CELLS:,} code cells "
            f"or {MAX_STATEMENTS:,} definitions); definitions there were not graded"
        )
