"""``grader serve``: the course server (web pages, the JSON API, grading workers)."""

from __future__ import annotations

import argparse
import os

from grader.exitcodes import ExitCode

NAME = "serve"
HELP = "run the course server: students upload, workers grade, everyone reads results"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """COURSE, --db, --host, --port, --workers, --strict."""
    parser.add_argument(
        "course",
        nargs="?",
        metavar="COURSE",
        help="a folder with a course.toml (default: the bundled assignments as a demo course)",
    )
    parser.add_argument(
        "--db",
        metavar="URL",
        help="database URL (default: sqlite in COURSE/grader.db, or ./grader.db for the demo); "
        "postgresql://USER@HOST/DB for a department server",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on (8000)")
    parser.add_argument(
        "--workers",
        type=int,
        default=max(1, os.cpu_count() or 1),
        help="grading worker processes on this machine (default: one per core)",
    )
    parser.add_argument(
        "--strict", action="store_true", help="refuse to grade unless every sandbox layer is on"
    )
    parser.add_argument(
        "--lease",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="a worker's hold on a submission, renewed while it grades (60)",
    )


def run(args: argparse.Namespace) -> int:
    """Start the server; it runs until Ctrl-C or SIGTERM."""
    from grader.errors import UsageError
    from grader.server.serve import ServeOptions, open_course, serve

    if args.workers < 0 or not 0 < args.port < 65536 or args.lease < 1:
        raise UsageError("--workers must be >= 0, --port in 1..65535, --lease >= 1")
    course, url = open_course(args.course, args.db)
    options = ServeOptions(
        course_dir=args.course,
        db_url=url,
        host=args.host,
        port=args.port,
        workers=args.workers,
        strict=args.strict,
        lease_s=args.lease,
    )
    serve(options, course)
    return ExitCode.OK
