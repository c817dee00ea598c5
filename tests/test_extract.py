"""Tests for grader.extract: the student's program is its definitions, nothing runs."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from grader.extract import FunctionInfo, Program, Unit, extract_program
from grader.notebook import Cell, read_submission

DATA = Path(__file__).parent / "data" / "notebooks"
GRADABLE = [
    "bom.ipynb",
    "crlf.ipynb",
    "nbformat3.ipynb",
    "sources_as_lists.ipynb",
    "syntax_error_cell.ipynb",
    "null_byte.ipynb",
    "magics_and_shell.ipynb",
    "indented_cell.ipynb",
    "duplicate_definitions.ipynb",
    "no_graded_headers.ipynb",
    "top_level_training.ipynb",
    "plain_script.py",
    "percent_script.py",
]


def extract_file(name: str) -> Program:
    return extract_program(read_submission(str(DATA / name)).cells)


def extract(*sources: str) -> Program:
    return extract_program(tuple(Cell(i, s) for i, s in enumerate(sources, start=1)))


def summary(program: Program) -> list[tuple[str, tuple[str, ...], int, int]]:
    return [(u.kind, u.names, u.cell, u.lineno) for u in program.units]


def sources(program: Program) -> list[str]:
    return [u.source for u in program.units]


@pytest.mark.parametrize("name", GRADABLE)
def test_every_unit_compiles_on_its_own(name: str) -> None:
    for unit in extract_file(name).units:
        compile(unit.source, f"<cell {unit.cell}>", "exec")


# --- what is kept -------------------------------------------------------------------------


def test_top_level_code_is_dropped_definitions_are_kept() -> None:
    program = extract_file("top_level_training.ipynb")
    assert summary(program) == [
        ("import", ("np",), 1, 2),
        ("import", ("plt",), 1, 3),
        ("import", ("plot_decision_boundary", "load_planar_dataset"), 1, 4),
        ("import", ("lm",), 1, 5),
        ("const", ("learning_rate",), 2, 2),
        ("const", ("n_h",), 2, 3),
        ("const", ("shape",), 2, 4),
        ("const", ("layers",), 2, 5),
        ("def", ("model",), 3, 1),
        ("def", ("fetch",), 3, 9),
    ]
    assert program.units[3].source == (
        "try:\n    import sklearn.linear_model as lm\nexcept ImportError:\n    lm = None"
    )
    assert program.units[6].source == "shape = (2, -3)"
    assert program.units[9].source == "async def fetch():\n    return 1"
    assert program.future_features == ("annotations",)
    assert list(program.functions) == ["model", "fetch"]
    assert program.warnings == ()


def test_import_names() -> None:
    program = extract(
        "import a.b, a.b as c\nfrom x import *\nfrom . import y\nfrom .m import (p,\n  q as r)"
    )
    assert [u.names for u in program.units] == [("a", "c"), ("*",), ("y",), ("p", "r")]
    assert program.units[3].source == "from .m import (p,\n  q as r)"


@pytest.mark.parametrize(
    ("source", "names"),
    [
        ("x = 1", ("x",)),
        ("x = y = -3.5e-2", ("x", "y")),
        ("n: int = 4", ("n",)),
        ("s = 'text'", ("s",)),
        ("d = {'a': (1, [2, None]), 'b': {True, False}}", ("d",)),
        ("c = 1 + 2j", ("c",)),
        ("x = f()", None),
        ("x = np.pi", None),
        ("x = 10 ** 9", None),
        ("a, b = 1, 2", None),
        ("obj.attr = 1", None),
        ("n: int", None),
        ("x += 1", None),
    ],
)
def test_constants_are_literal_assignments_to_plain_names(
    source: str, names: tuple[str, ...] | None
) -> None:
    units = extract(source).units
    if names is None:
        assert units == ()
    else:
        assert units == (Unit("const", names, source, 1, 1),)


def test_statements_sharing_a_line_are_cut_by_byte_columns() -> None:
    program = extract('x = "h\u00e9llo \u2603"; y = 2; import os; z = f()')
    assert sources(program) == ['x = "h\u00e9llo \u2603"', "y = 2", "import os"]


def test_decorators_belong_to_their_definition() -> None:
    program = extract("import functools\n\n@functools.lru_cache\n@other\ndef f(n):\n    return n")
    assert program.units[1] == Unit(
        "def", ("f",), "@functools.lru_cache\n@other\ndef f(n):\n    return n", 1, 3
    )
    assert program.functions["f"].lineno == 3


def test_nothing_is_executed(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    program = extract(
        f"open({str(marker)!r}, 'w').close()\n"
        f"def f(x=open({str(marker)!r}, 'w')):\n    return x\n"
        "class C:\n    open('also_not_run', 'w')"
    )
    assert summary(program) == [("def", ("f",), 1, 2), ("def", ("C",), 1, 4)]
    assert not marker.exists()


# --- IPython syntax -----------------------------------------------------------------------


def test_magics_and_shell_lines_are_neutralised() -> None:
    program = extract_file("magics_and_shell.ipynb")
    assert summary(program) == [
        ("import", ("np",), 1, 4),
        ("def", ("timed",), 2, 2),
        ("def", ("with_magic_inside",), 5, 1),
        ("def", ("doc",), 5, 6),
        ("import", ("math",), 6, 3),
    ]
    assert program.units[2].source == (
        "def with_magic_inside(x):\n    pass\n    pass\n    return x * 2"
    )
    # Inside a docstring, and inside brackets, nothing is touched.
    assert program.units[3].source == (
        'def doc():\n    """Docs.\n%not a magic\n!not shell either\n    """\n'
        "    total = (1\n% 2)\n    return total"
    )
    assert program.warnings == (
        "cell 3: a %%bash cell was skipped; only Python is graded",
        "cell 4: a %%writefile cell was skipped; only Python is graded",
    )


@pytest.mark.parametrize(
    "line",
    [
        "%matplotlib inline",
        "!pip install numpy",
        "files = !ls -la",
        "a, b = %time f()",
        "np.dot?",
        "np.dot??",
        "?np.dot",
        "%%time",  # a cell magic that is not on the first line is not Python either
    ],
)
def test_ipython_line_becomes_pass_at_its_indentation(line: str) -> None:
    program = extract(f"def f():\n    {line}\n    return 1\n{line}")
    assert sources(program) == ["def f():\n    pass\n    return 1"]
    assert program.warnings == ()


@pytest.mark.parametrize(
    "source",
    [
        "def f():\n    return x != 1",
        "def f():\n    x = (a\n%b)\n    return x",
        "def f():\n    s = 'a' \\\n!= 'b'\n    return s",
        "def f():\n    '''What?\n%%time\n!cmd\nnp.dot?\n    '''\n    return 1",
        "def f():\n    # a quote ' and a ! bang\n    return 'it''s'\n%load_ext x",
    ],
)
def test_python_that_looks_like_ipython_is_untouched(source: str) -> None:
    program = extract(source)
    assert sources(program) == [source.split("\n%load_ext")[0]]
    assert program.warnings == ()


@pytest.mark.parametrize("magic", ["%%time", "%%timeit -n1 -r1", "%%capture captured"])
def test_python_cell_magics_keep_the_cell(magic: str) -> None:
    program = extract(f"\n{magic}\n!pip install x\ndef f():\n    return 1")
    assert summary(program) == [("def", ("f",), 1, 4)]
    assert program.warnings == ()


@pytest.mark.parametrize("magic", ["%%html", "%%script python", "%%javascript", "%%"])
def test_other_cell_magics_drop_the_cell(magic: str) -> None:
    program = extract(f"{magic}\ndef f():\n    return 1", "def g():\n    return 2")
    assert list(program.functions) == ["g"]
    name = magic[2:].split(" ")[0]
    assert program.warnings == (f"cell 1: a %%{name} cell was skipped; only Python is graded",)


def test_indented_cell_is_dedented_like_ipython() -> None:
    program = extract_file("indented_cell.ipynb")
    assert program.units == (
        Unit("def", ("indented",), "def indented(x):\n    return x + 1", 1, 2),
        Unit("const", ("CONST",), "CONST = 3", 1, 5),
    )
    assert program.warnings == ()


def test_indented_cell_magic() -> None:
    assert list(extract("  %%time\n  def f():\n      return 1").functions) == ["f"]


# --- syntax errors ------------------------------------------------------------------------


def test_syntax_error_costs_only_its_chunk() -> None:
    program = extract_file("syntax_error_cell.ipynb")
    assert summary(program) == [
        ("def", ("before",), 1, 1),
        ("import", ("np",), 2, 1),
        ("def", ("good_one",), 2, 3),
        ("def", ("decorated_after",), 2, 9),
        ("def", ("Model",), 2, 13),
        ("def", ("last",), 2, 22),
        ("def", ("after",), 3, 1),
    ]
    assert program.units[3].source == "@staticmethod\ndef decorated_after(x):\n    return x"
    assert program.units[5].source == (
        "def last(x):\n    # a column-0 comment follows\n# here\n    return x - 1"
    )
    assert list(program.functions) == ["before", "good_one", "decorated_after", "last", "after"]
    assert program.warnings == (
        "cell 2, line 7: SyntaxError: invalid syntax; "
        "the definitions in that part of the cell were not graded",
    )


def test_null_byte_costs_only_its_function() -> None:
    program = extract_file("null_byte.ipynb")
    assert summary(program) == [("def", ("fine",), 1, 1), ("def", ("also_fine",), 1, 7)]
    assert program.warnings == (
        "cell 1, line 5: SyntaxError: the code contains a null character; "
        "the definitions in that part of the cell were not graded",
    )


def test_unclosed_bracket_does_not_swallow_the_rest_of_the_cell() -> None:
    program = extract(
        "def a():\n  return 1\n\ndef b(:\n  pass\n\n"
        "try:\n    import zz\nexcept ImportError:\n    zz = None\n"
        "@dec\ndef c():\n    return (1,\n    2)\nfrom os import (path,\nsep)"
    )
    assert summary(program) == [
        ("def", ("a",), 1, 1),
        ("import", ("zz",), 1, 7),
        ("def", ("c",), 1, 11),
        ("import", ("path", "sep"), 1, 15),
    ]
    assert program.warnings == (
        "cell 1, line 4: SyntaxError: invalid syntax; "
        "the definitions in that part of the cell were not graded",
    )


def test_indentation_error_is_named() -> None:
    program = extract("def f():\nreturn 1\n\ndef g():\n    return 2")
    assert list(program.functions) == ["g"]
    assert program.warnings[0].startswith("cell 1, line 2: IndentationError: expected an indented")


def test_unterminated_string_keeps_what_comes_before() -> None:
    program = extract(
        'def a():\n    return 1\n\ndef b():\n    """never closed\n\ndef c():\n    pass'
    )
    assert list(program.functions) == ["a"]
    assert program.warnings[0].startswith("cell 1, line 5: SyntaxError: unterminated triple")


