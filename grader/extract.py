"""Turn a submission's code cells into the student's *program*: definitions only.

Nothing here executes student code. Each cell is cleaned the way IPython would before running
it (cell indentation removed, magics and shell lines neutralised), parsed with :mod:`ast`, and
only its imports, function/class definitions and literal constants are kept, in notebook
order. Top-level code (training loops, plots, prints) is dropped. A syntax error costs only the
top-level chunk of the cell it sits in.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import re
import warnings
from dataclasses import dataclass, field
from typing import Literal, NamedTuple

from grader.cellsyntax import Scanner, prepare_cell
from grader.codebudget import MAX_CELL_STATEMENTS, MAX_STATEMENTS, CodeBudget
from grader.notebook import Cell
from grader.toplevel import Deferred, bound_names, free_names, read_names

__all__ = [
    "FunctionInfo",
    "Program",
    "Unit",
    "Unreadable",
    "extract_program",
    "imported_modules",
]

UnitKind = Literal["import", "def", "const"]


@dataclass(frozen=True)
class Unit:
    """One top-level statement the sandbox will execute, in notebook order.

    ``source`` is the statement's text (magics already neutralised, cell indentation removed),
    ``lineno`` its first line within its cell (1-based), so that tracebacks can name
    "cell 7, line 12".
    """

    kind: UnitKind
    names: tuple[str, ...]  # names the statement binds (for imports: the bound alias)
    source: str
    cell: int  # Cell.number
    lineno: int


@dataclass(frozen=True)
class FunctionInfo:
    """Where the *last* definition of a top-level function lives."""

    name: str
    cell: int
    lineno: int
    graded_header: bool  # its cell starts with "# GRADED FUNCTION: <name>"
    stub_empty: bool  # a "# YOUR CODE STARTS HERE ... ENDS HERE" region in it holds no code
    # When stub_empty: a digest of each statement of the body (comments, layout and docstring
    # left out), to tell the release's stub from a body written outside the marked region.
    skeleton: tuple[str, ...] = field(default=(), compare=False)


class Unreadable(NamedTuple):
    """A top-level definition lost to a syntax error: where, and what the parser said.

    ``text`` is the offending line of the student's own code (stripped, shortened).
    """

    name: str
    cell: int
    line: int  # 0 when the parser gave no line
    text: str
    reason: str

    def describe(self) -> str:
        """``a syntax error in cell 7, line 12: `Z1 = ...)` (unmatched ')')``."""
        where = f"cell {self.cell}, line {self.line}" if self.line else f"cell {self.cell}"
        code = f": `{self.text}`" if self.text else ""
        return f"a syntax error in {where}{code} ({self.reason})"


@dataclass(frozen=True)
class Program:
    """The definitions of a submission, ready to be executed in the sandbox.

    ``future_features`` lists the ``from __future__ import`` features the student asked for
    (e.g. ``("annotations",)``). Those statements are not units, since they are only legal at
    the top of a module; a runner that wants them passes the matching compiler flags.
    """

    units: tuple[Unit, ...]
    functions: dict[str, FunctionInfo]
    warnings: tuple[str, ...] = ()
    future_features: tuple[str, ...] = ()
    # Top-level definitions that a syntax error hid, by name (the last one of each name), when
    # no readable definition of that name came after it.
    unreadable: dict[str, Unreadable] = field(default_factory=dict)
    # The other top-level statements that bind names, in notebook order (see grader.toplevel),
    # and the global names each kept function reads: what a function may need run for it.
    deferred: tuple[Deferred, ...] = ()
    reads: dict[str, frozenset[str]] = field(default_factory=dict)


# A column-0 line that continues the statement above instead of starting a new one.
_CONTINUATION = re.compile(r"(?:else|elif|except|finally)\b|[)\]}]")
_GRADED_HEADER = re.compile(r"#+\s*GRADED\s+FUNCTION\s*:?\s*([A-Za-z_]\w*)", re.IGNORECASE)
_STUB_START = re.compile(r"#+\s*(?:YOUR\s+CODE\s+STARTS?\s+HERE|START\s+CODE\s+HERE)", re.I)
_STUB_END = re.compile(r"#+\s*(?:YOUR\s+CODE\s+ENDS?\s+HERE|END\s+CODE\s+HERE)", re.I)
_PARSE_ERRORS = (SyntaxError, ValueError, RecursionError, MemoryError)
# A column-0 line that starts a definition: what a chunk that does not parse would have bound.
_DEFINITION = re.compile(r"(?:async\s+)?(?:def|class)\s+([A-Za-z_]\w*)")
_SHOWN_CODE = 120  # characters of an offending line that a message quotes


def _parse(text: str, filename: str) -> ast.Module:
    nul = text.find("\0")
    if nul >= 0:  # ValueError on 3.11, SyntaxError on 3.12: make it the same everywhere
        line = text.count("\n", 0, nul) + 1
        raise SyntaxError("the code contains a null character", (filename, line, 0, ""))
    return ast.parse(text, filename=filename)


def _describe_parse_error(number: int, exc: BaseException) -> str:
    if isinstance(exc, SyntaxError):
        where = f"cell {number}, line {exc.lineno}" if exc.lineno else f"cell {number}"
        return f"{where}: {type(exc).__name__}: {exc.msg}"
    if isinstance(exc, (RecursionError, MemoryError)):
        return f"cell {number}: the code is nested too deeply to be read"
    return f"cell {number}: {type(exc).__name__}: {exc}"


def _chunks(lines: list[str]) -> list[tuple[int, int]]:
    """Split a cell into top-level chunks, as (start, end) line indices."""
    starts = [0]
    decorators_only = False  # the current chunk holds only decorators so far
    scanner = Scanner()
    for index, line in enumerate(lines):
        if (
            scanner.starts_statement(line)
            and line[:1] not in ("", " ", "\t", "#")
            and not _CONTINUATION.match(line)
        ):
            if not decorators_only and index > 0:
                starts.append(index)
            decorators_only = line.startswith("@")
        scanner.feed(line)
    return list(zip(starts, [*starts[1:], len(lines)], strict=True))


def _unreadable(
    number: int, lines: list[str], start: int, end: int, exc: BaseException
) -> list[Unreadable]:
    """The definitions a chunk (``lines[start:end]``) that does not parse would have made."""
    names = [m[1] for line in lines[start:end] if (m := _DEFINITION.match(line))]
    if not names:
        return []
    line, text = 0, ""
    if isinstance(exc, SyntaxError):
        reason = exc.msg
        if exc.lineno and 0 < exc.lineno <= end - start:
            line = start + exc.lineno
            text = lines[line - 1].strip()
            if len(text) > _SHOWN_CODE:
                text = text[: _SHOWN_CODE - 3] + "..."
    elif isinstance(exc, (RecursionError, MemoryError)):
        reason = "the code is nested too deeply to be read"
    else:
        reason = f"{type(exc).__name__}: {exc}"[:_SHOWN_CODE]
    return [Unreadable(name, number, line, text, reason) for name in names]


def _parse_cell(
    number: int, lines: list[str]
) -> tuple[list[ast.stmt], str | None, tuple[Unreadable, ...]]:
    """Parse a cell; on a syntax error keep the top-level chunks that parse on their own,
    and name the definitions of the chunks that do not (each with its own error)."""
    filename = f"<cell {number}>"
    try:
        return _parse("\n".join(lines), filename).body, None, ()
    except _PARSE_ERRORS as exc:
        error = _describe_parse_error(number, exc)
    body: list[ast.stmt] = []
    lost: list[Unreadable] = []
    for start, end in _chunks(lines):
        try:
            chunk = _parse("\n".join(lines[start:end]), filename)
        except _PARSE_ERRORS as exc:
            lost.extend(_unreadable(number, lines, start, end, exc))
            continue
        # Shifted rather than padded with newlines: padding made recovery quadratic in the
        # cell's length (each chunk re-read every line above it).
        body.extend(ast.increment_lineno(chunk, start).body)
    return body, f"{error}; the definitions in that part of the cell were not graded", tuple(lost)


@functools.lru_cache(maxsize=1)
def _utf8(line: str) -> bytes:
    # Cached: the statements of one long line (a;b;c...) would each re-encode all of it.
    return line.encode()


def _cut(line: str, start: int, end: int | None) -> str:
    """Slice ``line`` by UTF-8 byte offsets, as ast reports columns."""
    if line.isascii():
        return line[start:end]
    return _utf8(line)[start:end].decode(errors="replace")


def _segment(node: ast.stmt, lines: list[str]) -> tuple[int, str]:
    """Return the first line (decorators included) and the exact source text of ``node``."""
    first, last = node.lineno, node.end_lineno or node.lineno
    decorators = getattr(node, "decorator_list", None)
    start = decorators[0].lineno if decorators else first
    head = lines[start - 1 : first - 1]  # decorator lines: always whole lines
    if first == last:
        body = [_cut(lines[first - 1], node.col_offset, node.end_col_offset)]
    else:
        body = [
            _cut(lines[first - 1], node.col_offset, None),
            *lines[first : last - 1],
            _cut(lines[last - 1], 0, node.end_col_offset),
        ]
    return start, "\n".join([*head, *body])


def _import_names(node: ast.Import | ast.ImportFrom) -> tuple[str, ...]:
    return tuple(alias.asname or alias.name.split(".")[0] for alias in node.names)


def _constant_names(node: ast.stmt) -> tuple[str, ...] | None:
    """The names bound by a plain-name assignment of a literal, or None for anything else."""
    if isinstance(node, ast.Assign):
        targets, value = node.targets, node.value
    elif isinstance(node, ast.AnnAssign) and node.value is not None and node.simple:
        targets, value = [node.target], node.value
    else:
        return None
    names = [target.id for target in targets if isinstance(target, ast.Name)]
    if len(names) != len(targets):
        return None
    try:
        ast.literal_eval(value)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None
    return tuple(dict.fromkeys(names))


def _is_future(node: ast.stmt) -> bool:
    return isinstance(node, ast.ImportFrom) and node.module == "__future__"


def _classify(node: ast.stmt) -> tuple[UnitKind, tuple[str, ...]] | None:
    """Decide whether a top-level statement is kept, and which names it binds."""
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return "import", _import_names(node)
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return "def", (node.name,)
    if isinstance(node, ast.Try) and all(
        isinstance(s, (ast.Import, ast.ImportFrom)) and not _is_future(s) for s in node.body
    ):
        # try: import x / except ImportError: ... is one unit binding the imported names.
        imports = [s for s in node.body if isinstance(s, (ast.Import, ast.ImportFrom))]
        return "import", tuple(name for s in imports for name in _import_names(s))
    names = _constant_names(node)
    return None if names is None else ("const", names)


def _stub_empty(source: str) -> bool:
    """Whether a YOUR CODE STARTS/ENDS HERE region of ``source`` holds only blanks/comments."""
    inside = empty = False
    for line in source.split("\n"):
        stripped = line.strip()
        if not inside:
            inside = empty = _STUB_START.match(stripped) is not None
        elif _STUB_END.match(stripped):
            if empty:
                return True
            inside = False
        elif stripped and not stripped.startswith("#"):
            empty = False
    return False


def _skeleton(node: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[str, ...]:
    """A digest of each statement of a function's body: comments, layout, docstring left out."""
    body = node.body
    first = body[0] if body else None
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    ):
        body = body[1:]
    try:
        dumps = [ast.dump(statement) for statement in body]
    except RecursionError:
        return ()
    return tuple(hashlib.sha256(d.encode(errors="replace")).hexdigest()[:24] for d in dumps)


