"""Course-server benchmark: N simulated students upload over loopback to a real `grader serve`.

Uploads are the course-style notebooks of ``benchmarks/batch.py`` (about 75% correct, the rest
each with one of the assignment's known mistakes), so the queue's rate compares with the batch
rate; ``--examples`` sends the README's example submissions instead (half of them wrong).
Each upload comes from its own student (the class, not one student against the rate limit),
paced at ``--rate`` per second, ``--count`` of them at most and for ``--duration`` seconds at
most, with up to 64 in flight. The server is the real command, with ``--workers`` grading
processes, on SQLite in a temporary folder or on ``--db URL``. It prints:

- accepted uploads/s, refusals, 5xx and dropped connections, the upload request's p50/p95;
- upload to graded result, p50/p95/max: from the submission's commit to its result's commit,
  both stamped by the server (a student polling sees it one poll later);
- how fast the queue drained after the last upload, beside the batch rate;
- how the pages answered meanwhile (a probe GETs a result every 0.25 s: p95/max);
- the web process's peak memory after the warm-up and at the end (flat or not);
- whether every accepted upload was graded exactly once (one result per job per submission).

    python benchmarks/serve.py --rate 10 --count 300          # sustained: 10/s for 30 s
    python benchmarks/serve.py --rate 10 --count 300 --examples   # half of them wrong
    python benchmarks/serve.py --rate 50 --count 500          # a burst: 500 in 10 s
    python benchmarks/serve.py --postgres --rate 10 --count 300   # a throwaway PostgreSQL
    python benchmarks/serve.py --db postgresql://USER@/DB?host=/tmp/sock ...
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "server"))

from live import LiveServer, upload  # noqa: E402
from sqlalchemy import func, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from grader.server import accounts, db  # noqa: E402
from grader.server.models import Job, Result, Submission  # noqa: E402

PLANAR = "planar_data_classification"
FILES = [ROOT / "examples" / n for n in ("alice.ipynb", "bob.ipynb", "carol.ipynb", "frank.py")]


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _students(url: str, count: int) -> list[str]:
    engine = db.make_engine(url)
    db.upgrade(engine)
    tokens = []
    with Session(engine) as session:
        for i in range(count):
            user = accounts.add_user(session, f"student{i:05d}", "student")
            tokens.append(accounts.new_api_token(session, user))
        session.commit()
    engine.dispose()
    return tokens


def _payloads(folder: Path, args: argparse.Namespace) -> list[tuple[str, bytes]]:
    """What the students upload: batch.py's course-style notebooks, or the examples."""
    if args.examples:
        return [(p.name, p.read_bytes()) for p in FILES]
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import json

    from batch import generate, load_mutants

    from grader import load_assignment

    assignment = load_assignment(PLANAR)
    assert assignment.solution is not None
    solution = json.loads(assignment.solution.read_text(encoding="utf-8"))
    generated = folder / "notebooks"
    generate(generated, min(args.count, 400), solution, load_mutants(assignment.mutants))
    return [(p.name, p.read_bytes()) for p in sorted(generated.iterdir())]


def _probe(port: int, token: str, stop: threading.Event, times: list[float]) -> None:
    while not stop.wait(0.25):
        start = time.perf_counter()
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            connection.request(
                "GET", "/api/submissions/1", headers={"Authorization": f"Bearer {token}"}
            )
            connection.getresponse().read()
            connection.close()
        except OSError:
            continue
        times.append(time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=500)
    parser.add_argument("--rate", type=float, default=10.0, help="uploads per second")
    parser.add_argument("--count", type=int, default=300, help="uploads at most")
    parser.add_argument("--duration", type=float, default=120.0, help="seconds of uploads at most")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--db", default=None, help="database URL (default: a temporary SQLite)")
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="start a throwaway PostgreSQL (initdb/pg_ctl, as the tests do) and use it",
    )
    parser.add_argument("--drain-timeout", type=float, default=600.0)
    parser.add_argument(
        "--examples", action="store_true", help="send examples/ (alice, bob, carol, frank)"
    )
    args = parser.parse_args()
    if args.postgres:
        from pgserver import create_database, postgres_base_url

        with postgres_base_url() as base:
            if base is None:
                sys.exit("no PostgreSQL server could be started (initdb, pg_ctl)")
            args.db = create_database(base)
            run(args)
    else:
        run(args)


