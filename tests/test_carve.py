"""Carving hidden paths out of the read allow-list (pure: no sandbox needed)."""

from __future__ import annotations

import os
from pathlib import Path

from grader.sandbox.carve import carve


def _tree(root: Path) -> None:
    for folder in ("a/x", "a/y/z", "b"):
        (root / folder).mkdir(parents=True)
    (root / "a" / "y" / "secret.py").write_text("HIDDEN = 1\n")
    (root / "a" / "y" / "open.py").write_text("")
    (root / "top.py").write_text("")
    os.symlink(root / "a" / "y", root / "alias")  # a way around the carving, unless followed


def test_a_hidden_file_is_cut_out_and_everything_else_stays_readable(tmp_path: Path) -> None:
    _tree(tmp_path)
    read, listable = carve([str(tmp_path)], [str(tmp_path / "a" / "y" / "secret.py")])
    assert listable == [str(tmp_path), str(tmp_path / "a"), str(tmp_path / "a" / "y")]
    expected = [tmp_path / "a" / "x", tmp_path / "a" / "y" / "open.py", tmp_path / "a" / "y" / "z",
                tmp_path / "b", tmp_path / "top.py"]
    assert sorted(read) == sorted(map(str, expected))


def test_read_paths_that_are_or_lie_inside_a_hidden_path_are_kept(tmp_path: Path) -> None:
    _tree(tmp_path)
    inside, same = str(tmp_path / "a" / "x"), str(tmp_path / "b")
    read, listable = carve([inside, same], [str(tmp_path / "a"), same])
    assert (read, listable) == ([inside, same], [])


def test_nothing_hidden_changes_nothing_and_duplicates_go(tmp_path: Path) -> None:
    _tree(tmp_path)
    assert carve([str(tmp_path), str(tmp_path)], []) == ([str(tmp_path)], [])