def _graded_header(lines: list[str]) -> str | None:
    first = next((line.strip() for line in lines if line.strip()), "")
    match = _GRADED_HEADER.fullmatch(first)
    return match.group(1).lower() if match else None


class _Statement(NamedTuple):
    """What one kept top-level statement of a cell contributes, independent of its cell."""

    kind: str  # a UnitKind, or "future" for `from __future__ import ...`
    names: tuple[str, ...]
    source: str
    lineno: int
    function: str | None  # the function's name when the statement is a def
    graded: bool
    stub_empty: bool
    skeleton: tuple[str, ...] = ()
    reads: frozenset[str] = frozenset()  # a def: its free names; "deferred": all it reads


class _Analysis(NamedTuple):
    statements: tuple[_Statement, ...]
    warnings: tuple[str, ...]
    unreadable: tuple[Unreadable, ...]  # in the cell's order


@functools.lru_cache(maxsize=2048)
def _analyse_cell(number: int, source: str) -> _Analysis:
    """The statements a cell keeps, its warnings and the definitions a syntax error hid.
    Pure, so cached: in a batch most cells (imports, demos, untouched text) are the same in
    every student's notebook."""
    lines, warning = prepare_cell(Cell(number, source))
    if warning is not None:
        return _Analysis((), (warning,), ())
    with warnings.catch_warnings():
        # The parser warns about e.g. invalid escape sequences; not the grader's concern.
        warnings.simplefilter("ignore")
        body, warning, lost = _parse_cell(number, lines)
    found: tuple[str, ...] = () if warning is None else (warning,)
    if len(body) > MAX_CELL_STATEMENTS:
        found += (
            f"cell {number} has {len(body):,} top-level statements; only the first "
            f"{MAX_CELL_STATEMENTS:,} were read, and definitions after them were not graded",
        )
        del body[MAX_CELL_STATEMENTS:]
    header = _graded_header(lines)
    kept = []
    for node in body:
        if isinstance(node, ast.ImportFrom) and _is_future(node):
            names = tuple(alias.name for alias in node.names)
            kept.append(_Statement("future", names, "", 0, None, False, False))
            continue
        classified = _classify(node)
        if classified is None:
            bound = bound_names(node)
            if bound:  # may be run for a function that reads one of these names
                lineno, text = _segment(node, lines)
                reads = read_names(node)
                deferred = _Statement(
                    "deferred", bound, text, lineno, None, False, False, (), reads
                )
                kept.append(deferred)
            continue
        kind, names = classified
        lineno, text = _segment(node, lines)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            graded = header is not None and header == node.name.lower()
            empty = _stub_empty(text)
            skeleton = _skeleton(node) if empty else ()
            free = free_names(node)
            kept.append(
                _Statement(kind, names, text, lineno, node.name, graded, empty, skeleton, free)
            )
        elif isinstance(node, ast.ClassDef):
            free = free_names(node)
            kept.append(_Statement(kind, names, text, lineno, None, False, False, (), free))
        else:
            kept.append(_Statement(kind, names, text, lineno, None, False, False))
    return _Analysis(tuple(kept), found, lost)