def run(args: argparse.Namespace) -> None:
    """One benchmark run with the parsed arguments."""
    folder = Path(tempfile.mkdtemp(prefix="grader-serve-bench-"))
    url = args.db or db.default_url(folder)
    tokens = _students(url, max(args.students, 1))
    payloads = _payloads(folder, args)
    server = LiveServer(folder, ["--db", url, "--workers", str(args.workers)]).start()
    server.wait_workers_ready(args.workers)
    rss_ready = server.peak_rss_kib()
    print(f"server up: {args.workers} workers, {db.make_engine(url).dialect.name}, "
          f"{len(tokens)} students; web process {rss_ready / 1024:.0f} MiB")

    statuses: list[int] = []
    request_s: list[float] = []
    lock = threading.Lock()

    def send(i: int) -> None:
        name, data = payloads[i % len(payloads)]
        start = time.perf_counter()
        try:
            status, _ = upload(server.port, tokens[i % len(tokens)], PLANAR, name, data, 60)
        except OSError:
            status = 0
        with lock:
            statuses.append(status)
            request_s.append(time.perf_counter() - start)

    stop_probe = threading.Event()
    probe_s: list[float] = []
    probe = threading.Thread(target=_probe, args=(server.port, tokens[0], stop_probe, probe_s))
    probe.start()
    began = time.perf_counter()
    sent = 0
    samples: list[str] = []
    marks = {max(1, args.count * q // 4) for q in (1, 2, 3)}
    with ThreadPoolExecutor(max_workers=64) as pool:
        while sent < args.count and time.perf_counter() - began < args.duration:
            if sent in marks:
                samples.append(f"{server.rss_kib() / 1024:.0f} MiB after {sent}")
            due = began + sent / args.rate
            now = time.perf_counter()
            if due > now:
                time.sleep(due - now)
            pool.submit(send, sent)
            sent += 1
    sending_s = time.perf_counter() - began
    accepted = statuses.count(202)

    engine = db.make_engine(url)
    deadline = time.monotonic() + args.drain_timeout
    while time.monotonic() < deadline:
        with Session(engine) as session:
            undone = session.scalar(select(func.count(Job.id)).where(Job.status != "done"))
        if not undone:
            break
        time.sleep(0.2)
    stop_probe.set()
    probe.join()
    rss_end = server.peak_rss_kib()
    samples.append(f"{server.rss_kib() / 1024:.0f} MiB after {sent}")
    server.stop()

    with Session(engine) as session:
        rows = session.execute(
            select(Submission.submitted_at, Result.graded_at).join(
                Result, Result.submission_id == Submission.id
            )
        ).all()
        submissions = session.scalar(select(func.count(Submission.id))) or 0
        results = session.scalar(select(func.count(Result.id))) or 0
        jobs = session.scalar(select(func.count(Job.id))) or 0
        graded = session.scalar(select(func.count(func.distinct(Result.submission_id)))) or 0
    latency = [(g - s).total_seconds() for s, g in rows]
    first = min(s for s, _ in rows) if rows else None
    last_upload = max(s for s, _ in rows) if rows else None
    last_graded = max(g for _, g in rows) if rows else None
    five = sum(1 for s in statuses if 500 <= s < 600)
    print(f"uploads: {sent} sent in {sending_s:.1f} s; {accepted} accepted "
          f"({accepted / sending_s:.1f}/s), {sum(1 for s in statuses if 400 <= s < 500)} refused, "
          f"{five} 5xx, {statuses.count(0)} dropped")
    print(f"upload request: p50 {_pct(request_s, 0.5) * 1000:.0f} ms, "
          f"p95 {_pct(request_s, 0.95) * 1000:.0f} ms")
    print(f"upload to graded: p50 {_pct(latency, 0.5):.2f} s, p95 {_pct(latency, 0.95):.2f} s, "
          f"max {max(latency, default=float('nan')):.2f} s")
    if first and last_upload and last_graded:
        span = (last_graded - first).total_seconds()
        print(f"queue: {len(rows)} graded in {span:.1f} s ({len(rows) / span:.1f}/s overall); "
              f"drained {(last_graded - last_upload).total_seconds():.1f} s after the last upload")
    print(f"pages meanwhile: {len(probe_s)} probes, p95 {_pct(probe_s, 0.95) * 1000:.0f} ms, "
          f"max {max(probe_s, default=float('nan')) * 1000:.0f} ms "
          f"(median {statistics.median(probe_s) * 1000 if probe_s else float('nan'):.0f} ms)")
    print(f"web process memory: {rss_ready / 1024:.0f} MiB ready; resident "
          f"{', '.join(samples)} uploads; peak {rss_end / 1024:.0f} MiB")
    once = results == jobs == submissions == graded and accepted <= graded
    print(f"every accepted upload graded exactly once: {'yes' if once else 'NO'} "
          f"({submissions} submissions, {jobs} jobs, {results} results)")


if __name__ == "__main__":
    main()
