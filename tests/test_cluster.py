"""``grader grade --cluster``: grading on Dask distributed (a LocalCluster of two workers)."""

from __future__ import annotations

import hashlib
import importlib.util
import io
import json
import os
import signal
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from grader.assignment import Assignment, load_assignment
from grader.batch import BatchSettings, plan_submissions, run_batch
from grader.batch_dask import INSTALL_HINT, parse_cluster
from grader.cache import ResultCache
from grader.cli import ExitCode, main
from grader.errors import AssignmentError, UsageError
from grader.results import SubmissionResult

DATA = Path(__file__).parent / "data"
TINY = DATA / "assignments" / "tiny"
CORRECT = (DATA / "submissions" / "tiny" / "correct.py").read_text()
WRONG = "def add(a, b):\n    return a - b\n\ndef scale(v):\n    return v * 7\n"
HALF = "def add(a, b):\n    return a + b\n"
# Correct, and slow enough (each call sleeps) that a worker can be killed while it grades.
SLOW = CORRECT.replace("def add(a, b):\n", "def add(a, b):\n    import time; time.sleep(0.05)\n")

needs_dask = pytest.mark.skipif(
    importlib.util.find_spec("distributed") is None, reason="needs grader[cluster]"
)


@pytest.fixture(scope="module")
def tiny() -> Assignment:
    return load_assignment(TINY)


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    """A LocalCluster of two worker processes, set up as ``--cluster local:N`` sets up its own."""
    import dask
    from distributed import Client, LocalCluster

    from grader.batch_dask import SCHEDULER_CONFIG

    with dask.config.set(SCHEDULER_CONFIG):
        lc = LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            scheduler_kwargs={"dashboard": False},
        )
    with lc, Client(lc) as client:
        client.wait_for_workers(2)
        yield lc.scheduler_address


def make_subs(folder: Path, n: int, kinds: tuple[str, ...] = (CORRECT, WRONG, HALF)) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (folder / f"s{i:03d}.py").write_text(kinds[i % len(kinds)] + f"\n# student {i}\n")
    return folder


def normalised(result: SubmissionResult) -> dict[str, Any]:
    doc = result.to_dict()
    doc.pop("duration_s")
    for test in doc["tests"]:
        test.pop("duration_s")
    return doc


def collect(
    assignment: Assignment, plan: list[tuple[str, Path]], **kw: Any
) -> tuple[list[SubmissionResult], list[bool], Any]:
    results: list[SubmissionResult] = []
    cached: list[bool] = []

    def on_result(result: SubmissionResult, was_cached: bool) -> None:
        results.append(result)
        cached.append(was_cached)

    outcome = run_batch(assignment, plan, on_result, settings=BatchSettings(**kw))
    return results, cached, outcome


# -- without a cluster -----------------------------------------------------------------------


@pytest.mark.parametrize("text", ["local:0", "local:x", "local", "http//x", "", "a b:1"])
def test_a_bad_cluster_value_is_refused_with_the_forms_accepted(text: str) -> None:
    with pytest.raises(UsageError, match="expected local:N"):
        parse_cluster(text)
    assert parse_cluster("local:2") == "local:2"
    assert parse_cluster("tcp://10.0.0.5:8786") == "tcp://10.0.0.5:8786"


def test_without_dask_the_option_names_the_extra_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real = importlib.util.find_spec

    def no_distributed(name: str, *args: Any) -> Any:
        return None if name == "distributed" else real(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", no_distributed)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.py").write_text(CORRECT)
    code = main(["grade", str(TINY), "a.py", "--cluster", "local:2", "--no-cache"])
    err = capsys.readouterr().err
    assert code == ExitCode.USAGE
    assert INSTALL_HINT in err and "Traceback" not in err


