"""The top-level statements a graded function needs: which names it reads, which lines bind them.

Extraction keeps imports, definitions and literal constants; the rest of a notebook's top level
(training loops, plots, ``act = np.tanh``, ``rng = np.random.default_rng(2)``) is dropped. A
function that reads a name bound only there would fail with "uses the global name". So
extraction also records every other top-level statement that binds a name (a
:class:`Deferred`), with the names it binds and reads, and :func:`select` picks, for the
functions a check may call, only the statements that bind the names they read and no kept unit
binds, plus (transitively) the statements binding the names *those* read, in notebook order.
The sandbox runs them after the kept units, each within what is left of a small per-submission
budget (:data:`BUDGET_S`). Nothing here executes code; a notebook whose functions read no such
name gets an empty selection and is graded exactly as before.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

__all__ = [
    "BUDGET_S",
    "Deferred",
    "bound_names",
    "free_names",
    "read_names",
    "select",
    "top_level_reads",
]

# Wall clock for all the top-level statements one submission runs (each gets what is left).
BUDGET_S = 2.0
_BUILTINS = frozenset(dir(builtins)) | {"__name__", "__builtins__", "__file__", "__doc__"}
_LAST = 1 << 62  # later than any statement
_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


@dataclass(frozen=True)
class Deferred:
    """A top-level statement that extraction does not keep but that binds names.

    ``order`` is its place among all kept and deferred statements (notebook order).
    """

    names: tuple[str, ...]  # the names it binds
    reads: frozenset[str]  # the names it reads (an over-approximation)
    source: str
    cell: int
    lineno: int
    order: int


def _walk_scope(node: ast.AST) -> Iterable[ast.AST]:
    """The nodes of ``node`` outside nested function, lambda and class bodies (their names,
    decorators and defaults, evaluated in the enclosing scope, included)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        if current is not node and isinstance(current, _SCOPES):
            if isinstance(current, ast.Lambda):
                stack.extend(current.args.defaults)
            else:
                stack.extend(current.decorator_list)
                if not isinstance(current, ast.ClassDef):
                    stack.extend(current.args.defaults)
            continue
        stack.extend(ast.iter_child_nodes(current))


def bound_names(node: ast.stmt) -> tuple[str, ...]:
    """The names a top-level statement binds in the module's namespace, in order, once each."""
    names: list[str] = []
    for sub in _walk_scope(node):
        if isinstance(sub, ast.Name) and isinstance(sub.ctx, (ast.Store, ast.Del)):
            names.append(sub.id)
        elif isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(sub.name)
        elif isinstance(sub, (ast.Import, ast.ImportFrom)):
            names.extend(a.asname or a.name.split(".")[0] for a in sub.names if a.name != "*")
        elif isinstance(sub, (ast.ExceptHandler, ast.MatchAs, ast.MatchStar)) and sub.name:
            names.append(sub.name)
    return tuple(dict.fromkeys(names))


def read_names(node: ast.AST) -> frozenset[str]:
    """Every name ``node`` loads anywhere, nested scopes included (an over-approximation)."""
    names = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Load):
            names.add(sub.id)
        elif isinstance(sub, ast.AugAssign) and isinstance(sub.target, ast.Name):
            names.add(sub.target.id)  # `x += 1` reads x
    return frozenset(names)


