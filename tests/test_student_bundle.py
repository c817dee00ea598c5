"""``grader export student``: what the bundle holds (and never holds), and a student's walk-through.

The fast tests export with a stand-in grader wheel and look inside every archive, recursively;
they also put the bundle's assignment wheel, unpacked, on ``sys.path`` (which is what pip does
with it) and run ``grader check`` through the ``grader.assignments`` entry point. The slow one
builds the real wheel, installs the bundle into a fresh virtual environment with the one command
its README gives, and checks notebooks from a folder outside the checkout without a network.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import venv
import zipfile
from pathlib import Path

import pytest

from grader import assignment as assignment_module
from grader import installed
from grader._toml import tomllib
from grader.assignment import load_assignment
from grader.cli import ExitCode, main
from grader.errors import UsageError
from grader.export import build_wheel
from grader.installed import entry_point_assignment, find_installed
from grader.local_check import check_notebook
from grader.student_bundle import export_student, package_name

ROOT = Path(__file__).resolve().parents[1]
PLANAR = "planar_data_classification"
IDS = (PLANAR, "deep_initialization")
PUBLIC_FILES = {
    PLANAR: {"planar_utils.py", "tests/public.py", f"{PLANAR}.ipynb"},
    "deep_initialization": {"init_utils.py", "tests/public.py", "deep_initialization.ipynb"},
}
STUDENT_KEYS = {
    "id", "title", "release", "helpers", "public_tests", "functions", "limits", "compat"
}


def fake_grader_wheel(folder: Path) -> Path:
    """Stands for the grader wheel where the test does not install it (a valid zip)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "grader-0.1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(zipfile.ZipInfo("grader/__init__.py", (2020, 1, 1, 0, 0, 0)), "# x\n")
    return path


