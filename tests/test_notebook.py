"""Tests for grader.notebook: reading submissions strictly, never executing anything."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

from grader.errors import InvalidSubmission
from grader.notebook import Cell, SourceFile, read_submission, reads_submission

DATA = Path(__file__).parent / "data" / "notebooks"


def read(name: str) -> SourceFile:
    return read_submission(str(DATA / name))


def notebook(cells: list[dict[str, Any]], **top: Any) -> dict[str, Any]:
    nb: dict[str, Any] = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    nb.update(top)
    return nb


def code_cell(source: Any, index: int = 0, **extra: Any) -> dict[str, Any]:
    cell = {
        "cell_type": "code",
        "id": f"c{index}",
        "metadata": {},
        "execution_count": None,
        "outputs": [],
        "source": source,
    }
    cell.update(extra)
    return cell


def invalid_message(data: bytes, path: str = "sub.ipynb", **kwargs: Any) -> str:
    with pytest.raises(InvalidSubmission) as info:
        reads_submission(data, path, **kwargs)
    return str(info.value)


def assert_student_message(message: str) -> None:
    """A message for students: short, no Python internals."""
    assert len(message) <= 300
    assert "Traceback" not in message
    assert 'File "' not in message
    assert "Error:" not in message  # no "json.decoder.JSONDecodeError: ..." style text


# --- notebooks that must be graded normally ---------------------------------------------


def test_bom_is_accepted() -> None:
    sub = read("bom.ipynb")
    assert sub.kind == "ipynb"
    assert sub.nbformat == 4
    assert sub.cells == (Cell(2, "def f():\n    return 1"),)
    assert sub.warnings == ()


def test_crlf_line_endings_are_normalised() -> None:
    sub = read("crlf.ipynb")
    assert sub.cells == (
        Cell(1, "import numpy as np\n\ndef g(x):\n    return x + 1\n"),
        Cell(2, "old = 1\ndef h():\n    return 2"),
    )


def test_nbformat3_is_read_with_cell_numbers_across_all_cells() -> None:
    sub = read("nbformat3.ipynb")
    assert sub.nbformat == 3
    assert sub.cells == (
        Cell(2, "import numpy as np\n\ndef sigmoid(z):\n    return 1 / (1 + np.exp(-z))"),
        Cell(4, "def layer_sizes(X, Y):\n    return X.shape[0], 4, Y.shape[0]"),
    )
    assert sub.warnings == ()


def test_sources_as_lists_are_joined() -> None:
    sub = read("sources_as_lists.ipynb")
    assert sub.cells == (
        Cell(2, "import math\n\ndef area(r):\n    return math.pi * r ** 2\n"),
        Cell(3, ""),
    )


def test_missing_cell_ids_give_one_warning_not_an_error() -> None:
    sub = read("no_cell_ids.ipynb")
    assert sub.cells == (Cell(1, "def f():\n    return 1"),)
    assert sub.warnings == (
        "the notebook does not fully follow the nbformat 4 schema: "
        "'id' is a required property (at cells/0)",
    )


def test_schema_deviations_do_not_reject_the_notebook() -> None:
    sub = read("schema_deviations.ipynb")
    assert sub.cells == (Cell(2, "def f():\n    return 1"),)
    assert len(sub.warnings) == 1
    assert sub.warnings[0].startswith("the notebook does not fully follow the nbformat 4 schema: ")
    assert len(sub.warnings[0]) < 250


def test_duplicate_cell_ids_raise_no_python_warning() -> None:
    # pytest runs with filterwarnings=error: any DuplicateCellId warning would fail here.
    nb = notebook([code_cell("x = 1", 0), code_cell("def f():\n    pass", 0)])
    sub = reads_submission(json.dumps(nb).encode(), "dup.ipynb")
    assert [cell.number for cell in sub.cells] == [1, 2]


def test_assignment_id_comes_from_metadata() -> None:
    assert read("assignment_metadata.ipynb").assignment_id == "planar_data_classification"
    assert read("bom.ipynb").assignment_id is None


@pytest.mark.parametrize("grader_meta", [{"assignment": 7}, "planar", {"other": "x"}, None])
def test_assignment_id_that_is_not_a_string_is_ignored(grader_meta: Any) -> None:
    nb = notebook([code_cell("x = 1")], metadata={"grader": grader_meta})
    assert reads_submission(json.dumps(nb).encode(), "a.ipynb").assignment_id is None


def test_sha256_is_of_the_raw_bytes() -> None:
    raw = (DATA / "bom.ipynb").read_bytes()
    assert read("bom.ipynb").sha256 == hashlib.sha256(raw).hexdigest()


def test_markdown_cell_without_source_is_tolerated() -> None:
    nb = notebook([{"cell_type": "markdown", "metadata": {}}, code_cell("y = 2", 1)])
    sub = reads_submission(json.dumps(nb).encode(), "a.ipynb")
    assert sub.cells == (Cell(2, "y = 2"),)
    assert len(sub.warnings) == 1


# --- broken files: InvalidSubmission with a reason a student can act on ------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("truncated.ipynb", "its JSON is broken at line 15, column 10"),
        ("empty.ipynb", "the file is empty"),
        ("not_json.ipynb", "its JSON is broken at line 1, column 1"),
        ("future_nbformat.ipynb", "unsupported nbformat 99: "),
        ("cells_not_list.ipynb", "the notebook's 'cells' is not a list"),
        ("not_utf8.ipynb", "the file is not UTF-8 text"),
        ("top_level_list.ipynb", "its top level is a list"),
        ("bad_cell_source.ipynb", "cell 2 of the notebook has an invalid 'source'"),
    ],
)
def test_broken_notebooks_are_invalid_with_a_reason(name: str, expected: str) -> None:
    with pytest.raises(InvalidSubmission) as info:
        read(name)
    message = str(info.value)
    assert expected in message
    assert "File > Download" in message
    assert_student_message(message)


@pytest.mark.parametrize(
    ("version", "shown"),
    [(2, "2"), (5, "5"), ("4", '"4"'), (4.0, "4.0"), (True, "true"), (None, "null")],
)
def test_unsupported_nbformat_values(version: Any, shown: str) -> None:
    nb = notebook([code_cell("x = 1")], nbformat=version)
    message = invalid_message(json.dumps(nb).encode())
    assert message.startswith(f"unsupported nbformat {shown}: ")


def test_missing_nbformat_is_unsupported() -> None:
    nb = notebook([code_cell("x = 1")])
    del nb["nbformat"]
    assert invalid_message(json.dumps(nb).encode()).startswith("unsupported nbformat missing: ")


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        ([code_cell("x = 1"), "not a cell"], "cell 2 of the notebook is a string"),
        ([{"source": "x = 1"}], "cell 1 of the notebook has no valid 'cell_type'"),
        ([{"cell_type": 3, "source": "x = 1"}], "cell 1 of the notebook has no valid 'cell_type'"),
        ([code_cell(["x = 1\n", 2])], "cell 1 of the notebook has an invalid 'source'"),
        ([{"cell_type": "code", "metadata": {}}], "cell 1 of the notebook has an invalid"),
        ([{"cell_type": "markdown", "source": None}], "cell 1 of the notebook has an invalid"),
    ],
)
def test_cell_structure_is_strict(cells: list[Any], expected: str) -> None:
    message = invalid_message(json.dumps(notebook(cells)).encode())
    assert message.startswith(expected)
    assert_student_message(message)


def test_nbformat3_with_bad_worksheets_is_invalid() -> None:
    nb = {"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": {"cells": []}}
    assert "'worksheets' is not a list" in invalid_message(json.dumps(nb).encode())


@pytest.mark.parametrize("wrapper", ["{}", '{{"nbformat": 4, "cells": {}}}'])
def test_deeply_nested_json_is_invalid_not_a_crash(tmp_path: Path, wrapper: str) -> None:
    depth = 100_000
    path = tmp_path / "deeply_nested.ipynb"
    path.write_text(wrapper.format("[" * depth + "]" * depth))
    with pytest.raises(InvalidSubmission, match="nested too deeply") as info:
        read_submission(str(path))
    assert_student_message(str(info.value))


def test_whitespace_only_file_is_empty() -> None:
    assert invalid_message(b" \n\t\r\n").startswith("the file is empty")


def test_long_reasons_are_truncated() -> None:
    nb = notebook([code_cell("x = 1")], nbformat="9" * 1000)
    message = invalid_message(json.dumps(nb).encode())
    assert message.startswith("unsupported nbformat ")
    assert len(message) <= 300


# --- files on disk ------------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidSubmission, match=r"^the file 'nope.ipynb' does not exist$"):
        read_submission(str(tmp_path / "nope.ipynb"))


def test_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidSubmission, match="is a folder"):
        read_submission(str(tmp_path))


def test_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.ipynb"
    os.mkfifo(fifo)
    with pytest.raises(InvalidSubmission, match="not a regular file"):
        read_submission(str(fifo))


def big_images_notebook(megabytes: int) -> bytes:
    image = base64.b64encode(os.urandom(1024 * 1024)).decode()
    output = {
        "output_type": "display_data",
        "metadata": {},
        "data": {"image/png": image, "text/plain": ["<Figure size 640x480 with 1 Axes>"]},
    }
    cells = [
        code_cell(f"def f{i}():\n    return {i}", i, outputs=[output], execution_count=i + 1)
        for i in range(megabytes * 3 // 4)
    ]
    return json.dumps(notebook(cells)).encode()


def test_big_images_are_read_quickly(tmp_path: Path) -> None:
    path = tmp_path / "big_images.ipynb"
    path.write_bytes(big_images_notebook(40))
    assert path.stat().st_size > 30_000_000
    reads_submission(json.dumps(notebook([code_cell("x = 1")])).encode(), "warm.ipynb")
    start = time.perf_counter()
    sub = read_submission(str(path))
    elapsed = time.perf_counter() - start
    assert len(sub.cells) == 30
    assert sub.cells[-1] == Cell(30, "def f29():\n    return 29")
    assert sub.warnings == ()
    assert elapsed < 1.0


def test_over_cap_file_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "big_images.ipynb"
    # Not even JSON: had it been parsed, the reason would be about broken JSON.
    path.write_bytes(b"\x00garbage" * 200_000)
    with pytest.raises(InvalidSubmission) as info:
        read_submission(str(path), max_bytes=1_000_000)
    message = str(info.value)
    assert message.startswith("the file is too large (1.6 MB; the limit is 1.0 MB)")
    assert "Clear Output" in message
    assert_student_message(message)


def test_over_cap_bytes_are_refused() -> None:
    data = big_images_notebook(2)
    assert "too large" in invalid_message(data, max_bytes=len(data) - 1)
    assert reads_submission(data, "ok.ipynb", max_bytes=len(data)).cells


# --- .py scripts --------------------------------------------------------------------------


def test_plain_script_is_one_cell() -> None:
    sub = read("plain_script.py")
    assert sub.kind == "py"
    assert sub.nbformat is None
    assert sub.cells == (Cell(1, (DATA / "plain_script.py").read_text()),)


def test_percent_script_is_split_on_markers() -> None:
    sub = read("percent_script.py")
    assert sub.cells == (
        Cell(1, "# ---\n# jupyter:\n#   kernelspec:\n#     name: python3\n# ---\n"),
        Cell(3, "import numpy as np\n"),
        Cell(4, "def sigmoid(z):\n    return 1 / (1 + np.exp(-z))\n"),
        Cell(5, "%matplotlib inline\nprint(sigmoid(0))\n"),
    )


def test_script_crlf_and_bom() -> None:
    sub = reads_submission(b"\xef\xbb\xbf# %%\r\nx = 1\r\n# %%\r\ny = 2\r\n", "s.py")
    assert sub.cells == (Cell(1, "x = 1"), Cell(2, "y = 2\n"))


def test_script_errors() -> None:
    assert invalid_message(b"", "s.py").startswith("the file is empty")
    assert invalid_message(b"x = '\xe9'\n", "s.py").startswith("the file is not UTF-8 text")


def test_unknown_suffix_is_read_as_a_notebook() -> None:
    data = (DATA / "bom.ipynb").read_bytes()
    assert reads_submission(data, "submission.json").kind == "ipynb"
    assert "JSON is broken" in invalid_message(b"def f():\n    pass\n", "submission.txt")


def test_schema_check_can_be_skipped_and_only_the_warning_changes() -> None:
    path = str(DATA / "schema_deviations.ipynb")
    checked = read_submission(path)
    quick = read_submission(path, schema=False)
    assert checked.warnings and quick.warnings == ()
    assert quick.cells == checked.cells and quick.sha256 == checked.sha256


# --- the reader's own cost is bounded by values and cells, not only by bytes ------------------


def test_a_notebook_of_millions_of_json_values_is_refused_before_parsing() -> None:
    from grader.notebook import MAX_JSON_VALUES

    data = b'{"nbformat": 4, "cells": [], "metadata": {"x": [' + b"{}," * MAX_JSON_VALUES + b"{}]}}"
    message = invalid_message(data)
    assert message.startswith("the notebook is too complex to be read: its JSON holds up to ")
    assert "clear the outputs" in message
    assert_student_message(message)


def test_a_notebook_of_too_many_cells_is_refused() -> None:
    from grader.notebook import MAX_CELLS

    nb = notebook([{"cell_type": "markdown", "source": ""}] * (MAX_CELLS + 1))
    message = invalid_message(json.dumps(nb).encode())
    assert message.startswith(f"the notebook has {MAX_CELLS + 1:,} cells, more than the")
    assert_student_message(message)


def test_too_many_nbformat3_cells_are_refused_across_worksheets() -> None:
    from grader.notebook import MAX_CELLS

    worksheet = {"cells": [{"cell_type": "markdown", "source": ""}] * (MAX_CELLS // 2 + 1)}
    nb = {"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": [worksheet] * 2}
    assert "cells, more than the" in invalid_message(json.dumps(nb).encode())


def test_a_huge_notebook_is_graded_without_the_schema_check() -> None:
    from grader.notebook import MAX_SCHEMA_VALUES

    outputs = [{"output_type": "stream", "name": "stdout", "text": ["1\n"] * MAX_SCHEMA_VALUES}]
    nb = notebook([code_cell("def f():\n    return 1", outputs=outputs)])
    sub = reads_submission(json.dumps(nb).encode(), "big.ipynb")
    assert sub.cells == (Cell(1, "def f():\n    return 1"),)
    assert sub.warnings == (
        "the notebook was not checked against the nbformat 4 schema: it is too large "
        "(usually from big outputs); it was graded all the same",
    )


def _cell(kind: str, index: int, **extra: Any) -> dict[str, Any]:
    if kind == "code":
        return code_cell(f"x{index} = {index}", index, **extra)
    cell: dict[str, Any] = {"cell_type": kind, "id": f"c{index}", "metadata": {}, "source": ""}
    cell.update(extra)
    return cell


def _without_id(cell: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in cell.items() if key != "id"}


@pytest.mark.parametrize("minor", [5, 6, 9])
@pytest.mark.parametrize("kind", ["code", "markdown", "raw", "future_kind"])
@pytest.mark.parametrize("where", [0, 2])
@pytest.mark.parametrize("other", ["", "bad_metadata", "unknown_key", "future_kind_no_id"])
def test_a_cell_without_an_id_warns_as_the_validator_does(
    minor: int, kind: str, where: int, other: str
) -> None:
    """The shortcut for a cell without an id gives the very warning the validator's path gives,
    and is taken only where the validator is certain to reject the notebook."""
    from grader import notebook as reader

    cells = [_cell("code", 0), _cell("markdown", 1), _cell("code", 2), _cell("raw", 3)]
    cells[where] = _without_id(_cell(kind, where))
    if other == "bad_metadata":
        cells[3]["metadata"] = []
    elif other == "unknown_key":
        cells[1]["surprise"] = 1
    elif other == "future_kind_no_id":
        cells[1] = _without_id(_cell("future_kind", 1))
    nb = notebook(cells, nbformat_minor=minor)
    validator = reader._validator_deviation(json.loads(json.dumps(nb)), 4, minor)
    if reader._id_missing_for_sure(nb, 4, minor):
        assert validator is not None
        assert reader._describe_deviation(nb, 4, minor, None) == validator
    else:  # every cell without an id is of a type the schema does not know
        assert kind == "future_kind"
    data = json.dumps(nb).encode()
    expected = () if validator is None else (
        f"the notebook does not fully follow the nbformat 4 schema: {validator}",
    )
    assert reads_submission(data, "n.ipynb").warnings == expected


def test_the_shortcut_is_taken_for_a_missing_id_and_not_for_older_minors() -> None:
    from grader import notebook as reader

    nb = notebook([_without_id(_cell("code", 0))])
    assert reader._id_missing_for_sure(nb, 4, 5)
    assert not reader._id_missing_for_sure(nb, 4, 4)  # ids came with 4.5
    assert not reader._id_missing_for_sure(notebook([_cell("code", 0)]), 4, 5)
    # Only a future cell type lacks its id: the relaxed schema may accept it; ask the validator.
    assert not reader._id_missing_for_sure(notebook([_without_id(_cell("new", 0))]), 4, 6)
