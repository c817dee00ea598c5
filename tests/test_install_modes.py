"""The ``isolation`` report is true however the grader is installed, and --strict follows it.

Each mode grades a notebook that measures its own confinement (see ``install_modes.py``):
every layer reported active must have stopped what it is there to stop. Modes: this checkout
(editable install), a wheel installed in a fresh virtual environment outside the checkout (as
the Gradescope export's setup.sh installs it), and that wheel run by an unprivileged user.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from install_modes import copy_course, grade, listener, probe_notebook, secrets_of, untrue_claims

from grader.export import build_wheel
from grader.sandbox.isolation import LAYERS

REPO = Path(__file__).resolve().parents[1]
linux = pytest.mark.skipif(sys.platform != "linux", reason="the sandbox's layers need Linux")
root_only = pytest.mark.skipif(
    sys.platform != "linux" or os.geteuid() != 0, reason="the full set needs Linux and root"
)
_USER = "grader-probe"


def _assert_truthful(python: str, assignment: Path, work: Path, *, expect_all: bool,
                     **run: object) -> dict[str, bool]:
    with listener() as port:
        notebook = probe_notebook(work / "probe.ipynb", secrets_of(assignment), port)
        code, doc, err = grade(python, assignment, notebook, work / "out.json", strict=False,
                               cwd=work, **run)
        assert code == 0 and doc is not None, err
        assert untrue_claims(doc) == {}
        isolation: dict[str, bool] = doc["isolation"]
        (work / "out.json").unlink()
        code, doc, err = grade(python, assignment, notebook, work / "out.json", strict=True,
                               cwd=work, **run)
    if all(isolation.values()):
        assert code == 0 and doc is not None, err  # --strict grades where every layer holds
        assert untrue_claims(doc) == {}
    else:
        assert code != 0 and "strict mode" in err
    if expect_all:
        assert isolation == dict.fromkeys(LAYERS, True)
    return isolation


@linux
def test_editable_install_reports_what_holds(tmp_path: Path) -> None:
    assignment = REPO / "assignments" / "planar_data_classification"
    _assert_truthful(sys.executable, assignment, tmp_path, expect_all=os.geteuid() == 0)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_wheel(tmp_path_factory.mktemp("wheel"))


def _venv_with_wheel(base_python: str, wheel: Path, dest: Path) -> str:
    """A fresh venv at ``dest`` with the grader wheel installed; dependencies come from this
    environment's site-packages (a .pth line) so nothing is downloaded."""
    subprocess.run([base_python, "-m", "venv", "--without-pip", str(dest)], check=True)
    python = str(dest / "bin" / "python")
    subprocess.run([sys.executable, "-m", "pip", "--python", python, "install", "-q",
                    "--no-deps", "--no-index", str(wheel)], check=True)
    purelib = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()"
                              "['purelib'])"], capture_output=True, text=True, check=True)
    ours = sysconfig.get_paths()["purelib"]
    Path(purelib.stdout.strip(), "deps.pth").write_text(ours + "\n", encoding="utf-8")
    return python


@linux
@pytest.mark.slow
def test_wheel_install_outside_the_checkout_reports_what_holds(wheel: Path,
                                                              tmp_path: Path) -> None:
    # About 20 s: the wheel build dominates. Before the fix the package's site-packages was
    # taken for the grader's secret root: file-system isolation was reported missing (and
    # --strict refused) wherever the grader was installed from a wheel.
    python = _venv_with_wheel(sys._base_executable, wheel, tmp_path / "venv")  # type: ignore[attr-defined]
    where = subprocess.run([python, "-c", "import grader; print(grader.__file__)"],
                           capture_output=True, text=True, check=True, cwd=tmp_path).stdout
    assert where.startswith(str(tmp_path / "venv")), where
    assignment = copy_course(REPO, tmp_path / "course")
    _assert_truthful(python, assignment, tmp_path, expect_all=os.geteuid() == 0)


@pytest.fixture
def unprivileged() -> Iterator[pwd.struct_passwd]:
    if shutil.which("useradd") is None:
        pytest.skip("no useradd")
    try:
        user = pwd.getpwnam(_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
                        _USER], check=True)
        user = pwd.getpwnam(_USER)
    yield user


@root_only
@pytest.mark.slow
def test_unprivileged_user_reports_what_holds(wheel: Path,
                                              unprivileged: pwd.struct_passwd) -> None:
    # The dependencies are this environment's compiled packages: the user's interpreter must
    # be the same minor version, and readable by it (this one may live under /root).
    base = "/usr/bin/python3"
    version = subprocess.run([base, "-c", "import sys; print(sys.version_info[:2])"],
                             capture_output=True, text=True, check=False).stdout.strip()
    if version != str(sys.version_info[:2]):
        pytest.skip(f"{base} is not Python {sys.version_info[:2]}")
    work = Path(tempfile.mkdtemp(prefix="grader-user-"))
    try:
        python = _venv_with_wheel(base, wheel, work / "venv")
        assignment = copy_course(REPO, work / "course")
        uid, gid = unprivileged.pw_uid, unprivileged.pw_gid
        for path in [work, *work.rglob("*")]:
            os.chown(path, uid, gid, follow_symlinks=False)
        probe = subprocess.run([python, "-c", "import numpy, grader"], user=uid, group=gid,
                               extra_groups=[], capture_output=True, text=True, cwd=work,
                               check=False)
        if probe.returncode != 0:
            pytest.skip(f"the user cannot import the dependencies: {probe.stderr[-300:]}")
        isolation = _assert_truthful(python, assignment, work, expect_all=False, user=uid,
                                     group=gid, extra_groups=[])
        print("unprivileged user:", {k: v for k, v in isolation.items()})
    finally:
        shutil.rmtree(work, ignore_errors=True)