@pytest.mark.parametrize(
    ("source", "warning"),
    [
        ("x = " + "(" * 300 + ")" * 300, "cell 1, line 1: SyntaxError: too many nested"),
        ("y = " + "-" * 200_000 + "1", "cell 1: the code is nested too deeply to be read"),
    ],
)
def test_pathological_nesting_is_a_warning(source: str, warning: str) -> None:
    program = extract(source + "\n\ndef ok():\n    pass")
    assert program.warnings[0].startswith(warning)


def test_parser_warnings_do_not_escape() -> None:
    # Invalid escapes and "is" with a literal make the parser warn (errors under pytest).
    program = extract('def f():\n    return "\\d" if 1 is 1 else None')
    assert list(program.functions) == ["f"]
    assert program.warnings == ()


# --- which definition counts --------------------------------------------------------------


def test_last_definition_wins_and_later_bindings_shadow() -> None:
    program = extract_file("duplicate_definitions.ipynb")
    assert program.functions == {
        "compute": FunctionInfo("compute", 3, 1, graded_header=False, stub_empty=False)
    }
    assert [u.names for u in program.units] == [
        ("compute",),
        ("compute",),
        ("shadowed",),
        ("shadowed",),
        ("constant_later",),
        ("constant_later",),
        ("imported_later",),
        ("imported_later",),
    ]


