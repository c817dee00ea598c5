"""What a student may read of a result, decided when it is read from the assignment's policy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from apikit import EXAMPLES, PLANAR, ago, bearer, check, client, course, grade_all, people, upload
from sqlalchemy import Engine

from grader.server.course import Course
from grader.server.worker import Worker

SECRET_MESSAGE = "your function returned 42 for the input [7, 8]"
SECRET_OUTPUT = "debug: 42"
BUG = "tests/hidden.py:3: KeyError: 'W9'"


def _crafted(engine: Engine, tmp_path: Path) -> tuple[Any, int]:
    """Alice's submission with a visible check, a failing hidden one and a broken hidden one."""
    tokens = people(engine)
    sid = upload(client(engine, course(tmp_path)), tokens.alice).json()["id"]
    grade_all(
        engine,
        lambda _: (
            check("seen", 1.0, "visible", "fine", output="hello"),
            check(
                "secret",
                0.0,
                "hidden",
                SECRET_MESSAGE,
                output=SECRET_OUTPUT,
                public_message="check the shape of what you return",
            ),
            check("broken", 1.0, "hidden", "W9 lookup failed", check_bug=BUG, outcome="error"),
        ),
    )
    return tokens, sid


def _read(engine: Engine, where: Course, token: str, sid: int) -> tuple[dict[str, Any], str]:
    response = client(engine, where).get(f"/api/submissions/{sid}", headers=bearer(token))
    assert response.status_code == 200
    return response.json()["result"], response.text


def _assert_no_hidden_detail(text: str) -> None:
    for secret in (SECRET_MESSAGE, SECRET_OUTPUT, "KeyError", "W9 lookup failed"):
        assert secret not in text


@pytest.mark.parametrize(
    ("deadline_days_ago", "hidden"),
    [(-1.0, "after_deadline"), (1.0, "never"), (-1.0, "never")],
)
def test_withheld_hidden_checks_leave_a_score_out_of_the_visible_ones(
    engine: Engine, tmp_path: Path, deadline_days_ago: float, hidden: str
) -> None:
    tokens, sid = _crafted(engine, tmp_path)
    deadline = ago(days=deadline_days_ago)
    result, text = _read(
        engine, course(tmp_path, deadline=deadline, hidden=hidden), tokens.alice, sid
    )
    assert [t["id"] for t in result["tests"]] == ["layer_sizes.seen"]
    assert result["score"] == 1.0 and result["max_score"] == 1.0
    assert result["hidden"]["shown"] is False
    assert result["hidden"]["checks"] == 2 and result["hidden"]["max_score"] == 2.0
    if hidden == "never":
        assert result["hidden"]["shown_after"] is None
    else:
        assert result["hidden"]["shown_after"].startswith(deadline.strftime("%Y-%m-%dT%H:%M"))
    assert "public_message" not in result["tests"][0] and "check_bug" not in result["tests"][0]
    assert result["tests"][0]["output"] == "hello"  # a visible check's output is the student's
    _assert_no_hidden_detail(text)
    assert "check the shape" not in text


@pytest.mark.parametrize(
    ("deadline_days_ago", "hidden"),
    [(1.0, "after_deadline"), (-1.0, "immediately"), (None, "after_deadline")],
)
def test_shown_hidden_checks_give_only_their_public_message(
    engine: Engine, tmp_path: Path, deadline_days_ago: float | None, hidden: str
) -> None:
    tokens, sid = _crafted(engine, tmp_path)
    deadline = None if deadline_days_ago is None else ago(days=deadline_days_ago)
    where = course(tmp_path, deadline=deadline, hidden=hidden)
    result, text = _read(engine, where, tokens.alice, sid)
    assert result["hidden"] == {"shown": True}
    assert result["score"] == 2.0 and result["max_score"] == 3.0
    tests = {t["id"].split(".")[1]: t for t in result["tests"]}
    assert tests["secret"]["message"] == "check the shape of what you return"
    assert tests["secret"]["output"] == ""
    assert tests["broken"]["message"].startswith("this check could not run")
    assert all("check_bug" not in t and "public_message" not in t for t in tests.values())
    _assert_no_hidden_detail(text)


def test_an_instructor_reads_every_detail(engine: Engine, tmp_path: Path) -> None:
    tokens, sid = _crafted(engine, tmp_path)
    where = course(tmp_path, deadline=ago(days=-1), hidden="never")
    result, text = _read(engine, where, tokens.prof, sid)
    assert len(result["tests"]) == 3 and result["score"] == 2.0
    for secret in (SECRET_MESSAGE, SECRET_OUTPUT, BUG):
        assert secret in text


def test_a_students_extension_keeps_hidden_checks_withheld_until_their_own_deadline(
    engine: Engine, tmp_path: Path
) -> None:
    tokens, sid = _crafted(engine, tmp_path)
    where = course(tmp_path, deadline=ago(days=1))
    web = client(engine, where)
    path = f"/api/assignments/{PLANAR}/extensions/alice"
    given = web.put(path, headers=bearer(tokens.prof), json={"deadline": "2099-01-01T00:00Z"})
    assert given.is_success
    result, text = _read(engine, where, tokens.alice, sid)
    assert result["hidden"]["shown"] is False
    assert result["hidden"]["shown_after"] == "2099-01-01T00:00:00Z"
    _assert_no_hidden_detail(text)


def test_real_grading_is_filtered_by_the_policy_when_read(engine: Engine, tmp_path: Path) -> None:
    tokens = people(engine)
    before = course(tmp_path, deadline=ago(days=-1))
    data = (EXAMPLES / "bob.ipynb").read_bytes()  # fails some visible and hidden checks
    sid = upload(client(engine, before), tokens.alice, name="bob.ipynb", data=data).json()["id"]
    with Worker(engine, before, name="test-worker") as worker:
        assert worker.run_once()
    full, _ = _read(engine, before, tokens.prof, sid)
    assert full["status"] == "graded"
    visible = [t for t in full["tests"] if t["visibility"] == "visible"]
    hidden = [t for t in full["tests"] if t["visibility"] == "hidden"]
    failing = [t for t in hidden if t["outcome"] != "passed"]
    assert visible and failing
    private = [t for t in failing if t["message"] != t["public_message"]]
    assert private, "bob's result has hidden messages that differ from their public ones"

    withheld, text = _read(engine, before, tokens.alice, sid)
    assert [t["id"] for t in withheld["tests"]] == [t["id"] for t in visible]
    assert withheld["score"] == sum(t["score"] for t in visible)
    assert withheld["max_score"] == sum(t["max_score"] for t in visible)
    assert withheld["hidden"]["checks"] == len(hidden)
    assert withheld["hidden"]["max_score"] == sum(t["max_score"] for t in hidden)
    assert all(t["message"] not in text for t in private)

    after = course(tmp_path, deadline=ago(days=1))  # the same stored result, the deadline passed
    shown, text = _read(engine, after, tokens.alice, sid)
    assert shown["score"] == full["score"] and len(shown["tests"]) == len(full["tests"])
    by_id = {t["id"]: t for t in shown["tests"]}
    for test in private:
        assert by_id[test["id"]]["message"] == test["public_message"]
        assert test["message"] not in text
    never, _ = _read(
        engine, course(tmp_path, deadline=ago(days=1), hidden="never"), tokens.alice, sid
    )
    assert never["hidden"]["shown"] is False and never["score"] == withheld["score"]
