"""Run student code in sandboxed child processes; values cross as data only."""

from grader.sandbox.host import ChildFailure, ChildProcess, Zygote
from grader.sandbox.limits import Limits

__all__ = ["ChildFailure", "ChildProcess", "Limits", "Zygote"]