def test_functions_are_found_without_graded_headers() -> None:
    program = extract_file("no_graded_headers.ipynb")
    assert program.functions == {
        "initialize_parameters": FunctionInfo("initialize_parameters", 3, 1, False, False),
        "helper": FunctionInfo("helper", 4, 2, graded_header=True, stub_empty=False),
    }


@pytest.mark.parametrize(
    ("header", "graded"),
    [
        ("# GRADED FUNCTION: f", True),
        ("#GRADED FUNCTION:f", True),
        ("  ### graded   function :  f  ", True),
        ("# GRADED FUNCTION: g", False),
        ("# GRADED FUNCTION: f_other", False),
        ("# a comment first\n# GRADED FUNCTION: f", False),
    ],
)
def test_graded_header(header: str, graded: bool) -> None:
    program = extract(f"\n{header}\nimport numpy as np\n\ndef f():\n    return 1")
    assert program.functions["f"].graded_header is graded


@pytest.mark.parametrize(
    ("body", "empty"),
    [
        ("    # YOUR CODE STARTS HERE\n\n    # YOUR CODE ENDS HERE\n    return None", True),
        (
            "    # YOUR CODE STARTS HERE\n    # (~ 2 lines)\n    # YOUR CODE ENDS HERE\n    pass",
            True,
        ),
        ("    ### START CODE HERE ### (≈ 1 line)\n    ### END CODE HERE ###\n    return", True),
        ("    # YOUR CODE STARTS HERE\n    y = 1\n    # YOUR CODE ENDS HERE\n    return y", False),
        ("    # YOUR CODE STARTS HERE\n    return 1", False),
        ("    return 1", False),
        (
            "    # YOUR CODE STARTS HERE\n    a = 1\n    # YOUR CODE ENDS HERE\n"
            "    # YOUR CODE STARTS HERE\n    # YOUR CODE ENDS HERE\n    return a",
            True,
        ),
    ],
)
def test_stub_empty(body: str, empty: bool) -> None:
    program = extract(f"# GRADED FUNCTION: f\ndef f():\n{body}")
    assert program.functions["f"] == FunctionInfo("f", 1, 2, True, empty)


