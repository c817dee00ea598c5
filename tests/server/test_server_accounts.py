"""Accounts: tokens, sign-in links, passwords and the roster, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from grader.errors import UsageError
from grader.server import accounts
from grader.server.models import ApiToken, SignInLink, User


def test_only_a_digest_of_a_token_is_stored_and_revoking_it_works(engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as db:
        user = accounts.add_user(db, "alice", "student")
        token = accounts.new_api_token(db, user, "laptop")
        db.commit()
        stored = db.scalar(select(ApiToken.token_sha256))
        assert stored == accounts.digest(token) and token not in str(stored)
        found = accounts.user_for_token(db, token)
        assert found is not None and found.id == "alice"
        assert accounts.user_for_token(db, token + "x") is None
        db.execute(update(ApiToken).values(revoked=True))
        db.commit()
        assert accounts.user_for_token(db, token) is None


def test_a_signin_link_works_once_and_not_after_it_expires(engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as db:
        user = accounts.add_user(db, "alice", "student")
        first = accounts.new_signin_link(db, user)
        late = accounts.new_signin_link(db, user, hours=1)
        db.commit()
        db.execute(
            update(SignInLink)
            .where(SignInLink.token_sha256 == accounts.digest(late))
            .values(expires_at=dt.datetime(2000, 1, 1))
        )
        db.commit()
        used = accounts.redeem_signin_link(db, first)
        db.commit()
        assert used is not None and used.id == "alice"
        assert accounts.redeem_signin_link(db, first) is None  # once
        assert accounts.redeem_signin_link(db, late) is None  # expired
        assert accounts.redeem_signin_link(db, "no-such-link") is None


def test_passwords_are_argon2_hashes(engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as db:
        user = accounts.add_user(db, "alice", "student")
        with pytest.raises(UsageError, match="8 characters"):
            accounts.set_password(user, "short")
        accounts.set_password(user, "correct horse")
        db.commit()
        assert user.password_hash is not None and user.password_hash.startswith("$argon2")
        assert accounts.check_password(user, "correct horse")
        assert not accounts.check_password(user, "wrong horse")
        assert not accounts.check_password(None, "correct horse")


def test_bad_ids_and_roles_are_refused_and_never_looked_up(engine: Engine) -> None:
    with Session(engine) as db:
        for bad in ("", "a b", "-x", "x" * 81, "a\x00b", "é"):
            with pytest.raises(UsageError, match="invalid user id"):
                accounts.add_user(db, bad, "student")
            assert accounts.find_user(db, bad) is None  # no NUL sent to PostgreSQL
        with pytest.raises(UsageError, match="invalid role"):
            accounts.add_user(db, "alice", "admin")
        accounts.add_user(db, "alice", "student")
        with pytest.raises(UsageError, match="already exists"):
            accounts.add_user(db, "alice", "instructor")
        found = accounts.find_user(db, "alice")
        assert found is not None and found.role == "student"


def test_a_roster_import_adds_updates_and_refuses_line_by_line(engine: Engine) -> None:
    with Session(engine) as db:
        accounts.add_user(db, "prof", "instructor")
        accounts.add_user(db, "alice", "student", name="A.")
        db.commit()
        text = (
            "ID,Name,Email\n"
            "alice,Alice Liddell,alice@example.org\n"
            "bob,Bob\x07 Bell,bob@example.org\n"
            "\n"
            "prof,Prof,p@example.org\n"
            "no good,X,x@example.org\n"
            "carol\n"
        )
        report = accounts.import_roster(db, text)
        db.commit()
        assert report.added == ("bob", "carol") and report.updated == ("alice",)
        assert report.refused == (
            "line 5: 'prof' is an instructor",
            "line 6: invalid id 'no good'",
        )
        people = {u.id: u for u in db.scalars(select(User))}
        assert people["alice"].name == "Alice Liddell"
        assert people["bob"].name == "Bob Bell"  # control characters dropped
        assert people["carol"].role == "student" and people["carol"].email == ""
        assert people["prof"].role == "instructor"
