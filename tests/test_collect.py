"""Collecting a folder a stranger uploaded: no link followed, nothing dropped silently, safe ids."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hostile_files import fifo_released_after

from grader.batch import collect_plan, plan_submissions
from grader.cache import file_sha256
from grader.errors import InvalidSubmission
from grader.ids import unique_ids
from grader.notebook import DEFAULT_MAX_BYTES, read_submission
from grader.runner import _sha256_or_empty

NOTEBOOK = '{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": []}'


def write(path: Path, text: str = NOTEBOOK) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    """A class folder next to a solution the grader can read."""
    solution = write(tmp_path / "instructor" / "solution.ipynb")
    subs = tmp_path / "subs"
    write(subs / "alice.ipynb")
    (subs / "mallory.ipynb").symlink_to(solution)
    (subs / "broken.ipynb").symlink_to(tmp_path / "nowhere.ipynb")
    (subs / "elsewhere").symlink_to(solution.parent, target_is_directory=True)
    return subs


def test_a_link_to_the_solution_is_planned_but_never_read(hostile: Path) -> None:
    plan = dict(plan_submissions([hostile]))
    assert plan["mallory"] == hostile / "mallory.ipynb"
    with pytest.raises(InvalidSubmission, match=r"'mallory\.ipynb' is a symbolic link, which is"):
        read_submission(str(plan["mallory"]))
    assert _sha256_or_empty(plan["mallory"]) == ""  # not the solution's digest


def test_a_link_cannot_fetch_a_cached_result_for_its_target(hostile: Path) -> None:
    # The cache is keyed by the submission's bytes: a link must not be keyed by its target's.
    with pytest.raises(OSError, match="symbolic link"):
        file_sha256(hostile / "mallory.ipynb")


def test_broken_links_are_listed_not_dropped(hostile: Path) -> None:
    plan = dict(plan_submissions([hostile]))
    assert sorted(plan) == ["alice", "broken", "mallory"]
    with pytest.raises(InvalidSubmission, match=r"'broken\.ipynb' is a symbolic link"):
        read_submission(str(plan["broken"]))


def test_a_linked_folder_is_not_walked_and_is_listed(hostile: Path) -> None:
    plan = collect_plan([hostile])
    assert all("solution" not in str(path) for _, path in plan.entries)
    assert plan.skipped == (f"{hostile / 'elsewhere'}: a symbolic link, not followed; skipped",)


def test_fifos_sockets_are_planned_or_listed_and_never_block(tmp_path: Path) -> None:
    write(tmp_path / "alice.ipynb")
    with fifo_released_after(tmp_path / "pipe.ipynb", 2.0):
        os.mkfifo(tmp_path / "data")
        with socket.socket(socket.AF_UNIX) as sock:
            sock.bind(str(tmp_path / "sock.ipynb"))
            plan = collect_plan([tmp_path])
            ids = dict(plan.entries)
            assert sorted(ids) == ["alice", "pipe", "sock"]
            assert plan.skipped == (f"{tmp_path / 'data'}: a named pipe (FIFO), not a regular "
                                    "file; skipped",)
            with pytest.raises(InvalidSubmission, match=r"is a named pipe \(FIFO\), not a reg"):
                read_submission(str(ids["pipe"]))
            with pytest.raises(InvalidSubmission, match=r"'sock\.ipynb' is a socket"):
                read_submission(str(ids["sock"]))
            assert _sha256_or_empty(ids["pipe"]) == ""
            with pytest.raises(OSError, match="not a regular file"):
                file_sha256(ids["pipe"])


def _plan_as_unprivileged(folder: Path) -> tuple[list[str], list[str]]:
    """collect_plan("."), run from ``folder`` by an unprivileged uid when this is root."""
    if os.geteuid() != 0:
        os.chdir(folder)
        plan = collect_plan(["."])
        return [sid for sid, _ in plan.entries], list(plan.skipped)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: no imports needed after the fork
        try:
            os.close(read_end)
            os.chdir(folder)  # the uid below could not reach it through pytest's 0700 parent
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            plan = collect_plan(["."])
            doc = json.dumps([[sid for sid, _ in plan.entries], list(plan.skipped)])
            os.write(write_end, doc.encode())
        except BaseException as exc:
            os.write(write_end, json.dumps(["error", repr(exc)]).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        data = pipe.read()
    os.waitpid(pid, 0)
    ids, skipped = json.loads(data)
    return ids, skipped


def test_an_unreadable_folder_is_listed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # restored after the test when not root
    tmp_path.chmod(0o755)  # pytest makes it 0700
    write(tmp_path / "alice.ipynb")
    write(tmp_path / "bob" / "hw.ipynb")
    (tmp_path / "bob").chmod(0)
    try:
        ids, skipped = _plan_as_unprivileged(tmp_path)
    finally:
        (tmp_path / "bob").chmod(0o755)
    assert ids == ["alice"]
    assert skipped == ["bob: the folder cannot be read (Permission denied); skipped"]


def test_a_link_named_on_the_command_line_is_not_followed_either(hostile: Path) -> None:
    # `grader grade A subs/*`: the shell names every entry of the upload, links included.
    plan = plan_submissions([hostile / "mallory.ipynb", hostile / "alice.ipynb"])
    assert plan == [("mallory", hostile / "mallory.ipynb"), ("alice", hostile / "alice.ipynb")]
    with pytest.raises(InvalidSubmission, match="is a symbolic link"):
        read_submission(str(plan[0][1]))


def test_a_linked_folder_named_on_the_command_line_is_walked(tmp_path: Path) -> None:
    write(tmp_path / "real" / "alice.ipynb")
    (tmp_path / "real" / "sub").mkdir()
    (tmp_path / "real" / "sub" / "link.ipynb").symlink_to(tmp_path / "real" / "alice.ipynb")
    (tmp_path / "subs").symlink_to(tmp_path / "real", target_is_directory=True)
    plan = collect_plan([tmp_path / "subs"])
    assert [(sid, p.relative_to(tmp_path)) for sid, p in plan.entries] == [
        ("alice", Path("subs/alice.ipynb")),
        ("sub", Path("subs/sub/link.ipynb")),
    ]
    with pytest.raises(InvalidSubmission, match=r"'link\.ipynb' is a symbolic link"):
        read_submission(str(plan.entries[1][1]))


def test_generated_ids_never_take_a_real_student_s_id(tmp_path: Path) -> None:
    write(tmp_path / "alice.ipynb")
    write(tmp_path / "alice" / "hw.ipynb")
    write(tmp_path / "alice-2.ipynb")
    write(tmp_path / "alice-3" / "hw.ipynb")
    plan = plan_submissions([tmp_path])
    by_path = {str(path.relative_to(tmp_path)): sid for sid, path in plan}
    assert by_path == {  # in path order, "alice/hw.ipynb" comes first
        "alice/hw.ipynb": "alice",
        "alice-2.ipynb": "alice-2",
        "alice-3/hw.ipynb": "alice-3",
        "alice.ipynb": "alice-4",
    }


def test_ids_do_not_depend_on_the_order_the_os_lists_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("alice.ipynb", "alice/hw.ipynb", "alice-2.ipynb", "bob/x.py", "bob/y.py"):
        write(tmp_path / name)
    first = plan_submissions([tmp_path])
    real_scandir = os.scandir

    @contextlib.contextmanager
    def reversed_scandir(path: str | os.PathLike[str]) -> Iterator[list[os.DirEntry[str]]]:
        with real_scandir(path) as listing:
            yield list(reversed(list(listing)))

    monkeypatch.setattr(os, "scandir", reversed_scandir)
    again = plan_submissions([tmp_path])
    assert again == first
    assert len({sid for sid, _ in first}) == len(first) == 5


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("a\x1b[31mred.ipynb", "a_[31mred"),
        ("tab\there.ipynb", "tab_here"),
        ("rtl\u202eoverride.ipynb", "rtl_override"),
        ("...ipynb", "submission"),
        ("..ipynb", "submission"),
        ("back\\slash.ipynb", "back_slash"),
        ("x" * 240 + ".ipynb", "x" * 100),
        ("caf\udce9.ipynb", "caf_"),  # an undecodable byte in the file name
    ],
)
def test_ids_are_safe_whatever_the_file_is_called(
    tmp_path: Path, name: str, expected: str
) -> None:
    path = tmp_path / name
    try:
        write(path)
    except (OSError, UnicodeEncodeError):
        pytest.skip("the file system refuses this name")
    [(sid, found)] = plan_submissions([path])
    assert sid == expected
    assert found == path


def test_a_student_folder_with_a_control_character_gets_a_safe_id(tmp_path: Path) -> None:
    write(tmp_path / "eve\n\x07" / "hw.ipynb")
    write(tmp_path / "eve__" / "hw.ipynb")
    assert [sid for sid, _ in plan_submissions([tmp_path])] == ["eve__", "eve__-2"]



def test_many_names_that_make_the_same_id_are_numbered_in_linear_time() -> None:
    # 255-character names that differ after the 100th character all make one id; numbering
    # them must not rescan every suffix already given (quadratic: a minute for 20,000).
    bases = ["x" * 100] * 20_000 + ["x" * 100 + "-3"]
    start = time.perf_counter()
    ids = unique_ids(bases)
    elapsed = time.perf_counter() - start
    assert len(set(ids)) == len(ids) == len(bases)
    assert ids[:3] == ["x" * 100, "x" * 100 + "-2", "x" * 100 + "-4"]  # -3 is a real id
    assert ids[-1] == "x" * 100 + "-3"
    assert elapsed < 10.0  # a ceiling against a quadratic blow-up; about 0.02 s here


def test_a_file_over_the_cap_is_never_hashed(tmp_path: Path) -> None:
    # Sparse: a terabyte costs no disk, but hashing it would take hours.
    path = tmp_path / "huge.ipynb"
    with open(path, "wb") as handle:
        handle.truncate(DEFAULT_MAX_BYTES + 1)
    with pytest.raises(OSError, match="larger than a submission may be"):
        file_sha256(path)
    assert _sha256_or_empty(path) == ""
    with pytest.raises(InvalidSubmission, match="the file is too large"):
        read_submission(str(path))