def every_file(data: bytes, prefix: str = "") -> dict[str, bytes]:
    """Every file in a zip, and in every zip (wheel) inside it, by ``outer!inner`` name."""
    found: dict[str, bytes] = {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            content = archive.read(name)
            found[prefix + name] = content
            if name.endswith((".whl", ".zip")):
                found.update(every_file(content, f"{prefix}{name}!"))
    return found


def secret_lines(assignment_id: str) -> set[str]:
    """Lines of the hidden tests, the solution and the mutants that no public file has."""
    assignment = load_assignment(assignment_id)
    secret_text = (assignment.root / "tests" / "hidden.py").read_text(encoding="utf-8")
    assert assignment.solution is not None and assignment.mutants is not None
    solution = json.loads(assignment.solution.read_text(encoding="utf-8"))
    secret_text += "\n".join("".join(c["source"]) for c in solution["cells"])
    secret_text += assignment.mutants.read_text(encoding="utf-8")
    public_text = "\n".join(
        (assignment.root / rel).read_text(encoding="utf-8") for rel in PUBLIC_FILES[assignment_id]
    )
    release = json.loads((assignment.root / f"{assignment_id}.ipynb").read_text(encoding="utf-8"))
    public_text += "\n".join("".join(c["source"]) for c in release["cells"])
    return {
        s
        for line in secret_text.splitlines()
        if len(s := line.strip()) >= 25 and s not in public_text
    }


@pytest.fixture(scope="module")
def bundles(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("student")
    wheel = fake_grader_wheel(folder / "wheel")
    out: dict[str, Path] = {}
    for assignment_id in IDS:
        out[assignment_id] = folder / f"{assignment_id}-student.zip"
        argv = ["export", "student", assignment_id, "-o", str(out[assignment_id])]
        assert main([*argv, "--wheel", str(wheel)]) == ExitCode.OK
    return out


def assignment_wheel_files(bundle: Path, assignment_id: str) -> dict[str, bytes]:
    files = every_file(bundle.read_bytes())
    prefix = f"wheels/{package_name(assignment_id)}-"
    (wheel,) = [n for n in files if n.startswith(prefix) and "!" not in n]
    return {k.split("!", 1)[1]: v for k, v in files.items() if k.startswith(wheel + "!")}


@pytest.mark.parametrize("assignment_id", IDS)
def test_the_bundle_holds_no_hidden_test_solution_or_mutant(
    bundles: dict[str, Path], assignment_id: str
) -> None:
    files = every_file(bundles[assignment_id].read_bytes())
    for name in files:
        assert not re.search(r"hidden|solution|mutant|reference", name, re.IGNORECASE), name
    secrets = secret_lines(assignment_id)
    assert len(secrets) > 30  # the comparison below has something to find
    for name, content in files.items():
        text = content.decode("utf-8", errors="replace")
        leaked = [s for s in secrets if s in text]
        assert not leaked, (name, leaked[:3])
    package = package_name(assignment_id)
    packaged = {
        k.split("/", 1)[1]
        for k in assignment_wheel_files(bundles[assignment_id], assignment_id)
        if k.startswith(package + "/")
    }
    assert packaged == PUBLIC_FILES[assignment_id] | {"__init__.py", "assignment.toml"}


@pytest.mark.parametrize("assignment_id", IDS)
def test_the_bundle_has_the_release_the_wheels_and_a_readme(
    bundles: dict[str, Path], assignment_id: str
) -> None:
    with zipfile.ZipFile(bundles[assignment_id]) as archive:
        names = archive.namelist()
        readme = archive.read("README.md").decode()
        release = archive.read(f"{assignment_id}.ipynb")
    assert names[:3] == [
        "README.md",
        f"{assignment_id}.ipynb",
        "wheels/grader-0.1.0-py3-none-any.whl",
    ]
    (ours,) = names[3:]
    assert re.fullmatch(
        rf"wheels/{package_name(assignment_id)}-0\.1\.0\+a[0-9a-f]{{12}}-py3-none-any\.whl", ours
    )
    assert release == (ROOT / "assignments" / assignment_id / f"{assignment_id}.ipynb").read_bytes()
    command = f"python -m pip install wheels/grader-0.1.0-py3-none-any.whl {ours}"
    assert command in readme
    assert f"grader check {assignment_id}.ipynb" in readme


def test_the_student_assignment_toml_names_only_public_files(bundles: dict[str, Path]) -> None:
    files = assignment_wheel_files(bundles[PLANAR], PLANAR)
    data = tomllib.loads(files[f"{package_name(PLANAR)}/assignment.toml"].decode())
    assert set(data) <= STUDENT_KEYS
    assert data["public_tests"] == ["tests/public.py"]
    assert data["helpers"] == ["planar_utils.py"]
    instructor = tomllib.loads((ROOT / "assignments" / PLANAR / "assignment.toml").read_text())
    assert data["functions"] == instructor["functions"]
    assert data["limits"] == instructor["limits"]


def test_the_assignment_wheel_is_a_valid_wheel_that_registers_the_id(
    bundles: dict[str, Path],
) -> None:
    files = assignment_wheel_files(bundles[PLANAR], PLANAR)
    (dist_info,) = {n.split("/")[0] for n in files if ".dist-info/" in n}
    metadata = files[f"{dist_info}/METADATA"].decode()
    assert "Requires-Dist: grader==0.1.0\n" in metadata
    assert f"Name: {package_name(PLANAR).replace('_', '-')}\n" in metadata
    entry_points = files[f"{dist_info}/entry_points.txt"].decode()
    assert entry_points == f"[grader.assignments]\n{PLANAR} = {package_name(PLANAR)}\n"
    record = files[f"{dist_info}/RECORD"].decode().splitlines()
    assert {line.split(",")[0] for line in record} == set(files)
    for line in record:
        path, digest, size = line.split(",")
        if path.endswith("RECORD"):
            continue
        expected = base64.urlsafe_b64encode(hashlib.sha256(files[path]).digest()).rstrip(b"=")
        assert digest == "sha256=" + expected.decode() and int(size) == len(files[path])


def test_the_same_assignment_gives_the_same_bundle(
    bundles: dict[str, Path], tmp_path: Path
) -> None:
    wheel = fake_grader_wheel(tmp_path / "wheel")
    again = export_student(load_assignment(PLANAR), tmp_path / "again.zip", wheel=wheel)
    assert again.output.read_bytes() == bundles[PLANAR].read_bytes()


@pytest.fixture
def installed_bundle(
    bundles: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """The bundle's assignment wheel unpacked onto ``sys.path``, as pip would install it."""
    site = tmp_path / "site-packages"
    files = assignment_wheel_files(bundles[PLANAR], PLANAR)
    for name, content in files.items():
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_bytes(content)
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.delenv("GRADER_ASSIGNMENTS", raising=False)
    # Installed from a wheel, the grader has no bundled assignments folder.
    for module in (installed, assignment_module):
        monkeypatch.setattr(module, "bundled_assignments", lambda: tmp_path / "no-bundled")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return site / package_name(PLANAR)


def test_check_finds_the_installed_bundle_from_the_notebook_metadata(
    installed_bundle: Path, tmp_path: Path
) -> None:
    assert entry_point_assignment(PLANAR) == installed_bundle.resolve()
    assert find_installed(PLANAR, owner="x.ipynb").root == installed_bundle.resolve()
    release = Path(shutil.copy2(ROOT / "assignments" / PLANAR / f"{PLANAR}.ipynb", "mine.ipynb"))
    check = check_notebook(release)
    assert check.assignment.root == installed_bundle.resolve()
    assert check.assignment.solution is None and check.assignment.mutants is None
    assert not check.passed and check.result.tests
    assert {t.visibility for t in check.result.tests} == {"visible"}
    solution = Path(shutil.copy2(ROOT / "solutions" / f"{PLANAR}.ipynb", "done.ipynb"))
    assert check_notebook(solution).passed
    assert check_notebook(solution, PLANAR).assignment.root == installed_bundle.resolve()
    assert check_notebook(solution, str(installed_bundle)).passed


def test_in_a_checkout_its_own_copy_wins_over_an_installed_bundle(
    installed_bundle: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.undo()  # the bundle stays unpacked; put back sys.path and the bundled folder
    monkeypatch.syspath_prepend(str(installed_bundle.parent))
    bundled = ROOT / "assignments" / PLANAR
    assert entry_point_assignment(PLANAR) == installed_bundle.resolve()
    assert find_installed(PLANAR, owner="x.ipynb").root == bundled


def test_a_dist_info_in_the_current_folder_registers_nothing(
    installed_bundle: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `python -m grader` puts the current folder on sys.path; a folder of downloaded
    # notebooks must not be able to name which tests the grader imports.
    shutil.rmtree(installed_bundle.parent)
    planted = Path.cwd()
    (planted / "evil.dist-info").mkdir()
    (planted / "evil.dist-info" / "METADATA").write_text("Name: evil\nVersion: 1\n")
    (planted / "evil.dist-info" / "entry_points.txt").write_text(
        f"[grader.assignments]\n{PLANAR} = evil\n"
    )
    shutil.copytree(ROOT / "assignments" / PLANAR, planted / "evil")
    monkeypatch.syspath_prepend(str(planted))
    assert entry_point_assignment(PLANAR) is None


def test_two_packages_with_the_same_id_are_refused(
    installed_bundle: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = tmp_path / "other-site"
    shutil.copytree(installed_bundle.parent, other)
    (other / "other_copy").mkdir()
    shutil.copy2(installed_bundle / "assignment.toml", other / "other_copy" / "assignment.toml")
    for dist_info in other.glob("*.dist-info"):
        dist_info.rename(other / "other_copy-1.dist-info")
    (other / "other_copy-1.dist-info" / "entry_points.txt").write_text(
        f"[grader.assignments]\n{PLANAR} = other_copy\n"
    )
    monkeypatch.syspath_prepend(str(other))
    with pytest.raises(UsageError, match="several installed packages"):
        entry_point_assignment(PLANAR)


def copy_assignment(tmp_path: Path, edit: str) -> Path:
    """The planar assignment (and its solution) copied, with assignment.toml edited."""
    root = tmp_path / "course" / "assignments" / PLANAR
    shutil.copytree(ROOT / "assignments" / PLANAR, root)
    shutil.copytree(ROOT / "solutions", tmp_path / "course" / "solutions")
    toml = root / "assignment.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace(*edit.split(" -> ")))
    return root


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            'helpers = ["planar_utils.py"] -> helpers = ["planar_utils.py", "tests/hidden.py"]',
            "tests/hidden.py is named as a public file but is also a hidden test",
        ),
        (
            'helpers = ["planar_utils.py"] -> helpers = ["../../solutions/x.py"]',
            "is outside the assignment folder",
        ),
    ],
)
def test_a_public_file_that_would_leak_is_refused(
    tmp_path: Path, edit: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    root = copy_assignment(tmp_path, edit)
    (tmp_path / "course" / "solutions" / "x.py").write_text("SECRET = 1\n")
    wheel = fake_grader_wheel(tmp_path / "wheel")
    out = tmp_path / "bundle.zip"
    code = main(["export", "student", str(root), "-o", str(out), "--wheel", str(wheel)])
    err = capsys.readouterr().err
    assert code == ExitCode.ASSIGNMENT_ERROR, err
    assert message in err and "Traceback" not in err
    assert not out.exists()


def test_a_wheel_that_is_not_the_graders_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wheel = tmp_path / "numpy-2.0-py3-none-any.whl"
    wheel.write_bytes(b"")
    out = str(tmp_path / "x.zip")
    assert main(["export", "student", PLANAR, "-o", out, "--wheel", str(wheel)]) == ExitCode.USAGE
    assert "is not a grader wheel" in capsys.readouterr().err
    with pytest.raises(UsageError, match="no such wheel"):
        export_student(load_assignment(PLANAR), out, wheel=tmp_path / "none.whl")


@pytest.mark.slow
def test_a_student_installs_the_bundle_and_checks_offline(tmp_path: Path) -> None:
    # About 30 s here: builds the real wheel, creates a venv, and pip installs the bundle with
    # numpy, nbformat, nbconvert and pytest (from the index, or pip's cache).
    wheel = build_wheel(tmp_path / "wheel")
    archive = tmp_path / f"{PLANAR}-student.zip"
    bundle = export_student(load_assignment(PLANAR), archive, wheel=wheel)
    inside_grader = [
        name.split("!", 1)[1]
        for name in every_file(archive.read_bytes())
        if name.startswith(f"wheels/{wheel.name}!")
    ]
    assert inside_grader and all(  # the grader's own code: no assignment, no solution
        n.split("/")[0] in ("grader", "grader-0.1.0.dist-info") for n in inside_grader
    ), inside_grader
    assert bundle.files[3] == f"wheels/{bundle.assignment_wheel}"  # checked by the fast tests
    unpacked = tmp_path / "from-the-course-page"
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(unpacked)
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    bin_dir = env_dir / "bin"
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    for name in ("PYTHONPATH", "GRADER_ASSIGNMENTS"):
        env.pop(name, None)
    readme = (unpacked / "README.md").read_text(encoding="utf-8")
    assert f"    {bundle.install}\n" in readme  # the test runs what the README says
    install = subprocess.run(
        bundle.install.split(),
        cwd=unpacked,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert install.returncode == 0, install.stderr[-3000:]
    work = tmp_path / "my-homework"
    work.mkdir()
    shutil.copy2(unpacked / f"{PLANAR}.ipynb", work / f"{PLANAR}.ipynb")
    shutil.copy2(ROOT / "solutions" / f"{PLANAR}.ipynb", work / "finished.ipynb")
    offline = ["unshare", "--net"] if shutil.which("unshare") and os.geteuid() == 0 else []

    def check(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*offline, str(bin_dir / "grader"), "check", *args],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    where = subprocess.run(
        [str(bin_dir / "python"), "-c", "import grader; print(grader.__file__)"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert where.startswith(str(env_dir)), where  # the bundled wheel, not this checkout
    released = check(f"{PLANAR}.ipynb")
    assert released.returncode == ExitCode.CHECKS_FAILED, released.stderr[-3000:]
    assert "public tests passed" in released.stdout and "✗" in released.stdout
    assert "Traceback" not in released.stderr
    finished = check("finished.ipynb")
    assert finished.returncode == ExitCode.OK, finished.stdout + finished.stderr[-3000:]
    assert "8/8 public tests passed" in finished.stdout
    by_id = check("--assignment", PLANAR, "finished.ipynb")
    assert by_id.returncode == ExitCode.OK, by_id.stderr[-3000:]