@needs_dask
def test_the_bundle_is_refused_when_its_hash_differs(tmp_path: Path, tiny: Assignment) -> None:
    from grader.batch_dask import make_bundle
    from grader.batch_dask_worker import unpack_bundle

    bundle = make_bundle(tiny)
    assert make_bundle(tiny) == bundle  # reproducible: the same assignment, the same hash
    assert bundle.sha256 == hashlib.sha256(bundle.data).hexdigest()
    names = zipfile.ZipFile(io.BytesIO(bundle.data)).namelist()
    assert (Path(bundle.root) / "assignment.toml").as_posix() in names
    with pytest.raises(AssignmentError, match="refused"):
        unpack_bundle(bundle.data + b"x", bundle.sha256, tmp_path / "a")
    unpack_bundle(bundle.data, bundle.sha256, tmp_path / "b")
    assert load_assignment(tmp_path / "b" / bundle.root).id == "tiny"


@needs_dask
def test_workers_that_differ_record_the_weakest_isolation_and_warn(tiny: Assignment) -> None:
    from grader.batch_backends import State
    from grader.batch_dask import _ClusterBatch

    class FakeClient:
        def nthreads(self) -> dict[str, int]:
            return {"w1": 1, "w2": 1}

    state = State(tiny, [], BatchSettings(), lambda r, c: None, None)
    batch = _ClusterBatch(state, FakeClient(), "plugin")
    full = {"network": True, "seccomp": True}
    reply = {"isolation_warnings": [], "environment": [], "worker": "w1", "isolation": full}
    batch.note_worker(reply)
    assert state.isolation == full and state.isolation_warnings == ()
    weak = {"network": False, "seccomp": True}
    lacking = "network isolation unavailable: disabled"
    batch.note_worker({**reply, "worker": "w2", "isolation": weak, "isolation_warnings": [lacking]})
    assert state.isolation == weak
    assert state.isolation_warnings[0] == lacking
    assert "workers' sandboxes differ (some lack: network)" in state.isolation_warnings[1]


# -- on a LocalCluster of two workers ----------------------------------------------------------


@needs_dask
@pytest.mark.slow
def test_a_cluster_batch_matches_a_local_run_result_for_result(
    tiny: Assignment, tmp_path: Path, cluster: str
) -> None:
    from distributed import Client

    subs = make_subs(tmp_path / "subs", 9)
    (subs / "zz_broken.ipynb").write_text('{"cells": [')
    (subs / "zz_empty.py").write_text("")
    (subs / "zz_link.py").symlink_to(subs / "s000.py")  # refused unread, as grade_path does
    plan = plan_submissions([subs])
    local, _, _ = collect(tiny, plan, jobs=1)
    assert {r.status for r in local} == {"graded", "invalid"}
    cache = ResultCache(tmp_path / "cache")
    remote, cached, outcome = collect(tiny, plan, cluster=cluster, cache=cache, window=4)
    assert [normalised(r) for r in remote] == [normalised(r) for r in local]
    assert outcome.graded == len(plan) and not any(cached) and not outcome.interrupted
    assert outcome.header.isolation == collect(tiny, plan[:1], jobs=1)[2].header.isolation

    again, cached, outcome = collect(tiny, plan, cluster=cluster, cache=cache)
    assert [normalised(r) for r in again] == [normalised(r) for r in local]
    graded_files = [r.sha256 != "" for r in local]  # what can be cached: a file was read
    assert cached == graded_files and outcome.graded == graded_files.count(False)
    with Client(cluster) as client:  # the batch's end closed the workers' graders
        left = client.run(_grader_leftovers)
    assert left and not any(left.values()), left


def _grader_leftovers(dask_worker: Any) -> list[str]:
    """On a worker: unpacked bundles and zygote processes still there."""
    import glob

    import psutil

    zygotes = [str(p.pid) for p in psutil.Process().children(recursive=True)]
    bundles = glob.glob(os.path.join(dask_worker.local_directory, "grader-assignment-*"))
    return [*bundles, *zygotes]


