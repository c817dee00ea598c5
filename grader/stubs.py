"""Tell an untouched stub from a body written outside its marked region.

Extraction flags a function whose ``# YOUR CODE STARTS HERE ... ENDS HERE`` region is empty
(:attr:`grader.extract.FunctionInfo.stub_empty`), and a failure of such a function is reported
as "not implemented yet". But a student may write the whole body *above* the marker and leave
the region empty: that function is implemented, and its error is a real one. The release's
stubs tell the two apart: a function is still a stub only if each of its statements (comments,
layout and docstring left out) is one of the release stub's (a student may have deleted some).
Without a release, or for a function it has no empty stub of, the region decides, as before.
"""

from __future__ import annotations

import ast
import dataclasses
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

from grader.errors import InvalidSubmission
from grader.extract import Program, extract_program
from grader.notebook import read_submission

__all__ = ["confirm_stubs", "release_parameters", "release_skeletons"]


def _release_program(release: Path | None) -> Program | None:
    if release is None:
        return None
    try:
        return extract_program(read_submission(str(release), schema=False).cells)
    except InvalidSubmission:
        return None  # verify reports a broken release; grading goes on as without one


def release_skeletons(release: Path | None) -> dict[str, tuple[str, ...]]:
    """The statement digests of each empty stub of the release (none if it cannot be read).

    The release is the instructor's file: read once per run, like its imports.
    """
    program = _release_program(release)
    if program is None:
        return {}
    return {name: info.skeleton for name, info in program.functions.items() if info.stub_empty}


def release_parameters(release: Path | None) -> dict[str, tuple[str, ...]]:
    """The positional parameters' names of each function the release defines (its stubs).

    Checks pass arguments in this order; :mod:`grader.binding` maps them onto a student's
    signature by these names. Empty when the release cannot be read.
    """
    program = _release_program(release)
    found: dict[str, tuple[str, ...]] = {}
    for unit in program.units if program is not None else ():
        if unit.kind != "def":
            continue
        try:
            tree = ast.parse(unit.source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                arguments = node.args
                found[node.name] = tuple(a.arg for a in [*arguments.posonlyargs, *arguments.args])
    return found


def confirm_stubs(program: Program, skeletons: Mapping[str, tuple[str, ...]]) -> Program:
    """``program`` with ``stub_empty`` cleared where the code is not the release's stub.

    A function the release has no empty stub for keeps extraction's verdict.
    """
    functions = dict(program.functions)
    changed = False
    for name, info in program.functions.items():
        stub = skeletons.get(name)
        if info.stub_empty and stub is not None and not Counter(info.skeleton) <= Counter(stub):
            functions[name] = dataclasses.replace(info, stub_empty=False)
            changed = True
    return dataclasses.replace(program, functions=functions) if changed else program
