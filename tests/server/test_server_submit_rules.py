"""The course's rules on uploads, through the API: deadlines, late policies, limits."""

from __future__ import annotations

from pathlib import Path

from apikit import PLANAR, ago, bearer, check, client, course, grade_all, people, rows, upload
from sqlalchemy import Engine


def test_a_passed_deadline_with_late_refuse_is_403_and_stores_nothing(
    engine: Engine, tmp_path: Path
) -> None:
    tokens = people(engine)
    web = client(engine, course(tmp_path, deadline=ago(hours=1), late="refuse"))
    refused = upload(web, tokens.alice)
    assert refused.status_code == 403
    assert "deadline" in refused.json()["error"] and "passed" in refused.json()["error"]
    assert rows(engine) == (0, 0, 0)
    listed = web.get("/api/assignments", headers=bearer(tokens.alice)).json()["assignments"]
    assert listed[0]["open"] is False and listed[0]["late"] == "refuse"


def test_an_extension_lets_a_student_submit_after_the_course_deadline(
    engine: Engine, tmp_path: Path
) -> None:
    tokens = people(engine)
    web = client(engine, course(tmp_path, deadline=ago(hours=1), late="refuse"))
    path = f"/api/assignments/{PLANAR}/extensions/alice"
    given = web.put(path, headers=bearer(tokens.prof), json={"deadline": "2099-01-01T12:00Z"})
    assert given.status_code == 200 and given.json()["deadline"] == "2099-01-01T12:00:00Z"
    accepted = upload(web, tokens.alice)
    assert accepted.status_code == 202 and accepted.json()["late_days"] == 0
    assert upload(web, tokens.bob).status_code == 403  # bob has no extension
    mine = web.get("/api/assignments", headers=bearer(tokens.alice)).json()["assignments"][0]
    assert mine["deadline"] == "2099-01-01T12:00:00Z" and mine["extended"] is True
    assert mine["course_deadline"] != mine["deadline"]
    cleared = web.delete(path, headers=bearer(tokens.prof))
    assert cleared.status_code == 200 and cleared.json()["deadline"] == mine["course_deadline"]
    assert upload(web, tokens.alice).status_code == 403


def test_a_passed_deadline_with_late_accept_flags_the_days_late(
    engine: Engine, tmp_path: Path
) -> None:
    tokens = people(engine)
    web = client(engine, course(tmp_path, deadline=ago(days=1, hours=1), late="accept"))
    accepted = upload(web, tokens.alice)
    assert accepted.status_code == 202
    assert accepted.json()["late_days"] == 2  # a day and an hour: the second day begun
    grade_all(engine, lambda _: (check("a", 1.0, "visible"), check("b", 1.0, "visible")))
    seen = web.get(f"/api/submissions/{accepted.json()['id']}", headers=bearer(tokens.alice))
    assert seen.json()["late_days"] == 2
    assert seen.json()["result"]["score"] == 2.0  # flagged, not penalised


def test_a_late_penalty_reduces_the_score_when_it_is_read(engine: Engine, tmp_path: Path) -> None:
    tokens = people(engine)
    where = course(tmp_path, deadline=ago(hours=30), late="penalty", penalty_per_day=10)
    web = client(engine, where)
    sid = upload(web, tokens.alice).json()["id"]
    grade_all(engine, lambda _: (check("a", 1.0, "visible"), check("b", 1.0, "hidden")))
    student = web.get(f"/api/submissions/{sid}", headers=bearer(tokens.alice)).json()["result"]
    # two days late at 10% a day: 20% of the 2 points
    assert student["score"] == 1.6 and student["late_penalty"] == 0.4
    prof = web.get(f"/api/submissions/{sid}", headers=bearer(tokens.prof)).json()["result"]
    assert prof["score"] == 1.6 and prof["score_before_penalty"] == 2.0
    results = web.get(f"/api/assignments/{PLANAR}/results", headers=bearer(tokens.prof))
    assert results.json()["submissions"][0]["score"] == 1.6
    gradebook = web.get(f"/api/assignments/{PLANAR}/gradebook.csv", headers=bearer(tokens.prof))
    assert gradebook.text.splitlines()[1].startswith("alice,graded,1.6,2,")


def test_a_reached_submission_limit_is_429(engine: Engine, tmp_path: Path) -> None:
    tokens = people(engine)
    web = client(engine, course(tmp_path, max_submissions=2))
    assert [upload(web, tokens.alice).status_code for _ in range(2)] == [202, 202]
    refused = upload(web, tokens.alice)
    assert refused.status_code == 429
    assert "all 2 submissions" in refused.json()["error"]
    assert rows(engine)[0] == 2
    assert upload(web, tokens.bob).status_code == 202  # per student
    listed = web.get("/api/assignments", headers=bearer(tokens.alice)).json()["assignments"]
    assert listed[0]["submissions"] == {"used": 2, "max": 2} and listed[0]["open"] is False


def test_a_cooldown_is_429_with_the_wait(engine: Engine, tmp_path: Path) -> None:
    tokens = people(engine)
    web = client(engine, course(tmp_path, cooldown_s=3600.0))
    assert upload(web, tokens.alice).status_code == 202
    refused = upload(web, tokens.alice)
    assert refused.status_code == 429
    assert "please wait" in refused.json()["error"]
    assert 3500 <= int(refused.headers["retry-after"]) <= 3600
    assert rows(engine)[0] == 1
    assert upload(web, tokens.bob).status_code == 202
