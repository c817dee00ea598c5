"""When the commands colour their output: on a terminal, unless NO_COLOR is set."""

from __future__ import annotations

import os
from typing import TextIO

__all__ = ["use_color"]


def use_color(choice: str, stream: TextIO) -> bool:
    """``always``/``never`` as asked; ``auto``: a terminal and no (non-empty) ``NO_COLOR``."""
    if choice != "auto":
        return choice == "always"
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())
