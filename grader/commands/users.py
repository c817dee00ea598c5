"""``grader users``: accounts of a course server (add, import a roster, sign-in links, tokens)."""

from __future__ import annotations

import argparse
import sys

from grader.exitcodes import ExitCode

NAME = "users"
HELP = "manage a course server's accounts: add, import a roster, sign-in links, API tokens"


def _where(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--course", metavar="DIR", help="the course folder (its grader.db is the database)"
    )
    parser.add_argument("--db", metavar="URL", help="database URL (default: ./grader.db)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Sub-actions: add, import, link, token."""
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="create an account; prints an API token last")
    add.add_argument("id", metavar="ID")
    add.add_argument("--role", required=True, choices=("student", "instructor"))
    add.add_argument("--name", default="")
    add.add_argument("--email", default="")
    add.add_argument(
        "--password-stdin", action="store_true", help="read a sign-in password from stdin"
    )
    _where(add)
    roster = actions.add_parser("import", help="add or update students from a CSV roster")
    roster.add_argument("roster", metavar="ROSTER.csv", help="columns id, name, email")
    _where(roster)
    link = actions.add_parser("link", help="make a one-time sign-in link for an account")
    link.add_argument("id", metavar="ID")
    link.add_argument("--hours", type=float, default=72.0, help="valid for (72 hours)")
    link.add_argument("--base-url", default="", help="e.g. https://grader.example.edu")
    _where(link)
    token = actions.add_parser("token", help="make a new API token for an account")
    token.add_argument("id", metavar="ID")
    _where(token)


def run(args: argparse.Namespace) -> int:
    """Run the action on the database (migrated first)."""
    from grader.errors import UsageError
    from grader.server import accounts
    from grader.server.db import make_engine, sessions, upgrade
    from grader.server.models import User
    from grader.server.serve import open_course

    _, url = open_course(args.course, args.db)
    engine = make_engine(url)
    upgrade(engine)
    with sessions(engine)() as db:
        if args.action == "import":
            try:
                with open(args.roster, encoding="utf-8-sig") as f:
                    text = f.read(10 * 1024 * 1024)
            except (OSError, UnicodeDecodeError) as exc:
                raise UsageError(f"cannot read the roster {args.roster}: {exc}") from None
            report = accounts.import_roster(db, text)
            db.commit()
            print(f"added {len(report.added)}, updated {len(report.updated)}")
            for line in report.refused:
                print(f"refused: {line}", file=sys.stderr)
            return ExitCode.OK
        if args.action == "add":
            user = accounts.add_user(db, args.id, args.role, name=args.name, email=args.email)
            if args.password_stdin:
                accounts.set_password(user, sys.stdin.readline().rstrip("\r\n"))
            token = accounts.new_api_token(db, user, "grader users add")
            db.commit()
            print(f"added {args.role} {args.id}")
            print(token)
            return ExitCode.OK
        found = db.get(User, args.id)
        if found is None:
            raise UsageError(f"no user {args.id!r}")
        if args.action == "link":
            secret = accounts.new_signin_link(db, found, hours=args.hours)
            db.commit()
            print(f"{args.base_url.rstrip('/')}/signin/{secret}")
            return ExitCode.OK
        token = accounts.new_api_token(db, found, "grader users token")
        db.commit()
        print(token)
    return ExitCode.OK
