"""The grader's cost of reading and extracting a submission is linear, with a hard ceiling.

Each hostile notebook is built, read and extracted in a fresh interpreter under an address-space
limit of 2 GiB and a wall-clock ceiling of 60 s. Each of these took minutes or gigabytes before
the code budget (grader/codebudget.py) and the reader's value and cell caps; each now takes about
a second and ~100 MB. Both ceilings are guards against blow-ups (10x and more above the expected
figures), not performance measurements: those are printed by ``benchmarks/input_size.py``.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import textwrap
from typing import Any

import pytest

pytestmark = pytest.mark.slow

CEILING_S = 60
ADDRESS_SPACE = 2 << 30
PEAK_RSS = 1 << 30

# Runs in the child: BUILD defines `data` (the file's bytes) and `path`, then this part reads,
# extracts and prints what came out as one JSON line, with the peak RSS of the reading itself.
_HARNESS = """
import json, resource, sys
from grader.errors import InvalidSubmission
from grader.extract import extract_program
from grader.notebook import reads_submission

def notebook(*sources):
    cell = {{"cell_type": "code", "execution_count": None, "metadata": {{}}, "outputs": []}}
    cells = [{{**cell, "source": s}} for s in sources]
    return json.dumps({{"nbformat": 4, "nbformat_minor": 4, "metadata": {{}}, "cells": cells}})

path = "sub.ipynb"
{build}
try:
    sub = reads_submission(data, path)
except InvalidSubmission as exc:
    out = {{"invalid": str(exc)}}
else:
    del data
    program = extract_program(sub.cells)
    out = {{
        "functions": {{name: info.lineno for name, info in program.functions.items()}},
        "units": len(program.units),
        "warnings": [*sub.warnings, *program.warnings],
    }}
out["peak_rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps(out))
"""


def _limit() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


def read_bounded(build: str) -> dict[str, Any]:
    """Build a submission with ``build`` (Python that sets ``data``), read and extract it.

    Fails unless the child finishes within the ceilings and reports a peak RSS under 1 GiB.
    """
    code = _HARNESS.format(build=textwrap.dedent(build))
    try:
        done = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            timeout=CEILING_S,
            preexec_fn=_limit,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"reading and extracting took more than {CEILING_S} s")
    assert done.returncode == 0, done.stderr[-2000:]
    out: dict[str, Any] = json.loads(done.stdout)
    assert out["peak_rss"] < PEAK_RSS, f"peak RSS {out['peak_rss'] / 2**20:.0f} MiB"
    return out


def test_many_syntax_errors_in_one_cell_are_recovered_in_linear_time() -> None:
    # 324 KB of lines that each fail to parse: recovery re-read the lines above each chunk.
    out = read_bounded("""
        errors = "1 1\\n" * 1_000
        cell = "def ok():\\n    return 1\\n" + errors + "def late():\\n    pass\\n" + errors * 80
        data = notebook(cell).encode()
    """)
    # Line numbers stay those of the whole cell (chunks used to be padded with newlines).
    assert out["functions"] == {"ok": 1, "late": 1_003}
    assert out["warnings"][0].startswith("cell 1, line 3: SyntaxError")


def test_a_9_mb_valid_code_cell_is_cut_with_a_warning() -> None:
    # 2.5 GB and 90 s before: the AST of the whole cell, then a unit per statement.
    out = read_bounded("""
        giant = "def early():\\n    pass\\n" + "x = 1\\n" * 1_500_000
        data = notebook(giant, "def f():\\n    pass\\n").encode()
    """)
    assert list(out["functions"]) == ["early", "f"]  # the next cell is still read
    assert any(w.startswith("cell 1 holds 9.0 MB of code") for w in out["warnings"])


def test_a_12_mb_line_is_not_parsed() -> None:
    out = read_bounded("""
        data = notebook("x = " + "+".join(["1"] * 6_000_000), "def f():\\n    pass\\n").encode()
    """)
    assert list(out["functions"]) == ["f"]
    assert any("none was read" in w for w in out["warnings"])


def test_null_bytes_on_every_line_are_recovered_in_linear_time() -> None:
    out = read_bounded("""
        data = notebook("def f():\\n    pass\\n" + "\\0x = 1\\n" * 1_000_000).encode()
    """)
    assert list(out["functions"]) == ["f"]
    assert "null character" in out["warnings"][0]


def test_crlf_giant_cell_is_bounded() -> None:
    out = read_bounded("""
        data = notebook("def f():\\r\\n    pass\\r\\n" * 600_000).encode()
    """)
    assert list(out["functions"]) == ["f"]
    assert out["units"] <= 10_000


def test_a_60_mb_script_of_short_lines_is_bounded() -> None:
    # The .py reader split the file into a list of 30 million lines (~2 GB).
    out = read_bounded("""
        path = "sub.py"
        data = b"def f():\\n    pass\\n" + b"a\\n" * 30_000_000
    """)
    assert list(out["functions"]) == ["f"]


def test_millions_of_empty_json_objects_are_refused_before_parsing() -> None:
    # '{},' is a 64-byte dict for 3 bytes: 63 MB of them needed ~1.4 GB.
    out = read_bounded("""
        data = ('{"nbformat": 4, "nbformat_minor": 4, "cells": [], "metadata": {"x": ['
                + "{}," * 21_000_000 + '{}]}}').encode()
    """)
    assert "the notebook is too complex to be read" in out["invalid"]
    assert "clear the outputs" in out["invalid"]


def test_hundreds_of_thousands_of_cells_are_refused() -> None:
    out = read_bounded("""
        cell = '{"cell_type": "code", "source": "x"}'
        data = ('{"nbformat": 4, "nbformat_minor": 4, "metadata": {}, "cells": ['
                + ", ".join([cell] * 600_000) + ']}').encode()
    """)
    assert out["invalid"].startswith("the notebook has 600,000 cells, more than the 10,000")


def test_thousands_of_code_cells_are_read_up_to_the_budget() -> None:
    out = read_bounded("""
        data = notebook(*[f"def f{i}():\\n    pass\\n" for i in range(9_000)]).encode()
    """)
    assert len(out["functions"]) == 2_000
    assert any(w.startswith("7000 cells from cell 2001 on were not read") for w in out["warnings"])


def test_a_script_of_millions_of_cell_markers_is_refused() -> None:
    out = read_bounded("""
        path = "sub.py"
        data = b"# %%\\n" * 12_000_000
    """)
    assert out["invalid"].startswith("the script has 10,001 cells, more than the 10,000")
