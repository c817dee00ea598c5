"""Run an assignment's checks in-process against submissions built from notebooks.

The sandboxed runner is not needed to test the checks themselves: a submission is the
reference solution's imports and definitions exec'd into a namespace (plus, for a mutant or
a style variant, extra code after them, as if appended in a last cell), wrapped in
``LocalSubmission``; every check then runs with the fixtures the runner gives it, and numpy's
global generator is seeded per check as the sandbox child does.
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import importlib.util
import inspect
import sys
import types
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import nbformat
import numpy as np

from grader._toml import tomllib
from grader.testing import CheckSpec, LocalSubmission, StudentCodeError, checks_in

ROOT = Path(__file__).resolve().parents[1]
Results = dict[str, tuple[str, str]]


def _definition_nodes(notebook: Path) -> list[ast.stmt]:
    """Imports and function definitions of the notebook's code cells (top-level code skipped)."""
    nb = nbformat.read(notebook, as_version=4)
    nodes: list[ast.stmt] = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        lines = cell.source.split("\n")
        source = "\n".join("" if ln.lstrip().startswith(("%", "!")) else ln for ln in lines)
        kinds = (ast.Import, ast.ImportFrom, ast.FunctionDef)
        nodes += [n for n in ast.parse(source).body if isinstance(n, kinds)]
    return nodes


def _seed(text: str) -> int:
    """The runner's seeding: the first 8 bytes of sha256, little-endian."""
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")


def failing(results: Results) -> set[str]:
    """The ids that did not pass."""
    return {check_id for check_id, (outcome, _) in results.items() if outcome != "passed"}


class InProcess:
    """One bundled assignment's checks, reference and mutants, for in-process tests."""

    def __init__(self, assignment: str, functions: Sequence[str]) -> None:
        self.root = ROOT / "assignments" / assignment
        self.solution = ROOT / "solutions" / f"{assignment}.ipynb"
        self.functions = tuple(functions)
        # Helper modules must be importable, as they are for students (and the reference).
        if str(self.root) not in sys.path:
            sys.path.insert(0, str(self.root))
        self.public_module = self._load_module("public", assignment)
        self.hidden_module = self._load_module("hidden", assignment)
        self.public: list[CheckSpec] = checks_in(vars(self.public_module))
        self.hidden: list[CheckSpec] = checks_in(vars(self.hidden_module))
        self.checks = self.public + self.hidden
        namespace = self.namespace()
        self.reference = types.SimpleNamespace(
            **{k: v for k, v in namespace.items() if callable(v)}
        )
        text = (self.root / "mutants.toml").read_text(encoding="utf-8")
        self.mutants: list[dict[str, Any]] = tomllib.loads(text)["mutant"]

    def _load_module(self, stem: str, assignment: str) -> types.ModuleType:
        path = self.root / "tests" / f"{stem}.py"
        spec = importlib.util.spec_from_file_location(f"_{assignment}_{stem}", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    def namespace(self, notebook: Path | None = None, extra: str = "") -> dict[str, Any]:
        """Execute a notebook's definitions, then ``extra`` (a last cell), in a fresh namespace."""
        notebook = notebook or self.solution
        namespace: dict[str, Any] = {"__name__": "submission"}
        for node in _definition_nodes(notebook):
            # matplotlib and the course's test modules are not installed: as for students.
            with contextlib.suppress(ImportError):
                exec(compile(ast.Module([node], []), str(notebook), "exec"), namespace)
        exec(compile(extra, "<extra cell>", "exec"), namespace)
        return namespace

    def submission(self, namespace: dict[str, Any], standins: bool = False) -> LocalSubmission:
        """The graded functions of ``namespace`` as a submission; with ``standins``, each
        call runs with the reference's versions of the others (as the runner does)."""
        names = [name for name in self.functions if name in namespace]
        functions = {name: namespace[name] for name in names}
        if not standins:
            return LocalSubmission(functions)
        reference = {name: getattr(self.reference, name) for name in self.functions}
        return LocalSubmission(functions, namespace=namespace, standins=reference)

    def run_check(self, spec: CheckSpec, submission: Any, salt: str = "") -> tuple[str, str]:
        """Run one check like the runner does; returns (outcome, message)."""
        fixtures = {
            "submission": submission,
            "reference": self.reference,
            "rng": np.random.default_rng(_seed(spec.id + salt)),
        }
        wanted = inspect.signature(spec.func).parameters
        try:
            with warnings.catch_warnings():
                # Student code runs in a child process without -W error; numpy overflow
                # warnings there are not failures, so they must not be here either.
                warnings.simplefilter("ignore")
                spec.func(**{name: fixtures[name] for name in wanted})
        except StudentCodeError as exc:
            return "error", exc.message
        except AssertionError as exc:
            return "failed", str(exc)
        return "passed", ""

    def run_all(self, namespace: dict[str, Any], salt: str = "") -> Results:
        """Every check's (outcome, message), seeding numpy's global state per check."""
        together, apart = self.submission(namespace), self.submission(namespace, True)
        results = {}
        for index, spec in enumerate(self.checks):
            np.random.seed(_seed(f"{index}{salt}") % 2**32 if salt else index)
            submission = apart if spec.standins else together
            results[spec.id] = self.run_check(spec, submission, salt)
        return results