def free_names(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> frozenset[str]:
    """The global names a function's (or a class's methods') code may read: names it loads
    that nothing in it binds, and those it declares ``global``.

    Names bound anywhere in the function (nested scopes too) and its parameters are left out,
    so this may miss a global that a nested scope shadows; it never adds a local.
    """
    local: set[str] = set()
    loads: set[str] = set()
    declared: set[str] = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            (loads if isinstance(sub.ctx, ast.Load) else local).add(sub.id)
        elif isinstance(sub, ast.arg):
            local.add(sub.arg)
        elif isinstance(sub, _DEFINITIONS) and sub is not node:
            local.add(sub.name)
        elif isinstance(sub, (ast.Import, ast.ImportFrom)):
            local.update(a.asname or a.name.split(".")[0] for a in sub.names)
        elif isinstance(sub, ast.ExceptHandler) and sub.name:
            local.add(sub.name)
        elif isinstance(sub, ast.Global):
            declared.update(sub.names)
        if isinstance(sub, ast.AugAssign) and isinstance(sub.target, ast.Name):
            loads.add(sub.target.id)  # `x += 1` reads x
    return frozenset(((loads - local) | (loads & declared)) - _BUILTINS)


def select(
    kept: Collection[str],
    reads: Mapping[str, frozenset[str]],
    deferred: tuple[Deferred, ...],
    roots: Iterable[str],
) -> tuple[Deferred, ...]:
    """The deferred statements to run so that the functions ``roots`` find the names they read.

    Args:
        kept: the names the kept units bind (they are never rebound).
        reads: for each kept function, the global names it reads (:func:`free_names`).
        deferred: the candidates, in notebook order.
        roots: the functions a check may call.

    Returns:
        For each name read (through kept functions too) that no kept unit binds, the
        statements binding it, and the same for the names each of those reads, as of its own
        place in the notebook; in notebook order, once each.
    """
    kept = frozenset(kept)
    chosen: dict[int, Deferred] = {}
    expanded: set[str] = set()
    pending: list[tuple[str, int]] = []  # (name, notebook order of the statement reading it)

    def need(names: Iterable[str], before: int) -> None:
        stack = list(names)  # not recursive: a chain of helpers may be thousands long
        while stack:
            name = stack.pop()
            if name in reads:
                if name not in expanded:  # a function's reads are looked up once
                    expanded.add(name)
                    stack.extend(reads[name])
            elif name not in kept and name not in _BUILTINS:
                pending.append((name, before))

    binders: dict[str, list[int]] = {}  # name -> the statements binding it, in order
    for index, statement in enumerate(deferred):
        if kept.isdisjoint(statement.names):  # never one that would rebind a kept name
            for name in statement.names:
                binders.setdefault(name, []).append(index)
    # How many of a name's binders are chosen: always a prefix, so each is looked at once.
    reached: dict[str, int] = {}
    need(roots, _LAST)  # a root no kept unit binds may be bound at top level (a lambda)
    while pending:
        name, before = pending.pop()
        candidates = binders.get(name, [])
        # Every binding before the reader, not only the last: should the last one not
        # finish in time, the name keeps the value an earlier one gave it.
        position = reached.get(name, 0)
        while position < len(candidates) and deferred[candidates[position]].order < before:
            binder = candidates[position]
            position += 1
            reached[name] = position
            if binder not in chosen:
                statement = chosen[binder] = deferred[binder]
                need(statement.reads, statement.order)
    return tuple(chosen[index] for index in sorted(chosen))


def top_level_reads(
    kept: Collection[str],
    reads: Mapping[str, frozenset[str]],
    deferred: tuple[Deferred, ...],
    function: str,
    limit: int = 2,
) -> list[tuple[str, Deferred]]:
    """The names ``function`` reads (through kept functions too) that only top-level code
    binds, each with the last statement binding it; sorted by name, at most ``limit``.

    Derived from the notebook's source alone, so a hidden check may name them.
    """
    kept = frozenset(kept)
    last: dict[str, Deferred] = {}
    for statement in deferred:
        if kept.isdisjoint(statement.names):
            last.update(dict.fromkeys(statement.names, statement))
    seen, stack, found = {function}, list(reads.get(function, ())), set()
    while stack:
        name = stack.pop()
        if name in reads:
            if name not in seen:
                seen.add(name)
                stack.extend(reads[name])
        elif name in last and name not in kept:
            found.add(name)
    return [(name, last[name]) for name in sorted(found)[:limit]]
