"""A fast, sandboxed autograder for Jupyter-notebook programming exercises."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
