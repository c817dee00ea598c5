"""``grader list``: the assignments the grader can find, read without running any of their code.

Assignments are looked for where the commands look for them: ``./assignments`` (ids typed on
the command line), the folders of ``GRADER_ASSIGNMENTS`` and the bundled ones (ids named in a
notebook's metadata). Loading an assignment imports its test modules, which would run them in
the grader's process, so listing never loads one: ``assignment.toml`` is parsed and the test
modules' ``@check`` decorators are counted from their syntax tree. A folder that cannot be read
is listed with the reason instead of stopping the listing.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from grader._toml import tomllib
from grader.installed import ENV_VAR, bundled_assignments, search_path
from grader.reports._common import one_line

__all__ = ["Listed", "find_assignments", "format_listing"]

_MAX_TEST_BYTES = 4 << 20  # a test module larger than this is not parsed for counting


@dataclass(frozen=True)
class Listed:
    """One assignment folder found, as far as it could be read without running it."""

    id: str
    root: Path
    place: str  # "./assignments", GRADER_ASSIGNMENTS or "bundled"
    title: str = ""
    functions: int = 0
    public_checks: int = 0
    hidden_checks: int = 0
    problem: str = ""  # why the folder cannot be used; empty when it looks fine
    also_in: tuple[Path, ...] = ()  # other folders with an assignment of the same id


def _places() -> list[tuple[Path, str]]:
    """The folders to search, each once, labelled as the user knows them."""
    places = [(Path("assignments"), "./assignments")]
    bundled = bundled_assignments()
    places += [(f, "bundled" if f == bundled else ENV_VAR) for f in search_path()]
    seen: dict[Path, int] = {}
    unique: list[tuple[Path, str]] = []
    for folder, label in places:
        key = folder.resolve()
        if key in seen:  # e.g. run from the grader's own checkout: ./assignments is bundled
            index = seen[key]
            unique[index] = (unique[index][0], f"{unique[index][1]}, {label}")
            continue
        seen[key] = len(unique)
        unique.append((folder, label))
    return unique


def find_assignments() -> list[Listed]:
    """Every assignment folder in ``./assignments``, ``GRADER_ASSIGNMENTS`` and the bundled ones.

    Returns:
        One entry per folder holding an ``assignment.toml``, in search order then by id; an id
        found in several folders has the others in ``also_in``.

    Raises:
        UsageError: ``GRADER_ASSIGNMENTS`` holds a relative path.
    """
    found: list[Listed] = []
    for folder, label in _places():
        if (folder / "assignment.toml").is_file():  # GRADER_ASSIGNMENTS=<an assignment>
            found.append(_misplaced(folder, label))
            continue
        try:
            entries = sorted(folder.iterdir())
        except OSError:
            continue  # a folder that does not exist holds no assignments
        found += [_read(entry, label) for entry in entries if (entry / "assignment.toml").is_file()]
    roots: dict[str, list[Path]] = {}
    for item in found:
        roots.setdefault(item.id, []).append(item.root)
    return [replace(i, also_in=tuple(r for r in roots[i.id] if r != i.root)) for i in found]


def _misplaced(folder: Path, place: str) -> Listed:
    """An assignment folder given where a folder *of* assignments is expected."""
    return Listed(
        id=folder.name,
        root=folder.resolve(),
        place=place,
        problem=f"{folder} is an assignment itself, not a folder of assignments: put its "
        f"parent, {folder.resolve().parent}, in {ENV_VAR}",
    )


def _read(root: Path, place: str) -> Listed:
    listed = Listed(id=root.name, root=root.resolve(), place=place)
    try:
        data = tomllib.loads((root / "assignment.toml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        return replace(listed, problem=f"assignment.toml cannot be read: {exc}")
    declared = data.get("id")
    functions = data.get("functions", [])
    public = _count_checks(root, data.get("public_tests"))
    hidden = _count_checks(root, data.get("hidden_tests"))
    problems = [p for p in (public[1], hidden[1]) if p]
    if declared != root.name:
        problems.insert(0, f"its assignment.toml says id = {declared!r}, not '{root.name}'")
    return replace(
        listed,
        title=str(data.get("title", "")),
        functions=len(functions) if isinstance(functions, list) else 0,
        public_checks=public[0],
        hidden_checks=hidden[0],
        problem="; ".join(problems),
    )


def _count_checks(root: Path, files: Any) -> tuple[int, str]:
    """How many ``@check`` functions the test modules ``files`` define, and any problem."""
    if files is None:
        return 0, ""
    if isinstance(files, str):
        files = [files]
    if not (isinstance(files, list) and all(isinstance(f, str) for f in files)):
        return 0, "its test modules are not a list of paths"
    total = 0
    for rel in files:
        try:
            path = root / rel
            if path.stat().st_size > _MAX_TEST_BYTES:
                return total, f"{rel} is too large to count its checks"
            tree = ast.parse(path.read_bytes(), filename=str(path))
        except (OSError, SyntaxError, ValueError, RecursionError, MemoryError) as exc:
            return total, f"test module {rel} cannot be read: {type(exc).__name__}"
        total += sum(1 for node in ast.walk(tree) if _is_check(node))
    return total, ""


def _is_check(node: ast.AST) -> bool:
    """A function decorated with ``@check(...)`` or ``@<module>.check(...)``."""
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return False
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if isinstance(target, ast.Name) and target.id == "check":
            return True
        if isinstance(target, ast.Attribute) and target.attr == "check":
            return True
    return False


def format_listing(items: Sequence[Listed], *, cwd: Path | None = None) -> str:
    """A table of ``items``: id, title, functions, checks, folder; then notes on duplicates.

    Every text taken from an assignment's files is cut to one line without control characters.
    """
    if not items:
        return (
            "no assignments found in ./assignments, the bundled assignments or "
            f"{ENV_VAR}; create one with `grader new ID`\n"
        )
    here = (cwd or Path.cwd()).resolve()
    rows = [("id", "title", "functions", "checks", "folder")]
    rows += [
        (
            one_line(i.id, 40) + (" *" if i.also_in else ""),
            one_line(i.title, 48),
            str(i.functions),
            f"{i.public_checks} public, {i.hidden_checks} hidden",
            f"{one_line(_shown(i.root, here), 200)} ({i.place})",
        )
        for i in items
    ]
    widths = [max(len(row[c]) for row in rows) for c in range(4)]
    lines = [
        "  ".join([*(cell.ljust(w) for cell, w in zip(row, widths, strict=False)), row[4]])
        for row in rows
    ]
    lines += [f"  ! {one_line(i.id, 40)}: {one_line(i.problem, 300)}" for i in items if i.problem]
    if any(i.also_in for i in items):
        lines.append(
            "* this id is in several places: a bare id on the command line means ./assignments "
            "(refused if it differs from the bundled one), a notebook's metadata means "
            f"{ENV_VAR} then bundled; name the folder to be sure"
        )
    return "\n".join(lines) + "\n"


def _shown(path: Path, here: Path) -> str:
    try:
        return str(path.relative_to(here))
    except ValueError:
        return str(path)