@needs_dask
@pytest.mark.slow
def test_a_worker_killed_during_a_batch_loses_nothing(
    tiny: Assignment, tmp_path: Path, cluster: str
) -> None:
    from distributed import Client

    plan = plan_submissions([make_subs(tmp_path / "subs", 12, (SLOW,))])
    seen: list[SubmissionResult] = []
    killed: list[str] = []
    with Client(cluster) as client:
        pids = client.run(os.getpid)

        def kill_a_busy_worker(result: SubmissionResult, cached: bool) -> None:
            seen.append(result)
            busy = [w for w, keys in client.processing().items() if keys]
            if not killed and busy:  # a worker in the middle of a submission
                os.kill(pids[busy[0]], signal.SIGKILL)
                killed.append(busy[0])

        outcome = run_batch(
            tiny, plan, kill_a_busy_worker, settings=BatchSettings(cluster=cluster, window=6)
        )
        client.wait_for_workers(2, timeout=60)  # the nanny restarted the dead one
    assert killed
    assert [r.id for r in seen] == [sid for sid, _ in plan]  # each once, in order
    assert all(r.status == "graded" and r.score == r.max_score for r in seen), [
        r.error for r in seen
    ]
    assert outcome.graded == len(plan) and not outcome.interrupted


@needs_dask
@pytest.mark.slow
def test_a_submission_that_kills_every_worker_becomes_an_error_and_the_batch_goes_on(
    tiny: Assignment, tmp_path: Path, cluster: str
) -> None:
    from distributed import Client, WorkerPlugin

    from grader.batch_dask import ALLOWED_FAILURES

    class DieOn(WorkerPlugin):  # type: ignore[misc]
        """Grading submission ``sid`` makes the worker process exit, every time (Dask hands
        plugins to restarted workers too)."""

        def __init__(self, sid: str) -> None:
            self.sid = sid
            self.original: Any = None

        def setup(self, worker: Any) -> None:
            import grader.batch_dask_worker as on_worker

            self.original = original = on_worker._grade

            def deadly(grader: Any, sid: str, *args: Any) -> dict[str, Any]:
                if sid == self.sid:
                    os._exit(3)
                return original(grader, sid, *args)  # type: ignore[no-any-return]

            on_worker._grade = deadly

        def teardown(self, worker: Any) -> None:
            import grader.batch_dask_worker as on_worker

            on_worker._grade = self.original

    plan = plan_submissions([make_subs(tmp_path / "subs", 12, (CORRECT,))])
    doomed = plan[1][0]
    with Client(cluster) as client:
        client.register_plugin(DieOn(doomed), name="die-on")
        try:
            cache = ResultCache(tmp_path / "cache")
            results, _, outcome = collect(tiny, plan, cluster=cluster, cache=cache)
        finally:
            client.unregister_worker_plugin("die-on")
    assert [r.id for r in results] == [sid for sid, _ in plan]
    dead = results[1]
    assert dead.status == "invalid" and dead.score == 0
    assert f"the grading worker died {ALLOWED_FAILURES + 1} times" in (dead.error or "")
    assert all(r.score == r.max_score for r in results if r.id != doomed)
    assert outcome.graded == len(plan) and not outcome.interrupted
    assert len(list((tmp_path / "cache").rglob("*.json"))) == len(plan) - 1  # not cached


@needs_dask
@pytest.mark.slow
def test_stopping_keeps_what_is_done_and_a_rerun_finishes_the_rest(
    tiny: Assignment, tmp_path: Path, cluster: str
) -> None:
    plan = plan_submissions([make_subs(tmp_path / "subs", 10)])
    cache = ResultCache(tmp_path / "cache")
    seen: list[str] = []

    def stop_after_three(result: SubmissionResult, cached: bool) -> None:
        seen.append(result.id)
        if len(seen) == 3:
            raise KeyboardInterrupt

    settings = BatchSettings(cache=cache, cluster=cluster)
    outcome = run_batch(tiny, plan, stop_after_three, settings=settings)
    assert outcome.interrupted and 3 <= outcome.emitted == len(seen) < len(plan)
    order = [sid for sid, _ in plan]
    assert seen == sorted(seen, key=order.index)
    again, cached, outcome = collect(tiny, plan, cache=cache, cluster=cluster)
    assert [r.id for r in again] == order and not outcome.interrupted
    assert outcome.graded == len(plan) - len(seen)  # nothing graded twice
    assert [r.id for r, c in zip(again, cached, strict=True) if c] == seen


