"""The resume cache: keys, atomic entries, corrupt entries, and re-runs that grade only news."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from grader.assignment import load_assignment
from grader.batch import BatchSettings, plan_submissions, run_batch
from grader.cache import ResultCache, assignment_fingerprint, cache_key, file_sha256, relabel
from grader.codehash import code_fingerprint, grader_code_fingerprint
from grader.results import CheckResult, SubmissionResult

DATA = Path(__file__).parent / "data"
TINY = DATA / "assignments" / "tiny"
CORRECT = (DATA / "submissions" / "tiny" / "correct.py").read_text()
WRONG = "def add(a, b):\n    return a - b\n\ndef scale(v):\n    return v * 7\n"


def result(sha: str = "a" * 64, score: float = 3.0) -> SubmissionResult:
    test = CheckResult("add.values", "add", score, 3.0, "passed", "", "hidden", 0.01)
    return SubmissionResult(
        "alice", "subs/alice.py", sha, "graded", None, score, 3.0, 0.2, ("a warning",), (test,)
    )


def entry_path(cache: ResultCache, key: str) -> Path:
    return cache.directory / key[:2] / f"{key}.json"


def test_put_get_round_trip_and_relabel(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path / "c")
    key = cache_key("a" * 64, "f" * 64, "0.1.0", "all", "c" * 64)
    assert cache.get(key, "a" * 64) is None
    cache.put(key, result())
    assert cache.get(key, "a" * 64) == result()
    assert [p.name for p in (tmp_path / "c").rglob("*")] == [key[:2], f"{key}.json"]  # no temp
    moved = relabel(result(), "bob", Path("other/bob.py"))
    assert (moved.id, moved.path, moved.score) == ("bob", "other/bob.py", 3.0)


def test_key_depends_on_every_input() -> None:
    base = ("a" * 64, "f" * 64, "0.1.0", "all", "c" * 64)
    keys = {cache_key(*base)}
    for i, other in enumerate(("b" * 64, "e" * 64, "0.2.0", "visible", "d" * 64)):
        changed = list(base)
        changed[i] = other
        keys.add(cache_key(*changed))
    assert len(keys) == 6


@pytest.mark.parametrize(
    "damage",
    [
        lambda text: text[: len(text) // 2],  # truncated
        lambda text: "not json at all",
        lambda text: "[]",
        lambda text: text.replace('"outcome": "passed"', '"outcome": "bribed"'),
        lambda text: text.replace('"score": 3.0', '"score": "lots"', 1),
        lambda text: json.dumps({**json.loads(text), "key": "0" * 64}),  # another key's entry
    ],
)
def test_corrupt_entries_are_ignored_and_removed(tmp_path: Path, damage: object) -> None:
    cache = ResultCache(tmp_path)
    key = cache_key("a" * 64, "f" * 64, "0.1.0", "all", "c" * 64)
    cache.put(key, result())
    path = entry_path(cache, key)
    path.write_text(damage(path.read_text()))  # type: ignore[operator]
    assert cache.get(key, "a" * 64) is None
    assert not path.exists()


def test_entry_for_other_bytes_is_not_trusted(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path)
    key = cache_key("a" * 64, "f" * 64, "0.1.0", "all", "c" * 64)
    cache.put(key, result(sha="b" * 64))
    assert cache.get(key, "a" * 64) is None


def test_fingerprint_covers_every_assignment_file_but_not_bytecode(tmp_path: Path) -> None:
    root = tmp_path / "tiny"
    shutil.copytree(TINY, root, ignore=shutil.ignore_patterns("__pycache__"))
    before = assignment_fingerprint(load_assignment(root))
    (root / "tests" / "__pycache__").mkdir()
    (root / "tests" / "__pycache__" / "x.pyc").write_bytes(b"junk")
    assert assignment_fingerprint(load_assignment(root)) == before
    with (root / "tests" / "hidden.py").open("a") as handle:
        handle.write("\n# a changed hidden test\n")
    assert assignment_fingerprint(load_assignment(root)) != before
    (root / "notes.txt").write_text("new file")
    assert len({before, assignment_fingerprint(load_assignment(root))}) == 2


# ------------------------------------------------------------------ resuming a batch


def grade(root: Path, subs: Path, cache: ResultCache, **kw: object) -> tuple[int, list[str]]:
    """Returns (how many were graded now, the ids in the order received)."""
    ids: list[str] = []
    outcome = run_batch(
        load_assignment(root),
        plan_submissions([subs]),
        lambda r, cached: ids.append(r.id),
        settings=BatchSettings(jobs=1, cache=cache, **kw),  # type: ignore[arg-type]
    )
    return outcome.graded, ids


def test_rerun_grades_only_new_or_changed_files(tmp_path: Path) -> None:
    subs = tmp_path / "subs"
    subs.mkdir()
    for name in ("a", "b", "c"):
        (subs / f"{name}.py").write_text(CORRECT + f"# {name}\n")
    cache = ResultCache(tmp_path / "cache")
    assert grade(TINY, subs, cache) == (3, ["a", "b", "c"])
    assert grade(TINY, subs, cache) == (0, ["a", "b", "c"])
    (subs / "b.py").write_text(WRONG)
    (subs / "d.py").write_text(WRONG + "# d\n")
    assert grade(TINY, subs, cache) == (2, ["a", "b", "c", "d"])
    (subs / "e.py").write_text(WRONG)  # the same bytes as b: content-addressed, not regraded
    assert grade(TINY, subs, cache) == (0, ["a", "b", "c", "d", "e"])
    assert grade(TINY, subs, cache, force=True)[0] == 5
    assert grade(TINY, subs, cache, visibility="visible")[0] == 4  # b and e: same bytes


def test_cached_result_is_relabelled_with_the_current_id_and_path(tmp_path: Path) -> None:
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "alice.py").write_text(CORRECT)
    cache = ResultCache(tmp_path / "cache")
    grade(TINY, subs, cache)
    (subs / "alice.py").rename(subs / "bob.py")
    results: list[SubmissionResult] = []
    run_batch(
        load_assignment(TINY),
        plan_submissions([subs]),
        lambda r, cached: results.append(r),
        settings=BatchSettings(jobs=1, cache=cache),
    )
    assert [(r.id, r.path, r.score) for r in results] == [("bob", str(subs / "bob.py"), 6.0)]


def test_corrupt_entry_is_regraded_during_a_run(tmp_path: Path) -> None:
    subs = tmp_path / "subs"
    subs.mkdir()
    for name in ("a", "b"):
        (subs / f"{name}.py").write_text(CORRECT + f"# {name}\n")
    cache = ResultCache(tmp_path / "cache")
    grade(TINY, subs, cache)
    fingerprint = assignment_fingerprint(load_assignment(TINY))
    from grader import __version__

    code = grader_code_fingerprint()
    key = cache_key(file_sha256(subs / "a.py"), fingerprint, __version__, "all", code)
    entry_path(cache, key).write_bytes(b"\x00garbage")
    assert grade(TINY, subs, cache)[0] == 1
    assert grade(TINY, subs, cache)[0] == 0  # and rewritten


def test_changed_assignment_regrades_everything(tmp_path: Path) -> None:
    root = tmp_path / "tiny"
    shutil.copytree(TINY, root, ignore=shutil.ignore_patterns("__pycache__"))
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "a.py").write_text(CORRECT)
    cache = ResultCache(tmp_path / "cache")
    assert grade(root, subs, cache)[0] == 1
    with (root / "tests" / "public.py").open("a") as handle:
        handle.write("\n# tweak\n")
    assert grade(root, subs, cache)[0] == 1


def test_changed_grading_code_regrades_everything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An editable or git install changes the code and keeps __version__: the cache must miss.
    import grader.batch_backends as backends

    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "a.py").write_text(CORRECT)
    cache = ResultCache(tmp_path / "cache")
    assert grade(TINY, subs, cache)[0] == 1
    assert grade(TINY, subs, cache)[0] == 0
    monkeypatch.setattr(backends, "grader_code_fingerprint", lambda: "0" * 64)
    assert grade(TINY, subs, cache)[0] == 1  # same version, other code: regraded
    assert grade(TINY, subs, cache)[0] == 0


def test_code_fingerprint_follows_every_source_file_but_not_bytecode(tmp_path: Path) -> None:
    package = tmp_path / "grader"
    (package / "sandbox").mkdir(parents=True)
    (package / "__init__.py").write_text('__version__ = "0.1.0"\n')
    (package / "sandbox" / "child.py").write_text("LIMIT = 1\n")
    first = code_fingerprint(package)
    assert code_fingerprint(package) == first  # deterministic
    (package / "__pycache__").mkdir()
    (package / "__pycache__" / "child.cpython-311.pyc").write_bytes(b"\x00compiled")
    (package / "notes.txt").write_text("not code")
    assert code_fingerprint(package) == first
    (package / "sandbox" / "child.py").write_text("LIMIT = 2\n")  # same version, new code
    second = code_fingerprint(package)
    assert second != first
    (package / "sandbox" / "child.py").rename(package / "child.py")  # a move is a change too
    assert code_fingerprint(package) not in (first, second)


def test_running_package_fingerprint_is_computed_once() -> None:
    import grader

    expected = code_fingerprint(Path(grader.__file__).parent)
    assert grader_code_fingerprint() == expected
    assert grader_code_fingerprint.cache_info().currsize == 1
