"""Batch-grading benchmark: N course-style submissions of the planar assignment.

Generates N notebooks (mostly the reference solution, some with each lecture mistake from
``mutants.toml``: the solution with one extra cell holding the mutant's code; in several
styles), grades them with full isolation through :func:`grader.batch.run_batch` (streaming
the JSON report, no cache), and prints submissions per second and the peak memory of the
grader process and of its children; then it grades the first ``--account`` submissions again
in a row in this process and splits their CPU between the grader, the sandbox child (user and
kernel) and the zygote, for notebooks with full marks and for the others. It also times
executing the reference notebook in a Jupyter kernel with nbclient, one fresh kernel per
notebook as nbgrader does, and prints the ratio.

    python benchmarks/batch.py --n 1000 --jobs 2
    python benchmarks/batch.py --n 10000 --jobs 2 --kernel-runs 0   # memory stays flat?
    python benchmarks/batch.py --n 400 --cluster local:2 --kernel-runs 0   # Dask's overhead

With ``--cluster``, the same submissions are graded twice, by the local process backend
(``--jobs`` workers; for ``local:N``, N) and on the cluster, and the cost per submission of
going through Dask is printed beside it.

Benchmark-only dependencies (not in pyproject): ``pip install ipykernel nbclient
matplotlib`` (the notebook plots); without them the kernel comparison is skipped.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grader.assignment import Assignment, load_assignment  # noqa: E402
from grader.batch import BatchSettings, plan_submissions, run_batch  # noqa: E402
from grader.reports.stats import StatsAccumulator  # noqa: E402
from grader.reports.stream import JsonStream  # noqa: E402
from grader.results import SubmissionResult  # noqa: E402

Notebook = dict[str, Any]


# -- generating submissions ----------------------------------------------------------------


def load_mutants(path: Path | None) -> list[tuple[str, str]]:
    """(name, code) of every ``[[mutant]]`` in mutants.toml (none if there is no file)."""
    if path is None or not path.is_file():
        return []
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return [(m["name"], m["code"]) for m in data.get("mutant", []) if "code" in m]


def _code_cell(source: str) -> dict[str, Any]:
    return {
        "cell_type": "code",
        "execution_count": None,
        "metadata": {},
        "outputs": [],
        "source": source,
    }


def _style(nb: Notebook, style: str, student: int) -> Notebook:
    """Vary what students' files look like without changing what they define."""
    cells = nb["cells"]
    if style == "lines":  # sources as lists of lines, as Jupyter itself writes them
        for cell in cells:
            text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            cell["source"] = text.splitlines(keepends=True)
    elif style == "extra_cells":  # a helper and notes of the student's own
        cells.insert(3, {"cell_type": "markdown", "metadata": {}, "source": "My notes."})
        cells.append(_code_cell(f"def my_helper_{student}(x):\n    return x * 2\n"))
    elif style == "executed":  # outputs and execution counts, no cell ids
        for n, cell in enumerate(c for c in cells if c["cell_type"] == "code"):
            cell["execution_count"] = n + 1
            cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "ok\n"}]
        for cell in cells:
            cell.pop("id", None)
        nb["nbformat_minor"] = min(nb.get("nbformat_minor", 4), 4)
    elif style == "crlf":  # a notebook edited on Windows
        for cell in cells:
            text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            cell["source"] = text.replace("\n", "\r\n")
    cells.append(_code_cell(f"# student {student}: submitted\n"))  # unique bytes per student
    return nb


