"""Nothing student code can see names the grader's folders, the assignment or its solution."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from sandbox_helpers import program

import grader
from grader.assignment import load_assignment
from grader.sandbox import Limits, Zygote
from grader.session import SandboxSubmission

linux = pytest.mark.skipif(sys.platform != "linux", reason="the sandbox's layers need Linux")

# Everything a submission can find out about where it runs, as one string.
_LOOK_AROUND = '''
def look_around(read_installation):
    import gc, os, sys, types, warnings, traceback
    out = []
    for name in ("cmdline", "environ", "maps", "cwd", "exe"):
        path = "/proc/self/" + name
        try:
            out.append(os.readlink(path) if name in ("cwd", "exe") else
                       open(path, "rb").read().decode("latin-1"))
        except OSError as exc:
            out.append(repr(exc))
    for fd in range(64):
        try:
            out.append(os.readlink(f"/proc/self/fd/{fd}"))
        except OSError:
            pass
    out += [repr(sys.path), repr(sys.argv), repr(getattr(sys, "orig_argv", None)),
            repr(dict(os.environ)), os.getcwd(), repr(sys.flags), repr(sys.warnoptions)]
    for module in list(sys.modules.values()):
        out.append(repr(getattr(module, "__file__", None)))
        out.append(repr(getattr(module, "__path__", None)))
        out.append(repr(getattr(module, "__spec__", None)))
        out.append(repr(getattr(module, "__loader__", None)))
    out += [repr(sys.meta_path), repr(sys.path_hooks), repr(list(sys.path_importer_cache))]
    for finder in sys.meta_path:
        out.append(repr(getattr(finder, "MAPPING", None)))
    for obj in gc.get_objects():
        if isinstance(obj, types.CodeType):
            out.append(obj.co_filename)
        elif isinstance(obj, types.FunctionType):
            out.append(obj.__code__.co_filename)
        elif isinstance(obj, dict):
            out.append(" ".join(v for v in list(obj.values()) if isinstance(v, str)))
        elif isinstance(obj, (list, tuple)):
            out.append(" ".join(v for v in obj if isinstance(v, str)))
    frame = sys._getframe()
    while frame is not None:
        out.append(frame.f_code.co_filename + repr(frame.f_locals))
        frame = frame.f_back
    out.append("".join(traceback.format_stack()))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for level in range(1, 12):
            warnings.warn("where am I", stacklevel=level)
    out += [f"{w.filename}:{w.lineno}: {w.message}" for w in caught]
    try:
        import site
        out.append(repr(site.getsitepackages()))
    except Exception as exc:
        out.append(repr(exc))
    # What the installation left in the package folders: .pth files, an editable finder
    # (and its bytecode), the distribution's records (direct_url.json names the source).
    for folder in [p for p in sys.path if os.path.isabs(p) and read_installation]:
        try:
            names = os.listdir(folder)
        except OSError as exc:
            out.append(repr(exc))
            continue
        paths = [os.path.join(folder, n) for n in names]
        paths += [os.path.join(folder, n, m) for n in names if n.endswith(".dist-info")
                  for m in ("direct_url.json", "RECORD")]
        cache = os.path.join(folder, "__pycache__")
        paths += [os.path.join(cache, n) for n in (os.listdir(cache) if os.path.isdir(cache)
                  else []) if n.startswith("__editable__")]
        for path in paths:
            if path.endswith((".pth", ".json", "RECORD", ".pyc")) or "__editable__" in path:
                try:
                    out.append(open(path, "rb").read().decode("latin-1"))
                except OSError as exc:
                    out.append(repr(exc))
    return "\\n".join(out)
'''


def _secrets(assignment_root: Path, solution: Path | None) -> list[str]:
    package = Path(grader.__file__).resolve().parent
    found = [str(package), str(assignment_root), str(assignment_root / "tests")]
    if solution is not None:
        found += [str(solution), str(solution.parent)]
    if (package.parent / "pyproject.toml").is_file():
        found.append(str(package.parent))  # the source checkout
    return found


def _scrub_interpreter(text: str) -> str:
    # The interpreter's own folders may sit inside the checkout (a .venv): they are public.
    for prefix in sorted({sys.prefix, sys.base_prefix, sys.exec_prefix}, key=len, reverse=True):
        text = text.replace(prefix, "<python>")
        text = text.replace(os.path.realpath(prefix), "<python>")
    return text


@linux
@pytest.mark.parametrize("disable", [(), ("filesystem",)], ids=["all-layers", "no-landlock"])
def test_no_grader_or_assignment_path_reaches_student_code(disable: tuple[str, ...]) -> None:
    # Without Landlock, /proc/self/{cmdline,environ,maps} are readable too: the property must
    # hold in every installation, not only where the file layer hides them. (Files on disk,
    # such as an editable install's finder, are then readable like the hidden tests; the
    # report says so: file-system isolation is missing.)
    assignment = load_assignment("planar_data_classification")
    private = [assignment.root] + ([assignment.solution] if assignment.solution else [])
    with Zygote(assignment.helpers, disable=disable, private=private) as zygote:
        sub = SandboxSubmission(zygote, program(_LOOK_AROUND), Limits(call_timeout_s=60))
        sub.start()
        try:
            seen = sub.call("look_around", (not disable,), {})
        finally:
            sub.close()
    assert isinstance(seen, str) and "where am I" in seen and "planar_utils" in seen
    seen = _scrub_interpreter(seen)
    leaks = [secret for secret in _secrets(assignment.root, assignment.solution) if secret in seen]
    assert leaks == []