# Only small cells are cached, so the cache's memory stays bounded (2048 keys of at most 16 Ki
# characters, and their statements, which are parts of them).
_CACHED_CELL_CHARS = 16 * 1024
_analyse_uncached = _analyse_cell.__wrapped__


class _Builder:
    """Accumulates units, the last definition of each function, warnings and futures."""

    def __init__(self) -> None:
        self.units: list[Unit] = []
        self.functions: dict[str, FunctionInfo] = {}
        self.warnings: list[str] = []
        self.futures: dict[str, None] = {}
        self.unreadable: dict[str, Unreadable] = {}
        self.budget = CodeBudget()
        self.deferred: list[Deferred] = []
        self.reads: dict[str, frozenset[str]] = {}

    def add_cell(self, cell: Cell) -> None:
        admitted, cut = self.budget.admit(cell)
        if admitted is None:
            return
        source = admitted.source
        analyse = _analyse_cell if len(source) <= _CACHED_CELL_CHARS else _analyse_uncached
        statements, found, lost = analyse(cell.number, source)
        # Deferred statements are not run unless needed, so they do not spend the budget of
        # kept ones; their own number is capped (the same ceiling).
        self.budget.spend_statements(sum(st.kind != "deferred" for st in statements))
        for st in statements:
            self.add_statement(st, cell.number)
        for hidden in lost:  # only consulted when no readable definition of the name is kept
            self.unreadable[hidden.name] = hidden
        self.warnings.extend(found)
        if cut is not None:
            self.warnings.append(cut)

    def add_statement(self, st: _Statement, cell: int) -> None:
        if st.kind == "future":
            self.futures.update(dict.fromkeys(st.names))
            return
        order = len(self.units) + len(self.deferred)
        if st.kind == "deferred":
            if len(self.deferred) < MAX_STATEMENTS:
                deferred = Deferred(st.names, st.reads, st.source, cell, st.lineno, order)
                self.deferred.append(deferred)
            return
        self.units.append(Unit(st.kind, st.names, st.source, cell, st.lineno))  # type: ignore[arg-type]
        for name in st.names:  # a later binding of the name shadows an earlier function
            self.functions.pop(name, None)
            self.unreadable.pop(name, None)
            self.reads.pop(name, None)
        if st.function is not None:
            info = FunctionInfo(
                st.function, cell, st.lineno, st.graded, st.stub_empty, st.skeleton
            )
            self.functions[st.function] = info
        if st.kind == "def":  # a function's or a class's: what running its code may read
            self.reads[st.names[0]] = st.reads

    def program(self) -> Program:
        skipped = self.budget.skipped_warning()
        return Program(
            units=tuple(self.units),
            functions=self.functions,
            warnings=(*self.warnings, *([] if skipped is None else [skipped])),
            future_features=tuple(self.futures),
            unreadable={n: u for n, u in self.unreadable.items() if n not in self.functions},
            deferred=tuple(self.deferred),
            reads=self.reads,
        )


def extract_program(cells: tuple[Cell, ...]) -> Program:
    """Extract imports, function/class definitions and simple constants from ``cells``.

    Nothing is executed. Cells are read in order, so for each function name the last
    definition wins, as when the notebook runs from top to bottom.

    Args:
        cells: The code cells of a submission (see :func:`grader.notebook.read_submission`).

    Returns:
        The kept top-level statements as units in notebook order, where each top-level
        function is last defined, and a warning for each skipped cell magic, each cell with
        a syntax error, and each cell cut or skipped because the notebook holds more code
        than the grader reads (see :mod:`grader.codebudget`). Never raises.
    """
    builder = _Builder()
    for cell in cells:
        builder.add_cell(cell)
    return builder.program()


def imported_modules(program: Program) -> list[str]:
    """The absolute module names the program's import statements import, in order, once each.

    Used to pre-import an assignment's usual modules in the sandbox's zygote.
    """
    names: list[str] = []
    for unit in program.units:
        if unit.kind != "import":
            continue
        try:
            tree = ast.parse(unit.source)
        except (SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.extend(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.append(node.module)
    return list(dict.fromkeys(names))
