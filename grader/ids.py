"""Submission ids: safe to print and to name files after, unique in a run, stable across runs.

An id comes from a file or student-folder name, which a stranger chooses: control characters,
separators, undecodable bytes, ``.``/``..`` or a 255-byte name must not reach a terminal, a
report or a file name as they are. Duplicates get ``-2``, ``-3``... with a number that no
other submission's own id uses, so a generated id never takes a real student's (``alice-2``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

__all__ = ["MAX_ID_LENGTH", "safe_id", "submission_id_for", "unique_ids"]

MAX_ID_LENGTH = 100
_FALLBACK = "submission"


def safe_id(raw: str) -> str:
    """``raw`` with every unprintable character or path separator replaced by ``_``.

    Never empty, ``.`` or ``..``; at most :data:`MAX_ID_LENGTH` characters.
    """
    text = "".join(ch if ch.isprintable() and ch not in "/\\" else "_" for ch in raw)
    text = text.strip()[:MAX_ID_LENGTH].strip()
    return text if text.strip(".") else _FALLBACK


def submission_id_for(path: Path, root: Path | None) -> str:
    """``alice.ipynb`` -> ``alice``; ``<root>/<student>/<notebook>.ipynb`` -> ``<student>``."""
    if root is not None and path.parent != root and root in path.parents:
        return safe_id(path.relative_to(root).parts[0])
    return safe_id(path.stem)


def unique_ids(bases: Sequence[str]) -> list[str]:
    """Make ``bases`` unique, in order: the first of a kind keeps its id, later ones get
    ``<id>-<n>`` with the smallest ``n >= 2`` that is no submission's own id nor already given.
    """
    own = set(bases)
    given: set[str] = set()
    last: dict[str, int] = {}  # the last suffix tried per base: linear in len(bases)
    out: list[str] = []
    for base in bases:
        name = base
        if name in given:
            n = last.get(base, 1)
            while name in given or name in own:
                n += 1
                name = f"{base}-{n}"
            last[base] = n
        given.add(name)
        out.append(name)
    return out