# --- scripts and speed --------------------------------------------------------------------


def test_percent_script() -> None:
    program = extract_file("percent_script.py")
    assert summary(program) == [("import", ("np",), 3, 1), ("def", ("sigmoid",), 4, 1)]


def test_two_hundred_cells_are_fast() -> None:
    cell = (
        "# GRADED FUNCTION: f{i}\n%matplotlib inline\nimport numpy as np\n\n"
        "def f{i}(x, y):\n    '''Doc.'''\n    z = np.dot(x, y) + {i}\n"
        "    for _ in range(3):\n        z = z * 2\n    return z\n\nprint(f{i}(1, 2))\n"
    )
    cells = tuple(Cell(i + 1, cell.format(i=i)) for i in range(200))
    start = time.perf_counter()
    program = extract_program(cells)
    elapsed = time.perf_counter() - start
    assert len(program.functions) == 200
    assert all(info.graded_header for info in program.functions.values())
    assert elapsed < 0.5


def test_empty_and_comment_only_cells_give_nothing() -> None:
    program = extract("", "   \n\n", "# just a comment\n# GRADED FUNCTION: f", "%%time\n")
    assert program == Program(units=(), functions={}, warnings=())


def test_carriage_returns_in_cells_are_normalised() -> None:
    program = extract("import os\r\n\r\ndef f():\r\n    return 1\r\n")
    assert program.units[1] == Unit("def", ("f",), "def f():\n    return 1", 1, 3)


def test_imported_modules_lists_absolute_imports_once_in_order() -> None:
    from grader.extract import imported_modules
    from grader.notebook import Cell

    src = (
        "import numpy as np, os.path\nfrom planar_utils import sigmoid\nfrom . import rel\n"
        "import numpy\ntry:\n    import sklearn\nexcept ImportError:\n    pass\n"
    )
    program = extract_program((Cell(1, src),))
    assert imported_modules(program) == ["numpy", "os.path", "planar_utils", "sklearn"]


# --- the code budget: a ceiling on the grader's work, with warnings that name the cells -------


def test_a_giant_cell_is_cut_at_a_line_and_the_next_cells_are_still_read() -> None:
    from grader.codebudget import MAX_CELL_LINES

    giant = "def early():\n    pass\n" + "# note\n" * MAX_CELL_LINES + "def late():\n    pass\n"
    program = extract(giant, "def after():\n    pass\n")
    assert list(program.functions) == ["early", "after"]
    assert program.warnings == (
        f"cell 1 holds {len(giant) / 1e3:.0f} KB of code, more than the grader reads; only its "
        f"first {MAX_CELL_LINES:,} lines were read, and the definitions in the rest were not "
        "graded",
    )


def test_a_cell_whose_first_line_is_too_long_is_not_parsed() -> None:
    from grader.codebudget import MAX_CELL_CHARS

    program = extract("x = '" + "a" * MAX_CELL_CHARS + "'\ndef f():\n    pass\n", "def g(): pass")
    assert list(program.functions) == ["g"]
    assert "none was read" in program.warnings[0]


def test_cells_past_the_budget_are_named_in_one_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("grader.codebudget.MAX_CODE_CELLS", 2)
    program = extract("def a(): pass", "def b(): pass", "def c(): pass", "def d(): pass")
    assert list(program.functions) == ["a", "b"]
    assert program.warnings == (
        "2 cells from cell 3 on were not read: the notebook holds more code than the grader "
        "reads (262 KB, 10,000 lines, 2 code cells or 5,000 definitions); definitions there "
        "were not graded",
    )


def test_a_cell_of_thousands_of_statements_is_read_up_to_its_limit() -> None:
    from grader.codebudget import MAX_CELL_STATEMENTS

    program = extract("x = 1\n" * MAX_CELL_STATEMENTS + "def f():\n    pass\n")
    assert "f" not in program.functions
    assert len(program.units) == MAX_CELL_STATEMENTS
    assert program.warnings[0].startswith(f"cell 1 has {MAX_CELL_STATEMENTS + 1:,} top-level")
