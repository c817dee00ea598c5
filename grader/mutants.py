"""Known-wrong variants of a reference solution (``mutants.toml``), for ``grader verify``.

A mutant is the reference solution with one extra code cell appended (the last definition of a
name wins), and the exact set of test ids that must lose points on it::

    [[mutant]]
    name = "no_scale"
    description = "weights drawn with randn but not multiplied by 0.01"
    fails = ["initialize_parameters.scale"]
    code = '''
    def initialize_parameters(n_x, n_h, n_y): ...
    '''

:func:`load_mutants` reads and validates the file, :func:`mutant_source` builds the submission
in memory (no file is written), and :func:`mutant_problems` compares a graded mutant with what
its ``fails`` list promises.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader._toml import tomllib
from grader.errors import AssignmentError
from grader.notebook import Cell, SourceFile
from grader.results import SubmissionResult

__all__ = ["Mutant", "load_mutants", "mutant_problems", "mutant_source"]


@dataclass(frozen=True)
class Mutant:
    """One known-wrong variant: ``code`` appended to the reference must fail exactly ``fails``."""

    name: str
    description: str
    fails: tuple[str, ...]
    code: str


def _field(entry: dict[str, Any], key: str, where: str, *, required: bool = True) -> Any:
    if key not in entry:
        if required:
            raise AssignmentError(f"{where}: missing '{key}'")
        return ""
    return entry[key]


def _parse_mutant(entry: object, index: int, path: Path) -> Mutant:
    where = f"{path.name}: mutant {index}"
    if not isinstance(entry, dict):
        raise AssignmentError(f"{where} is not a table; write it as [[mutant]]")
    name = _field(entry, "name", where)
    if not isinstance(name, str) or not name.replace("-", "_").isidentifier():
        raise AssignmentError(f"{where}: 'name' must be an identifier-like string")
    where = f"{path.name}: mutant {name}"
    fails = _field(entry, "fails", where)
    if not (isinstance(fails, list) and fails and all(isinstance(f, str) for f in fails)):
        raise AssignmentError(
            f"{where}: 'fails' must be a non-empty list of test ids (a mutant no test should "
            "catch proves nothing)"
        )
    code = _field(entry, "code", where)
    description = _field(entry, "description", where, required=False)
    if not isinstance(code, str) or not code.strip():
        raise AssignmentError(f"{where}: 'code' must be the text of a code cell")
    if not isinstance(description, str):
        raise AssignmentError(f"{where}: 'description' must be a string")
    unknown = set(entry) - {"name", "description", "fails", "code"}
    if unknown:
        raise AssignmentError(f"{where}: unknown keys {sorted(unknown)}")
    return Mutant(name, description, tuple(fails), code)


def load_mutants(path: str | Path) -> tuple[Mutant, ...]:
    """Read and validate a ``mutants.toml`` file.

    Args:
        path: the file (an assignment's ``mutants`` entry).

    Returns:
        The mutants, in file order.

    Raises:
        AssignmentError: the file cannot be read or parsed, a mutant lacks a field or has a
            malformed one, or two mutants share a name.
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise AssignmentError(f"cannot read {path}: {exc}") from exc
    unknown = set(data) - {"mutant"}
    if unknown:
        raise AssignmentError(f"{path.name}: unknown top-level keys {sorted(unknown)}")
    entries = data.get("mutant", [])
    if not isinstance(entries, list):
        raise AssignmentError(f"{path.name}: write each mutant as a [[mutant]] table")
    mutants = tuple(_parse_mutant(e, i, path) for i, e in enumerate(entries, start=1))
    seen: set[str] = set()
    for mutant in mutants:
        if mutant.name in seen:
            raise AssignmentError(f"{path.name}: two mutants are named {mutant.name}")
        seen.add(mutant.name)
    return mutants


def mutant_source(reference: SourceFile, mutant: Mutant) -> SourceFile:
    """The reference solution with the mutant's code appended as a last cell (in memory).

    Args:
        reference: the parsed reference solution.
        mutant: the variant to build.

    Returns:
        A submission whose last cell redefines what the mutant changes; its ``path`` names the
        mutant, for messages.
    """
    number = max((c.number for c in reference.cells), default=0) + 1
    cells = (*reference.cells, Cell(number, mutant.code))
    digest = hashlib.sha256()
    for cell in cells:
        digest.update(cell.source.encode("utf-8", "surrogatepass") + b"\0")
    return dataclasses.replace(
        reference,
        path=f"{reference.path} + mutant {mutant.name}",
        sha256=digest.hexdigest(),
        cells=cells,
    )


def mutant_problems(
    mutant: Mutant, result: SubmissionResult, known_ids: Collection[str]
) -> list[str]:
    """Where a graded mutant departs from its ``fails`` list, one sentence per departure.

    A test in ``fails`` must lose points (score below its maximum); every other test must pass.

    Args:
        mutant: the variant and its promise.
        result: the mutant's grading result (all checks, or the checks that were run).
        known_ids: every test id of the assignment, to catch typos in ``fails``.

    Returns:
        The problems, empty when the mutant is caught by exactly the tests it names.
    """
    prefix = f"mutant {mutant.name}:"
    if result.status != "graded":
        return [f"{prefix} could not be graded ({result.error})"]
    problems = [
        f"{prefix} `fails` names {test_id}, which is not a test of this assignment"
        for test_id in mutant.fails
        if test_id not in known_ids
    ]
    expected = set(mutant.fails)
    for test in result.tests:
        lost = test.score < test.max_score or test.outcome != "passed"
        if test.id in expected and not lost:
            problems.append(f"{prefix} expected to fail {test.id} but it passed")
        elif test.id not in expected and lost:
            detail = _one_line(test.message) or test.outcome
            problems.append(
                f"{prefix} {test.id} failed but is not in `fails` ({test.outcome}: {detail})"
            )
    return problems


def _one_line(text: str, limit: int = 160) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
