"""``grader db``: the course server's database schema (``upgrade``, ``current``)."""

from __future__ import annotations

import argparse

from grader.exitcodes import ExitCode

NAME = "db"
HELP = "bring a course server's database up to date (`grader serve` does it on start)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``upgrade`` or ``current``, with --course / --db."""
    parser.add_argument("action", choices=("upgrade", "current"))
    parser.add_argument("--course", metavar="DIR", help="the course folder")
    parser.add_argument("--db", metavar="URL", help="database URL (default: ./grader.db)")


def run(args: argparse.Namespace) -> int:
    """Apply the migrations, or print where the database is."""
    from grader.server.db import current_revision, head_revision, make_engine, upgrade
    from grader.server.serve import open_course

    _, url = open_course(args.course, args.db)
    engine = make_engine(url)
    if args.action == "upgrade":
        upgrade(engine)
    have, want = current_revision(engine), head_revision()
    print(f"schema {have or 'none'} (this grader's newest: {want})")
    return ExitCode.OK