@needs_dask
@pytest.mark.slow
def test_a_worker_without_a_layer_makes_strict_refuse(
    tmp_path: Path,
    cluster: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from distributed import Client, WorkerPlugin

    monkeypatch.chdir(tmp_path)
    make_subs(tmp_path / "subs", 3)
    argv = ["grade", str(TINY), "subs", "--no-cache", "--cluster", cluster, "--json", "r.json"]

    class WeakSandbox(WorkerPlugin):  # type: ignore[misc]
        """The worker's sandboxes go without the network layer."""

        def setup(self, worker: Any) -> None:
            import grader.runner
            from grader.sandbox.host import Zygote

            class WeakZygote(Zygote):
                def __init__(self, *args: Any, **kwargs: Any) -> None:
                    super().__init__(*args, **{**kwargs, "disable": ["network"]})

            grader.runner.Zygote = WeakZygote  # type: ignore[misc]

        def teardown(self, worker: Any) -> None:
            import grader.runner
            from grader.sandbox.host import Zygote

            grader.runner.Zygote = Zygote  # type: ignore[misc]

    with Client(cluster) as client:
        client.register_plugin(WeakSandbox(), name="weak-sandbox")
        try:
            assert main([*argv, "--strict"]) == ExitCode.SANDBOX_ERROR
            err = capsys.readouterr().err
            assert "strict mode: isolation layers missing" in err and "Traceback" not in err
            assert not (tmp_path / "r.json").exists()
            assert main(argv) == ExitCode.OK
        finally:
            client.unregister_worker_plugin("weak-sandbox")
    assert "warning: network isolation unavailable" in capsys.readouterr().err
    doc = json.loads((tmp_path / "r.json").read_text())
    assert doc["isolation"]["network"] is False and len(doc["submissions"]) == 3


@needs_dask
@pytest.mark.slow
def test_grade_local_n_starts_and_closes_its_own_cluster(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    make_subs(tmp_path / "subs", 4)
    argv = ["grade", str(TINY), "subs", "--cluster", "local:2", "--json", "r.json"]
    assert main(argv) == ExitCode.OK
    doc = json.loads((tmp_path / "r.json").read_text())
    assert [s["score"] for s in doc["submissions"]] == [6.0, 0.0, 3.0, 6.0]
    assert main(argv) == ExitCode.OK  # everything from the cache this time
    assert "0 graded, 4 from the cache" in capsys.readouterr().err


@needs_dask
@pytest.mark.slow
def test_workers_refuse_a_bundle_whose_hash_differs_or_another_grader_version(
    tiny: Assignment, cluster: str
) -> None:
    from distributed import Client

    from grader.batch_dask import make_bundle
    from grader.batch_dask_worker import GraderPlugin
    from grader.errors import GraderError

    bundle = make_bundle(tiny)
    tampered = GraderPlugin(bundle.data + b"x", bundle.sha256, bundle.root, "all", False)
    other = GraderPlugin(bundle.data, bundle.sha256, bundle.root, "all", False)
    other.version = "0.0.1"
    with Client(cluster) as client:
        try:
            with pytest.raises(AssignmentError, match="refused"):
                client.register_plugin(tampered, name="tampered")
            with pytest.raises(GraderError, match=r"runs grader .*, its client 0\.0\.1"):
                client.register_plugin(other, name="other")
        finally:
            for name in ("tampered", "other"):
                client.unregister_worker_plugin(name)