def generate(
    folder: Path, n: int, solution: Notebook, mutants: list[tuple[str, str]]
) -> dict[str, int]:
    """Write ``n`` submissions to ``folder``: ~75% correct, the rest cycling through mutants."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(1)
    styles = ["plain", "lines", "extra_cells", "executed", "crlf"]
    kinds: dict[str, int] = {}
    for i in range(n):
        nb = copy.deepcopy(solution)
        kind = "correct"
        if mutants and rng.random() < 0.25:
            kind, code = mutants[i % len(mutants)]
            nb["cells"].append(_code_cell(code))
        nb = _style(nb, styles[i % len(styles)], i)
        (folder / f"student{i:05d}.ipynb").write_text(json.dumps(nb, indent=1), encoding="utf-8")
        kinds[kind] = kinds.get(kind, 0) + 1
    return kinds


# -- grading ------------------------------------------------------------------------------------


def grade(
    assignment: Assignment,
    folder: Path,
    out: Path,
    jobs: int,
    parallel: str,
    cluster: str | None = None,
) -> dict[str, Any]:
    """Grade every submission in ``folder`` (JSON streamed to ``out``); timings and stats."""
    plan = plan_submissions([folder])
    stats = StatsAccumulator(0.0)
    stream = JsonStream(out / "results.json", len(plan))
    first: list[float] = []
    cpu: list[float] = []  # this process's CPU seconds at the first result
    last: list[float] = []  # the time and CPU seconds at the last result (not the shutdown)
    totals = {"graded": 0, "invalid": 0}
    durations: list[float] = []  # each submission's own grading time, where it was graded
    kinds: dict[str, list[Path]] = {"full marks": [], "with mistakes": []}
    # Sampled while grading: ru_maxrss also counts generating the notebooks, before it.
    rss = [rss_mb()]

    def on_result(result: SubmissionResult, cached: bool) -> None:
        if not first:
            first.append(time.perf_counter())
            cpu.append(_cpu_seconds())
        last[:] = [time.perf_counter(), _cpu_seconds()]
        stream.add(result)
        stats.add(result)
        totals[result.status] = totals.get(result.status, 0) + 1
        durations.append(result.duration_s)
        kind = "full marks" if result.score == result.max_score else "with mistakes"
        kinds[kind].append(Path(result.path))
        if len(durations) % 50 == 1:
            rss.append(rss_mb())

    settings = BatchSettings(jobs=jobs, backend=parallel, cluster=cluster)  # type: ignore[arg-type]
    start = time.perf_counter()
    before = os.times()
    outcome = run_batch(assignment, plan, on_result, settings=settings)
    end = time.perf_counter()
    after = os.times()
    stream.finish(outcome.header, partial=outcome.interrupted)
    steady = (len(plan) - 1) / (last[0] - first[0]) if last and last[0] > first[0] else 0.0
    return {
        "n": len(plan),
        "seconds": end - start,
        "rate": len(plan) / (end - start),
        "steady_rate": steady,
        "startup": first[0] - start,
        "stats": stats.stats(),
        "isolation": outcome.header.isolation,
        "totals": totals,
        # What the grading process itself (and, with --cluster local:N, the scheduler it
        # hosts) costs per submission once results flow.
        "own_cpu_ms": 1000 * (last[1] - cpu[0]) / max(1, len(plan) - 1),
        "mean_duration": statistics.fmean(durations) if durations else 0.0,
        "cpu": cpu_accounts(before, after, len(plan)),
        "memory": peak_memory_mb(),  # before the kernel runs, which are children too
        "kinds": kinds,
        "rss": (rss[0], max(rss), rss_mb()),
    }


def cpu_accounts(before: os.times_result, after: os.times_result, n: int) -> dict[str, float]:
    """CPU milliseconds per submission over the whole batch (start-up and shutdown included).

    ``os.times`` of this process (the grader's parent) and of its waited-for descendants:
    worker processes, and whatever they waited for in turn (zygotes, sandbox children), summed
    by the kernel as each exits and is reaped. Descendants still alive or never reaped are not
    counted, so the children's figure is a lower bound. ``user`` is time running Python and
    numpy; ``system`` is time in the kernel on the processes' behalf (fork, namespaces, pipes,
    exit). Workers and sandboxes are not told apart here (both are children): ``account``
    splits them.
    """
    per = 1000 / max(1, n)
    return {
        "grader_user": (after.user - before.user) * per,
        "grader_system": (after.system - before.system) * per,
        "children_user": (after.children_user - before.children_user) * per,
        "children_system": (after.children_system - before.children_system) * per,
    }


def _proc_times(pid: int | None) -> tuple[float, float, float, float]:
    """(user, system, reaped children's user, their system) seconds of ``pid`` (Linux)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return (0.0, 0.0, 0.0, 0.0)
    tick = os.sysconf("SC_CLK_TCK")
    utime, stime, cutime, cstime = (int(x) / tick for x in fields[11:15])
    return utime, stime, cutime, cstime


def account(assignment: Assignment, groups: dict[str, list[Path]]) -> dict[str, dict[str, float]]:
    """CPU ms per submission in each process, from submissions graded serially here.

    This process plays the worker: its own CPU is the grader's (reading, extraction, checks,
    the reference, the wire). The zygote's own CPU is forks and cgroups; sandbox children are
    reaped by the zygote, so their CPU is the zygote's children's: user (student code, the
    child's side of the wire) and system (fork, namespaces, page faults, exit). Each group
    (notebooks with full marks, the others) is graded in a row and measured as a whole, since
    a child is reaped a little after its submission's result.
    """
    from grader.runner import Grader

    out: dict[str, dict[str, float]] = {}
    with Grader(assignment) as grader:
        for kind, files in groups.items():
            if not files:
                continue
            grader.grade_path(files[0], "warm-up")  # first-call costs are start-up
            time.sleep(0.2)
            own0, z0 = os.times(), _proc_times(grader.zygote.pid)
            for i, path in enumerate(files):
                grader.grade_path(path, f"sample{i}")
            time.sleep(0.2)  # the last child is reaped
            own1, z1 = os.times(), _proc_times(grader.zygote.pid)
            per = 1000 / len(files)
            out[kind] = {
                "n": len(files),
                "grader_user": (own1.user - own0.user) * per,
                "grader_system": (own1.system - own0.system) * per,
                "child_user": (z1[2] - z0[2]) * per,
                "child_system": (z1[3] - z0[3]) * per,
                "zygote": ((z1[0] + z1[1]) - (z0[0] + z0[1])) * per,
            }
    return out


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def rss_mb() -> float:
    """This process's resident memory now, in MiB (Linux; 0 elsewhere)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0.0


def peak_memory_mb() -> tuple[float, float]:
    """ru_maxrss of this process and of the largest waited-for descendant, in MiB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


# -- the Jupyter-kernel comparison --------------------------------------------------------------


def kernel_seconds(
    notebook: Path, helpers: list[Path], runs: int, extra_path: str | None
) -> tuple[float | None, str]:
    """Median seconds to execute ``notebook`` in a fresh kernel (nbclient), or why not.

    ``extra_path`` is put on the kernel's PYTHONPATH (e.g. a folder where matplotlib was
    installed with ``pip install --target``, so the grader's own environment stays as is).
    """
    if extra_path:
        os.environ["PYTHONPATH"] = os.pathsep.join(
            p for p in (extra_path, os.environ.get("PYTHONPATH")) if p
        )
    try:
        import nbclient
        import nbformat
    except ImportError as exc:
        return None, f"skipped: {exc.name} is not installed (pip install ipykernel nbclient)"
    times = []
    errors = ""
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as work:
            for helper in helpers:
                shutil.copy(helper, work)
            nb = nbformat.read(str(notebook), as_version=4)  # type: ignore[no-untyped-call]
            client = nbclient.NotebookClient(
                nb,
                timeout=600,
                kernel_name="python3",
                allow_errors=True,
                resources={"metadata": {"path": work}},
            )
            t0 = time.perf_counter()
            try:
                client.execute()
            except Exception as exc:  # no kernel, kernel died...
                return None, f"skipped: the kernel could not run the notebook ({exc!r:.200})"
            times.append(time.perf_counter() - t0)
            failed = [
                c
                for c in nb.cells
                if any(o.get("output_type") == "error" for o in c.get("outputs", []))
            ]
            if failed:
                errors = f" ({len(failed)} cells raised errors: timing is a lower bound)"
    return statistics.median(times), f"median of {runs} runs{errors}"


# -- main ---------------------------------------------------------------------------------------


def _report(result: dict[str, Any], kernel: tuple[float | None, str]) -> None:
    own, children = result["memory"]
    stats = result["stats"]
    print(f"isolation: {result['isolation']}")
    print(
        f"graded {result['n']} submissions in {result['seconds']:.1f} s: "
        f"{result['rate']:.1f} submissions/s overall, {result['steady_rate']:.1f}/s after "
        f"the first result ({result['startup']:.2f} s start-up)"
    )
    print(
        f"scores: mean {stats.mean:.2f}, median {stats.median}, "
        f"graded {stats.graded}, invalid {stats.invalid}"
    )
    worst = ", ".join(f"{r.id} {r.rate:.0%}" for r in stats.test_rates[:5])
    print(f"most failed tests: {worst}")
    cpu = result["cpu"]
    print(
        f"CPU ms per submission (os.times over the batch): grader process "
        f"{cpu['grader_user']:.1f} user + {cpu['grader_system']:.1f} system; reaped descendants "
        f"(workers, zygotes, sandbox children) {cpu['children_user']:.1f} user + "
        f"{cpu['children_system']:.1f} system (kernel); wall {1000 / result['rate']:.1f} ms"
    )
    before, peak, after = result["rss"]
    print(
        f"peak memory (ru_maxrss): grader process {own:.0f} MiB (generating the notebooks "
        f"included); largest child process (worker, zygote or sandbox) {children:.0f} MiB"
    )
    print(
        f"grader process resident memory while grading (every 50 results): {before:.0f} MiB "
        f"before, {peak:.0f} MiB at most, {after:.0f} MiB at the end"
    )
    for kind, row in result.get("account", {}).items():
        print(
            f"CPU ms per submission, {kind} ({row['n']:.0f} graded in a row in one worker): "
            f"grader {row['grader_user']:.1f} user + {row['grader_system']:.1f} system; "
            f"sandbox children {row['child_user']:.1f} user + {row['child_system']:.1f} "
            f"system (fork, namespaces, page faults, exit); zygote {row['zygote']:.1f}"
        )
    seconds, how = kernel
    per_sub = result["seconds"] / result["n"]
    if seconds is None:
        print(f"Jupyter kernel comparison {how}")
    else:
        print(
            f"executing the notebook in a Jupyter kernel (nbclient): {seconds:.2f} s per "
            f"notebook, {how}"
        )
        print(
            f"grader: {per_sub * 1000:.1f} ms per submission -> {seconds / per_sub:.0f}x "
            "faster than one kernel execution per notebook"
        )


def compare_cluster(assignment: Assignment, base: Path, args: argparse.Namespace) -> None:
    """Grade the same submissions with local processes, then on the cluster; print both."""
    local_n = args.cluster.removeprefix("local:")
    jobs = int(local_n) if local_n.isdigit() else args.jobs
    rows = []
    for name, parallel, cluster in (
        (f"processes -j {jobs}", "processes", None),
        (f"--cluster {args.cluster}", "processes", args.cluster),
    ):
        out = base / name.replace(" ", "_").replace(":", "_").replace("/", "_")
        out.mkdir()
        result = grade(assignment, base / "submissions", out, jobs, parallel, cluster)
        rows.append((name, result))
        print(
            f"{name:>24}: {result['rate']:.1f} submissions/s overall, "
            f"{result['steady_rate']:.1f}/s after the first result "
            f"({result['startup']:.2f} s start-up, {result['seconds']:.1f} s in all); "
            f"grading itself {result['mean_duration'] * 1000:.1f} ms per submission, "
            f"this process's CPU {result['own_cpu_ms']:.1f} ms per submission"
        )
    (_, local), (_, dask) = rows
    if local["stats"].mean != dask["stats"].mean or local["totals"] != dask["totals"]:
        print("WARNING: the two runs' results differ")
    per_local = 1000 / local["steady_rate"]
    per_dask = 1000 / dask["steady_rate"]
    print(
        f"cost per submission (steady): processes {per_local:.1f} ms, cluster {per_dask:.1f} ms "
        f"-> Dask overhead {per_dask - per_local:+.1f} ms ({per_dask / per_local - 1:+.1%})"
    )
    print(f"isolation on the cluster: {dask['isolation']}")
    # The transport alone: submissions refused at once (empty files) cost almost nothing to
    # grade, so the rate at which each backend turns them over is its own cost per submission.
    trivial = base / "trivial"
    trivial.mkdir()
    for i in range(args.n):
        (trivial / f"empty{i:05d}.py").write_bytes(b"")
    costs = []
    for parallel, cluster in (("processes", None), ("processes", args.cluster)):
        out = base / f"trivial-{len(costs)}"
        out.mkdir()
        result = grade(assignment, trivial, out, jobs, parallel, cluster)
        costs.append(1000 / result["steady_rate"])
    print(
        f"transport alone ({args.n} empty files): processes {costs[0]:.2f} ms, cluster "
        f"{costs[1]:.2f} ms per submission -> {costs[1] - costs[0]:+.2f} ms, "
        f"{(costs[1] - costs[0]) / per_local:+.1%} of a graded submission's {per_local:.1f} ms"
    )


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; returns 0."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="submissions to generate")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--parallel", choices=("processes", "threads"), default="processes")
    parser.add_argument(
        "--cluster",
        metavar="ADDRESS",
        help="also grade on Dask (local:N or tcp://host:8786) and compare with processes",
    )
    parser.add_argument("--keep", metavar="DIR", help="keep submissions and results here")
    parser.add_argument(
        "--account",
        type=int,
        default=100,
        metavar="N",
        help="grade N submissions serially to split the CPU between processes (0 skips)",
    )
    parser.add_argument("--kernel-runs", type=int, default=3, help="0 skips the comparison")
    parser.add_argument(
        "--kernel-path", metavar="DIR", help="added to the kernel's PYTHONPATH (matplotlib...)"
    )
    parser.add_argument(
        "--assignment", default=str(ROOT / "assignments" / "planar_data_classification")
    )
    parser.add_argument(
        "--template",
        metavar="NOTEBOOK",
        help="make the submissions from this notebook instead of the solution (e.g. "
        "tests/data/planar/course_2018_style.ipynb, the 2018 course's own layout)",
    )
    args = parser.parse_args(argv)
    assignment = load_assignment(args.assignment)
    solution_path = assignment.solution or ROOT / "solutions" / f"{assignment.id}.ipynb"
    template = Path(args.template) if args.template else Path(solution_path)
    solution = json.loads(template.read_text(encoding="utf-8"))
    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="grader-bench-"))
    try:
        kinds = generate(base / "submissions", args.n, solution, load_mutants(assignment.mutants))
        print(
            f"generated {args.n} submissions in {base}: {kinds.get('correct', 0)} correct, "
            f"{args.n - kinds.get('correct', 0)} with one of {len(kinds) - 1} mistakes"
        )
        if args.cluster:
            compare_cluster(assignment, base, args)
            return 0
        result = grade(assignment, base / "submissions", base, args.jobs, args.parallel)
        if args.account > 0 and sys.platform == "linux":
            # The batch's own mix: the first N submissions, by what they earned.
            first = {str(p) for p in sorted((base / "submissions").glob("*.ipynb"))[: args.account]}
            groups = {k: [p for p in v if str(p) in first] for k, v in result["kinds"].items()}
            result["account"] = account(assignment, groups)
        kernel: tuple[float | None, str] = (None, "skipped (--kernel-runs 0)")
        if args.kernel_runs > 0:
            kernel = kernel_seconds(
                Path(solution_path), list(assignment.helpers), args.kernel_runs, args.kernel_path
            )
        _report(result, kernel)
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
