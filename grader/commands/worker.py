"""``grader worker``: a grading worker for a course server's database (more machines)."""

from __future__ import annotations

import argparse

NAME = "worker"
HELP = "grade a course server's queued submissions (run more on other machines)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """COURSE, --db, --lease, --strict (and --parent, for ``grader serve``)."""
    parser.add_argument(
        "course",
        nargs="?",
        metavar="COURSE",
        help="the course folder (as `grader serve` was given; default: the demo course)",
    )
    parser.add_argument("--db", metavar="URL", help="the server's database URL")
    parser.add_argument("--lease", type=float, default=60.0, metavar="SECONDS")
    parser.add_argument("--strict", action="store_true")
    parser.add_argument("--parent", type=int, default=None, help=argparse.SUPPRESS)


def run(args: argparse.Namespace) -> int:
    """Grade until SIGTERM or Ctrl-C."""
    from grader.server.serve import open_course
    from grader.server.worker_main import run_worker

    course, url = open_course(args.course, args.db)
    return run_worker(course, url, lease_s=args.lease, strict=args.strict, parent=args.parent)
