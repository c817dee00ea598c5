"""The instructors' API: results, gradebook, regrades, roster, sign-in links, the students."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from apikit import PLANAR, bearer, check, client, course, grade_all, people, upload
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from grader.reports import gradebook_csv
from grader.results import GradingRun
from grader.server.auth import SESSION_COOKIE
from grader.server.models import Job, Result, User

RESULTS = f"/api/assignments/{PLANAR}/results"
GRADEBOOK = f"/api/assignments/{PLANAR}/gradebook.csv"


def _score_by_id(scores: dict[int, float]) -> object:
    return lambda sid: (check("a", scores[sid], "visible"), check("b", 1.0, "hidden"))


def test_the_results_document_has_every_graded_submission_and_marks_those_that_count(
    engine: Engine, tmp_path: Path
) -> None:
    tokens = people(engine)
    web = client(engine, course(tmp_path, counts="best"))
    ids = [upload(web, t).json()["id"] for t in (tokens.alice, tokens.alice, tokens.bob)]
    queued = upload(web, tokens.bob).json()["id"]  # not graded yet: not in the document
    scores = {ids[0]: 1.0, ids[1]: 0.0, ids[2]: 0.0}
    with Session(engine) as db:  # grade the first three only
        db.execute(update(Job).where(Job.submission_id == queued).values(status="done"))
        db.commit()
    grade_all(engine, _score_by_id(scores))  # type: ignore[arg-type]
    document = web.get(RESULTS, headers=bearer(tokens.prof)).json()
    run = GradingRun.from_dict(document)  # the contract of `grader grade --json`
    assert run.assignment.id == PLANAR
    entries = {e["submission_id"]: e for e in document["submissions"]}
    assert sorted(entries) == ids
    # best counts: alice's first (2 points) beats her second (1); bob has one
    assert [entries[i]["counts"] for i in ids] == [True, False, True]
    assert entries[ids[0]]["tests"][1]["visibility"] == "hidden"  # instructors see everything
    assert {e["student"] for e in document["submissions"]} == {"alice", "bob"}


def test_the_gradebook_is_grades_csv_over_the_submissions_that_count(
    engine: Engine, tmp_path: Path
) -> None:
    tokens = people(engine)
    web = client(engine, course(tmp_path))  # the last counts
    first = upload(web, tokens.bob).json()["id"]
    upload(web, tokens.alice, name="=HYPERLINK(1).ipynb")
    last = upload(web, tokens.bob).json()["id"]
    grade_all(engine, _score_by_id({first: 1.0, first + 1: 1.0, last: 0.0}))  # type: ignore[arg-type]
    response = web.get(GRADEBOOK, headers=bearer(tokens.prof))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].startswith("attachment;")
    table = list(csv.reader(io.StringIO(response.text)))
    assert table[0][:4] == ["id", "status", "score", "max_score"]
    assert table[0][-2:] == ["error", "path"] and "layer_sizes" in table[0]
    assert [row[0] for row in table[1:]] == ["alice", "bob"]  # one row each, by id
    assert table[2][2] == "1"  # bob's last submission (1 of 2 points), not his first
    assert table[1][-1] == "'=HYPERLINK(1).ipynb"  # grade's formula guard holds
    document = web.get(RESULTS, headers=bearer(tokens.prof)).json()
    counting = [s for s in document["submissions"] if s["counts"]]
    counting.sort(key=lambda s: s["id"])
    run = GradingRun.from_dict({**document, "submissions": counting})
    assert response.text == gradebook_csv(run, [h for h in table[0][4:-2]])


def test_a_regrade_keeps_the_earlier_results_and_reports_its_progress(
    engine: Engine, tmp_path: Path
) -> None:
    tokens = people(engine)
    web = client(engine, course(tmp_path))
    sid = upload(web, tokens.alice).json()["id"]
    grade_all(engine, lambda _: (check("a", 0.0, "visible"),))
    started = web.post(f"/api/assignments/{PLANAR}/regrade", headers=bearer(tokens.prof))
    assert started.status_code == 202
    body = started.json()
    assert body["total"] == 1 and body["done"] == 0 and body["finished"] is False
    assert started.headers["location"] == f"/api/regrades/{body['id']}"
    during = web.get(f"/api/submissions/{sid}", headers=bearer(tokens.alice)).json()
    assert during["status"] == "graded" and during["regrading"] is True
    grade_all(engine, lambda _: (check("a", 1.0, "visible"),))  # the fixed tests
    progress = web.get(f"/api/regrades/{body['id']}", headers=bearer(tokens.prof)).json()
    assert progress == {**body, "done": 1, "finished": True}
    after = web.get(f"/api/submissions/{sid}", headers=bearer(tokens.alice)).json()
    assert after["result"]["score"] == 1.0 and after["regrading"] is False
    with Session(engine) as db:
        assert db.scalar(select(func.count(Result.id))) == 2  # the first result is kept
    missing = web.get("/api/regrades/999", headers=bearer(tokens.prof))
    assert missing.status_code == 404
    unknown = web.post("/api/assignments/nope/regrade", headers=bearer(tokens.prof))
    assert unknown.status_code == 404


def test_a_roster_adds_and_updates_students_and_says_what_it_refused(
    engine: Engine, tmp_path: Path
) -> None:
    tokens = people(engine)
    web = client(engine, course(tmp_path))
    text = "id,name,email\ncarol,Carol C,c@example.org\nalice,Alice A,a@example.org\n"
    text += "prof,Not A Student,p@x\nbad id,x,y\ndan,D\x00an,d@x\n"
    as_file = web.post(
        "/api/roster",
        headers=bearer(tokens.prof),
        files={"file": ("roster.csv", text.encode("utf-8-sig"), "text/csv")},
    )
    assert as_file.status_code == 200
    report = as_file.json()
    assert report["added"] == ["carol", "dan"] and report["updated"] == ["alice"]
    assert len(report["refused"]) == 2
    assert "line 4" in report["refused"][0] and "instructor" in report["refused"][0]
    assert "line 5" in report["refused"][1]
    as_body = web.post(
        "/api/roster",
        headers={**bearer(tokens.prof), "content-type": "text/csv"},
        content=b"erin,Erin,e@x\n",  # no header line
    )
    assert as_body.json() == {"added": ["erin"], "updated": [], "refused": []}
    with Session(engine) as db:
        dan = db.get(User, "dan")
        prof = db.get(User, "prof")
        assert dan is not None and dan.name == "Dan" and dan.role == "student"
        assert prof is not None and prof.role == "instructor"
    not_utf8 = web.post(
        "/api/roster",
        headers={**bearer(tokens.prof), "content-type": "text/csv"},
        content="zoë,Zoë,z@x\n".encode("latin-1"),
    )
    assert not_utf8.status_code == 422 and "UTF-8" in not_utf8.json()["error"]
    students = web.get("/api/students", headers=bearer(tokens.prof)).json()["students"]
    assert [s["id"] for s in students] == ["alice", "bob", "carol", "dan", "erin"]


def test_a_signin_link_signs_its_student_in_once(engine: Engine, tmp_path: Path) -> None:
    tokens = people(engine)
    web = client(engine, course(tmp_path))
    made = web.post("/api/users/alice/signin-link", headers=bearer(tokens.prof))
    assert made.status_code == 200
    path = made.json()["path"]
    assert path.startswith("/signin/") and len(path) > 40
    browser = client(engine, course(tmp_path))
    used = browser.post(path, follow_redirects=False)
    assert used.status_code == 303 and SESSION_COOKIE in used.cookies
    mine = browser.get(f"/api/assignments/{PLANAR}/submissions")
    assert mine.status_code == 200 and mine.json()["student"] == "alice"
    again = client(engine, course(tmp_path)).post(path, follow_redirects=False)
    assert again.status_code == 410  # one time only
    missing = web.post("/api/users/nobody/signin-link", headers=bearer(tokens.prof))
    assert missing.status_code == 404


def test_extensions_are_checked_and_shown(engine: Engine, tmp_path: Path) -> None:
    tokens = people(engine)
    web = client(engine, course(tmp_path))
    path = f"/api/assignments/{PLANAR}/extensions/alice"
    prof = bearer(tokens.prof)
    zoned = web.put(path, headers=prof, json={"deadline": "2030-06-01T12:00:00+02:00"})
    assert zoned.json() == {
        "student": "alice",
        "assignment": PLANAR,
        "deadline": "2030-06-01T10:00:00Z",
    }
    listed = web.get("/api/assignments", headers=bearer(tokens.alice)).json()["assignments"]
    assert listed[0]["deadline"] == "2030-06-01T10:00:00Z" and listed[0]["extended"] is True
    bobs = web.get("/api/assignments", headers=bearer(tokens.bob)).json()["assignments"]
    assert bobs[0]["deadline"] is None and bobs[0]["extended"] is False
    assert web.put(path, headers=prof, content=b"{").status_code == 400
    assert web.put(path, headers=prof, json={"when": "2030-01-01"}).status_code == 400
    assert web.put(path, headers=prof, json={"deadline": "soon"}).status_code == 422
    naive = web.put(path, headers=prof, json={"deadline": "2030-06-01T12:00"})
    assert naive.status_code == 422 and "offset" in naive.json()["error"]
    to_prof = path.replace("/alice", "/prof")
    assert web.put(to_prof, headers=prof, json={"deadline": "2030-01-01T00:00Z"}).status_code == 404
    assert web.delete(path, headers=prof).json()["deadline"] is None


def test_the_students_list_counts_submissions(engine: Engine, tmp_path: Path) -> None:
    tokens = people(engine)
    web = client(engine, course(tmp_path))
    for token in (tokens.alice, tokens.alice, tokens.bob):
        upload(web, token)
    body = web.get("/api/students", headers=bearer(tokens.prof)).json()
    assert body["students"] == [
        {
            "id": "alice",
            "name": "Alice",
            "email": "",
            "submissions": {PLANAR: 2},
            "total": 2,
        },
        {"id": "bob", "name": "Bob", "email": "", "submissions": {PLANAR: 1}, "total": 1},
    ]
