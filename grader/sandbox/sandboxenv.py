"""The environment the zygote (and so every child) starts with: clean, and nothing secret.

Only what numpy and plotting libraries need to behave in a sandbox is set; no variable of the
grader's own environment passes except the few BLAS settings some processors need.
"""

from __future__ import annotations

import os

__all__ = ["clean_env"]

# Parallelism belongs to the batch, not to numpy; a BLAS thread pool alive at fork time can
# deadlock the child.
_THREAD_VARS = (
    "OPENBLAS_NUM_THREADS",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
)
_PASSED_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "LD_LIBRARY_PATH")


def clean_env(workdir: str) -> dict[str, str]:
    """The zygote's environment; ``workdir`` is its HOME (a throwaway folder)."""
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": workdir}
    env.update({var: "1" for var in _THREAD_VARS})
    env.update({k: os.environ[k] for k in _PASSED_VARS if k in os.environ})
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    # No display in a sandbox: plotting libraries must pick a file-only backend at import.
    env["MPLBACKEND"] = "Agg"
    cache = _matplotlib_cache()
    if cache is not None:
        # matplotlib builds a font cache on first import (~300 ms). HOME is the zygote's
        # throwaway folder, so without this every zygote would build it again. The zygote
        # imports matplotlib before any child exists; children never write there.
        env["MPLCONFIGDIR"] = cache
    return env


def _matplotlib_cache() -> str | None:
    """A per-user folder for matplotlib's caches (``$XDG_CACHE_HOME/grader/matplotlib``)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    path = os.path.join(base, "grader", "matplotlib")
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
    except OSError:
        return None
    return path if os.access(path, os.W_OK) else None
