"""Read a submission file (.ipynb nbformat 3/4, or .py) into code cells. Never executes anything.

The reader is strict about what grading needs (a list of cells, each with a type and a source)
and lenient about everything else: a notebook that merely deviates from the nbformat schema
(missing cell ids, extra metadata, ...) is graded, with one warning. Every problem that stops
grading is an :class:`~grader.errors.InvalidSubmission` whose message a student can act on.

Its cost is linear in the file and bounded: the size cap bounds the bytes, a count of JSON
separators (before parsing) bounds the values built, the cell cap bounds the cells walked, and
the schema check is skipped on notebooks too large for it to be cheap.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import warnings
from dataclasses import dataclass
from typing import Any

from grader.errors import InvalidSubmission
from grader.files import NotRegularFile, open_regular

__all__ = ["DEFAULT_MAX_BYTES", "Cell", "SourceFile", "read_submission", "reads_submission"]

DEFAULT_MAX_BYTES = 64 * 1024 * 1024
# Parsed JSON costs up to ~64 bytes of memory per value ("{}," makes a 64-byte dict of 3 bytes),
# so the number of values, not the file's size, bounds the reader's memory: at most ~256 MB.
MAX_JSON_VALUES = 4_000_000
_NOT_JSON_SEPARATORS = bytes(sorted(set(range(256)) - set(b",:[{")))
# Real notebooks have tens to hundreds of cells; reading one costs microseconds.
MAX_CELLS = 10_000
# The schema validator costs microseconds per value; above this it is skipped (with a warning).
MAX_SCHEMA_VALUES = 100_000

_MAX_MESSAGE = 300
_REDOWNLOAD = "re-download the notebook from Jupyter (File > Download) and submit that file"
# A jupytext "percent" cell marker: "# %%", optionally followed by a title or "[markdown]".
_PERCENT_MARKER = re.compile(r"^#[ \t]*%%(?!%)(.*)$", re.MULTILINE)
_NON_CODE_PERCENT = re.compile(r"\[\s*(markdown|md|raw)\s*\]", re.IGNORECASE)


@dataclass(frozen=True)
class Cell:
    """One code cell of a submission.

    ``number`` is the cell's 1-based position among *all* cells of the notebook (markdown
    included), which is how a student counts cells when scrolling; for a .py file, cells are
    the ``# %%`` sections (or the whole file as cell 1).
    """

    number: int
    source: str


@dataclass(frozen=True)
class SourceFile:
    """A parsed submission: its code cells plus what we know about the file."""

    path: str
    sha256: str
    kind: str  # "ipynb" or "py"
    cells: tuple[Cell, ...]
    nbformat: int | None = None  # original major version for notebooks
    assignment_id: str | None = None  # from notebook metadata ("grader": {"assignment": ...})
    warnings: tuple[str, ...] = ()


def _invalid(message: str) -> InvalidSubmission:
    """Build an InvalidSubmission whose message is short enough to show to a student."""
    if len(message) > _MAX_MESSAGE:
        message = message[: _MAX_MESSAGE - 3].rstrip() + "..."
    return InvalidSubmission(message)


def _normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _invalid(
            f"the file is not UTF-8 text (undecodable byte at position {exc.start}); {_REDOWNLOAD}"
        ) from None


def reads_submission(
    data: bytes, path: str, *, max_bytes: int = DEFAULT_MAX_BYTES, schema: bool = True
) -> SourceFile:
    """Parse the bytes of a submission without executing anything.

    Args:
        data: The raw bytes of the file.
        path: The file's path; its suffix decides between a ``.py`` script and a notebook.
        max_bytes: Submissions larger than this are refused.
        schema: Also check the nbformat JSON schema (deviations become one warning). Only the
            warning depends on it; a caller that needs no warnings (a student's quick local
            check, reading an instructor's own notebook) saves the ~0.4 s it costs a fresh
            process to import and compile the validator.

    Returns:
        The code cells of the submission and what is known about the file.

    Raises:
        InvalidSubmission: The file is too large, empty, not UTF-8, not JSON, not a notebook,
            of an unsupported nbformat version, or holds more JSON values
            (:data:`MAX_JSON_VALUES`) or cells (:data:`MAX_CELLS`) than the grader reads. The
            message is meant for the student.
    """
    if len(data) > max_bytes:
        raise _too_large(len(data), max_bytes)
    sha256 = hashlib.sha256(data).hexdigest()
    if not data or data.isspace():
        raise _invalid(f"the file is empty; {_REDOWNLOAD}")
    if path.lower().endswith(".py"):
        return SourceFile(path=path, sha256=sha256, kind="py", cells=_script_cells(_decode(data)))
    values = _json_values_at_most(data)
    nb = _load_json(_decode(data))
    major = _check_version(nb)
    cells = _cells_v4(nb) if major == 4 else _cells_v3(nb)
    return SourceFile(
        path=path,
        sha256=sha256,
        kind="ipynb",
        cells=cells,
        nbformat=major,
        assignment_id=_assignment_id(nb.get("metadata")),
        warnings=_schema_warnings(nb, major, values) if schema else (),
    )


def read_submission(
    path: str,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    schema: bool = True,
    follow_symlinks: bool = False,
) -> SourceFile:
    """Read and parse a submission file, refusing files over ``max_bytes`` before parsing.

    Only a regular file is read: a symbolic link (unless ``follow_symlinks``), a folder, a
    FIFO, a socket or a device is refused without blocking, and the size is taken from the
    opened descriptor, so the file checked is the file read.

    Args:
        path: The submission file (``.ipynb`` notebook or ``.py`` script).
        max_bytes: Files larger than this are refused without being read in full.
        schema: Also check the nbformat schema (see :func:`reads_submission`).
        follow_symlinks: Follow a symbolic link named by ``path`` itself: for a path a user
            typed (``grader check``), never for a file found in an uploaded folder.

    Returns:
        The parsed submission (see :func:`reads_submission`).

    Raises:
        InvalidSubmission: The file is missing, not a regular file, unreadable, too large, or
            not a gradable notebook or script.
    """
    name = os.path.basename(path) or path
    try:
        with open_regular(path, follow_symlinks=follow_symlinks) as f:
            size = os.fstat(f.fileno()).st_size
            if size > max_bytes:
                raise _too_large(size, max_bytes)
            data = f.read(max_bytes + 1)
    except NotRegularFile as exc:
        raise _not_regular(name, exc.kind) from None
    except FileNotFoundError:
        raise _invalid(f"the file '{name}' does not exist") from None
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise _invalid(f"the file '{name}' cannot be read ({reason})") from None
    return reads_submission(data, path, max_bytes=max_bytes, schema=schema)


def _not_regular(name: str, kind: str) -> InvalidSubmission:
    if kind == "a folder":
        return _invalid(f"'{name}' is a folder, not a notebook file")
    if kind == "a symbolic link":
        return _invalid(
            f"'{name}' is a symbolic link, which is not followed: submit the notebook file "
            "itself, not a link to it"
        )
    return _invalid(f"'{name}' is {kind}, not a regular file: submit the notebook file itself")


def _too_large(size: int, max_bytes: int) -> InvalidSubmission:
    return _invalid(
        f"the file is too large ({size / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.1f} MB); "
        "clear the outputs (Kernel > Restart & Clear Output), save, and submit again"
    )


def _script_cells(text: str) -> tuple[Cell, ...]:
    """Split a .py file into cells on jupytext ``# %%`` markers (or return it as one cell).

    The text is sliced between markers, never split into a list of lines: a line costs ~60
    bytes as a Python string, so 64 MB of one-character lines would have cost 2 GB.
    """
    text = _normalise_newlines(text)
    sections: list[tuple[bool, str]] = []
    is_code, start = True, 0
    for marker in _PERCENT_MARKER.finditer(text):
        _check_cell_count(len(sections) + 1, "script")  # 64 MB of "# %%" lines: 13M cells
        sections.append((is_code, text[start : max(start, marker.start() - 1)]))
        is_code = _NON_CODE_PERCENT.search(marker.group(1)) is None
        start = marker.end() + 1
    sections.append((is_code, text[start:]))
    if len(sections) > 1 and not sections[0][1].strip():
        del sections[0]  # nothing but blank lines before the first marker
    return tuple(
        Cell(number, body) for number, (is_code, body) in enumerate(sections, start=1) if is_code
    )


def _json_values_at_most(data: bytes) -> int:
    """An upper bound on the number of values ``json.loads(data)`` creates; refuse too many.

    Every value but the first follows a ``,`` or ``:`` or opens a container, so counting those
    characters (inside strings too, which only over-counts) bounds the values at C speed,
    before any of them is built. One ``translate`` pass that deletes every other byte is twice
    as fast as four ``count`` passes.
    """
    values = 1 + len(data.translate(None, _NOT_JSON_SEPARATORS))
    if values > MAX_JSON_VALUES:
        raise _invalid(
            f"the notebook is too complex to be read: its JSON holds up to {values:,} values "
            f"(the limit is {MAX_JSON_VALUES:,}), usually from huge outputs; clear the outputs "
            "(Kernel > Restart & Clear Output), save, and submit again"
        )
    return values


def _load_json(text: str) -> dict[str, Any]:
    try:
        nb = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _invalid(
            f"the file is not a valid notebook: its JSON is broken at line {exc.lineno}, "
            f"column {exc.colno} ({exc.msg}); the file may be truncated or was edited by hand; "
            f"{_REDOWNLOAD}"
        ) from None
    except RecursionError:
        raise _invalid(
            f"the file is not a valid notebook: its JSON is nested too deeply; {_REDOWNLOAD}"
        ) from None
    except ValueError as exc:  # e.g. an integer literal with too many digits
        raise _invalid(f"the file is not a valid notebook ({exc}); {_REDOWNLOAD}") from None
    if not isinstance(nb, dict):
        raise _invalid(
            f"the file is JSON but not a notebook (its top level is a {_json_type(nb)}, "
            f"not an object); {_REDOWNLOAD}"
        )
    return nb


def _json_type(value: object) -> str:
    names = {list: "list", str: "string", bool: "boolean", int: "number", float: "number"}
    return "null" if value is None else names.get(type(value), "value")


def _check_version(nb: dict[str, Any]) -> int:
    major = nb.get("nbformat")
    if isinstance(major, int) and not isinstance(major, bool) and major in (3, 4):
        return major
    if "nbformat" not in nb:
        shown = "missing"
    elif isinstance(major, (list, dict)):
        shown = f"(a {_json_type(major) if isinstance(major, list) else 'object'})"
    else:  # cut before dumping: the value may be a 60 MB string
        shown = json.dumps(major[:20] if isinstance(major, str) else major)[:20]
    raise _invalid(
        f"unsupported nbformat {shown}: only Jupyter notebooks in format 4 (or the older 3) "
        f"can be graded; {_REDOWNLOAD}"
    )


def _cell_source(cell: object, number: int, key: str) -> tuple[str, str]:
    """Return the (cell_type, source) of one raw cell, or refuse the notebook."""
    where = f"cell {number} of the notebook"
    if not isinstance(cell, dict):
        raise _invalid(f"{where} is a {_json_type(cell)}, not a cell object; {_REDOWNLOAD}")
    cell_type = cell.get("cell_type")
    if not isinstance(cell_type, str):
        raise _invalid(f"{where} has no valid 'cell_type'; {_REDOWNLOAD}")
    source = cell.get(key, None if cell_type == "code" else "")
    if isinstance(source, list):
        # join accepts exactly a list of str (it raises TypeError on any other item): the
        # check and the join in one C loop.
        with contextlib.suppress(TypeError):
            source = "".join(source)
    if not isinstance(source, str):
        raise _invalid(
            f"{where} has an invalid '{key}' (it must be text or a list of lines); {_REDOWNLOAD}"
        )
    # Only code is kept: a markdown cell of 60 MB need not be copied once more.
    return cell_type, _normalise_newlines(source) if cell_type == "code" else source


def _check_cell_count(count: int, what: str = "notebook") -> None:
    if count > MAX_CELLS:
        raise _invalid(
            f"the {what} has {count:,} cells, more than the {MAX_CELLS:,} the grader reads; "
            "merge or delete cells, save, and submit again"
        )


def _cells_v4(nb: dict[str, Any]) -> tuple[Cell, ...]:
    raw = nb.get("cells")
    if not isinstance(raw, list):
        raise _invalid(f"the notebook's 'cells' is not a list of cells; {_REDOWNLOAD}")
    _check_cell_count(len(raw))
    cells = []
    for number, cell in enumerate(raw, start=1):
        cell_type, source = _cell_source(cell, number, "source")
        if cell_type == "code":
            cells.append(Cell(number, source))
    return tuple(cells)


def _cells_v3(nb: dict[str, Any]) -> tuple[Cell, ...]:
    """Walk the worksheets of an nbformat 3 notebook (code cells keep their text in 'input')."""
    worksheets = nb.get("worksheets", [])
    if not isinstance(worksheets, list) or not all(isinstance(w, dict) for w in worksheets):
        raise _invalid(f"the notebook's 'worksheets' is not a list of worksheets; {_REDOWNLOAD}")
    cells = []
    number = 0
    for worksheet in worksheets:
        raw = worksheet.get("cells", [])
        if not isinstance(raw, list):
            raise _invalid(f"a worksheet's 'cells' is not a list of cells; {_REDOWNLOAD}")
        _check_cell_count(number + len(raw))
        for cell in raw:
            number += 1
            key = (
                "input" if isinstance(cell, dict) and cell.get("cell_type") == "code" else "source"
            )
            cell_type, source = _cell_source(cell, number, key)
            if cell_type == "code":
                cells.append(Cell(number, source))
    return tuple(cells)


def _assignment_id(metadata: object) -> str | None:
    if isinstance(metadata, dict):
        grader = metadata.get("grader")
        if isinstance(grader, dict) and isinstance(grader.get("assignment"), str):
            return str(grader["assignment"])
    return None


def _schema_warnings(nb: dict[str, Any], major: int, values: int) -> tuple[str, ...]:
    """Check ``nb`` against the nbformat schema; deviations give one warning, never an error.

    The compiled (fastjsonschema) validator takes about a millisecond; jsonschema's, which words
    errors better, took tens of milliseconds per deviating notebook (more than grading it), so
    it is not used. The commonest deviation, a cell without an id, is named precisely. It is
    still pure Python, a few microseconds per value, so a notebook of more than
    :data:`MAX_SCHEMA_VALUES` values (``values`` bounds them) is not checked: one warning says so.
    """
    if values > MAX_SCHEMA_VALUES:
        return (
            f"the notebook was not checked against the nbformat {major} schema: it is too large "
            "(usually from big outputs); it was graded all the same",
        )
    minor = nb.get("nbformat_minor")
    if major == 3 or not isinstance(minor, int) or isinstance(minor, bool) or minor < 0:
        minor = 0 if major == 3 else 5
    if _id_missing_for_sure(nb, major, minor):
        # The validator is certain to fail, and then the warning names the first cell without
        # an id whatever it said: skip its walk over the notebook (~3 ms; most notebooks saved
        # by older Jupyters land here).
        detail: str | None = _describe_deviation(nb, major, minor, None)
    else:
        detail = _validator_deviation(nb, major, minor)
    if detail is None:
        return ()
    if len(detail) > 160:
        detail = detail[:157].rstrip() + "..."
    return (f"the notebook does not fully follow the nbformat {major} schema: {detail}",)


def _validator_deviation(nb: dict[str, Any], major: int, minor: int) -> str | None:
    """Run nbformat's compiled validator: None if ``nb`` is valid, else what deviates."""
    from nbformat.validator import get_validator

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # MissingIDFieldWarning, DuplicateCellId, ...
        try:
            validator = get_validator(  # type: ignore[no-untyped-call]
                version=major, version_minor=minor, name="fastjsonschema"
            )
            validator.validate(nb)
            return None
        except Exception as exc:  # a deviation, or the validator failed on odd input
            return _describe_deviation(nb, major, minor, exc)


# The cell types of nbformat 4's schema. From 4.5 on, each one's definition requires an "id",
# and the only other choice a cell has ("unrecognized_cell", in the relaxed schema of minors
# newer than the installed nbformat knows) requires a cell_type that is none of these.
_SCHEMA_CELL_TYPES = ("code", "markdown", "raw")


def _id_missing_for_sure(nb: dict[str, Any], major: int, minor: int) -> bool:
    """Whether the nbformat 4.5+ schema is certain to reject ``nb``: a cell of a known type
    has no id (such a cell matches none of the schema's ``oneOf`` choices for a cell)."""
    cells = nb.get("cells")
    if not (major == 4 and minor >= 5 and isinstance(cells, list)):
        return False
    return any(
        isinstance(cell, dict) and "id" not in cell and cell.get("cell_type") in _SCHEMA_CELL_TYPES
        for cell in cells
    )


def _describe_deviation(
    nb: dict[str, Any], major: int, minor: int, exc: Exception | None
) -> str:
    cells = nb.get("cells")
    if major == 4 and minor >= 5 and isinstance(cells, list):
        for index, cell in enumerate(cells):
            if isinstance(cell, dict) and "id" not in cell:
                return f"'id' is a required property (at cells/{index})"
    message = str(getattr(exc, "message", "") or exc).split("\n", 1)[0]
    return message.removeprefix("data.") or type(exc).__name__


