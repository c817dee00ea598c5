"""Issue 12, item 4: one mistake, one deduction.

While a check calls the student's F, the reference's versions of the other graded functions
stand in for the student's: the child calls back, the grader runs them here and answers with
data. These tests hold the feature to its promises: correct results, the reference's code never
in the sandbox, seeded random draws unchanged, bounded count, time and work, and the runner's
per-check switch and note.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from checks_harness import InProcess, failing
from sandbox_helpers import program

from grader import session
from grader.assignment import load_assignment
from grader.errors import AssignmentError
from grader.runner import Grader
from grader.sandbox import Limits, Zygote, wire
from grader.session import SandboxSubmission
from grader.standins import StandIns, calls, compatible, draws, standin_notes
from grader.testing import LocalSubmission, Signature, StudentCodeError

ROOT = Path(__file__).resolve().parents[1]
PLANAR = ROOT / "assignments" / "planar_data_classification"
PLANAR_SOLUTION = ROOT / "solutions" / "planar_data_classification.ipynb"
SCENARIOS = Path(__file__).parent / "data" / "planar" / "scenarios"
LIMITS = Limits(call_timeout_s=3.0, load_timeout_s=5.0, memory_mb=1024)
SECRET = "reference-secret-7f3a"


def g(x: Any) -> Any:
    """The reference's g: a correct ``x + 1`` (and a constant the sandbox must never see)."""
    if isinstance(x, str) and x == SECRET:
        return None
    return x + 1


def noisy(n: int) -> Any:
    """The reference's noisy: n standard normal draws from numpy's global generator."""
    print("the reference printed this")
    return np.random.randn(n)


def strict(x: Any) -> Any:
    if not isinstance(x, int):
        raise ValueError("strict takes an int")
    return x


def slow(x: Any) -> Any:
    time.sleep(0.4)
    return x


def zeros(n: int) -> Any:
    return np.zeros(n)


# The reference's callers: a stand-in serves only what the exercise's caller calls.
def f(x: Any) -> Any:
    return g(x)


def peek() -> Any:
    return g(1)


def seeded() -> Any:
    return noisy(3)


def catches() -> Any:
    return strict(0)


def loop(n: int) -> Any:
    return sum(g(i) for i in range(n))


def slow_user() -> Any:
    return slow(0)


def huge() -> Any:
    return zeros(1)


def unsendable() -> Any:
    return g(1)


def oracle() -> Any:
    return 0  # the exercise's oracle calls nothing: g stays the student's


CALLERS = [f, peek, seeded, catches, loop, slow_user, huge, unsendable, oracle]
REFERENCE = SimpleNamespace(
    g=g, noisy=noisy, strict=strict, slow=slow, zeros=zeros, **{c.__name__: c for c in CALLERS}
)
NAMES = ["g", "noisy", "strict", "slow", "zeros", *(c.__name__ for c in CALLERS)]

STUDENT = """
import numpy as np
def g(x):
    return x + 100  # wrong
def f(x):
    return g(x)
def peek():
    parts = [repr(g(1)), repr(g.__code__.co_consts), repr(g.__code__.co_names)]
    parts.append(repr(g.__defaults__))
    for cell in g.__closure__ or ():
        parts.append(repr(cell.cell_contents))
        inner = cell.cell_contents
        parts.append(repr(getattr(inner, "__dict__", "")))
    return " ".join(parts)
def seeded():
    np.random.seed(3)
    return [noisy(3), np.random.randn(2)]
def catches():
    try:
        return strict("no")
    except ValueError as exc:
        return "caught: " + str(exc)
def loop(n):
    total = 0
    for i in range(n):
        total += g(i)
    return total
def slow_user():
    return [slow(i) for i in range(20)]
def huge():
    return zeros(10**9).shape
def oracle():
    return g(1)
def unsendable():
    try:
        g({1: 2})
    except TypeError as exc:
        return [g(1), str(exc)]
"""


@pytest.fixture(scope="module")
def zygote() -> Iterator[Zygote]:
    with Zygote([]) as z:
        yield z


def _units(source: str) -> list[str]:
    units = source.strip().split("\ndef ")
    return [units[0], *("def " + u for u in units[1:])]


@pytest.fixture()
def sub(zygote: Zygote) -> Iterator[SandboxSubmission]:
    submission = SandboxSubmission(zygote, program(*_units(STUDENT)), LIMITS)
    submission.start()
    submission.begin_check(0, StandIns(REFERENCE, NAMES))
    with submission.standing_in():  # as the runner's second run of a check that failed
        yield submission
    submission.close()


def test_the_reference_answers_for_the_students_other_functions(sub: SandboxSubmission) -> None:
    assert sub.f(1) == 2  # the reference's g, not the student's (which adds 100)
    assert sub.g(1) == 101  # a function called by the check itself is always the student's
    assert sub.standins is not None and sub.standins.used == {"g"}
    # Never an oracle: the exercise's oracle() does not call g, so the student's g answers.
    assert sub.oracle() == 101
    sub.standins = None  # off: the student's functions call each other, as before
    assert sub.f(1) == 101


def test_the_reference_code_never_enters_the_sandbox(sub: SandboxSubmission) -> None:
    seen = sub.peek()
    assert isinstance(seen, str) and seen.startswith("2 ")  # the reference's g answered
    assert SECRET not in seen and "x + 1" not in seen


def test_seeded_draws_are_the_ones_the_students_own_code_would_make(
    sub: SandboxSubmission, capsys: pytest.CaptureFixture[str]
) -> None:
    before = np.random.get_state()[1].copy()
    first, after = sub.seeded()
    expected = np.random.RandomState(3).randn(5)
    np.testing.assert_array_equal(first, expected[:3])
    np.testing.assert_array_equal(after, expected[3:])  # the stream goes on in the child
    assert np.array_equal(np.random.get_state()[1], before)  # the grader's own is untouched
    assert "the reference printed this" not in capsys.readouterr().out


def test_what_the_reference_raises_is_raised_where_the_student_called_it(
    sub: SandboxSubmission,
) -> None:
    assert sub.catches() == (
        "caught: the exercise's strict, standing in for yours, raised ValueError: strict "
        "takes an int"
    )


def test_the_number_of_call_backs_is_bounded(
    sub: SandboxSubmission, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(session, "MAX_CALLBACKS", 50)
    assert sub.loop(50) == sum(range(1, 51))
    with pytest.raises(StudentCodeError) as info:
        sub.loop(51)
    assert "more than 50 times" in info.value.message


def test_call_backs_count_against_the_calls_time_limit(sub: SandboxSubmission) -> None:
    start = time.monotonic()
    with pytest.raises(StudentCodeError) as info:
        sub.slow_user()  # 20 x 0.4 s of the grader's time, for a 3 s call
    assert info.value.kind == "timeout"
    assert time.monotonic() - start < 4.0  # at most one served call beyond the limit


def test_work_beyond_the_bound_is_left_to_the_students_own_function(
    sub: SandboxSubmission,
) -> None:
    with pytest.raises(StudentCodeError) as info:
        sub.huge()  # zeros(10**9) is not run here; the student has no zeros of their own
    assert "ask for too much work" in info.value.message


def test_arguments_that_cannot_cross_go_to_the_students_own_function(
    sub: SandboxSubmission,
) -> None:
    # A dict with an int key cannot cross: the student's own g takes it (and fails); then
    # the reference's answers g(1) again.
    stood_in, error = sub.unsendable()
    assert stood_in == 2 and "int" in error


def test_a_student_g_of_another_signature_is_not_replaced() -> None:
    assert compatible(g, None)  # missing: the reference stands in
    assert compatible(g, Signature(1, 1, False, ("value",)))  # a rename
    assert not compatible(g, Signature(2, 1, False, ("x", "y")))
    assert not compatible(g, Signature(1, 1, True, ("x",)))
    stand = StandIns(REFERENCE, NAMES)
    signatures = {"g": Signature(2, 2, False, ("x", "y"))}
    assert stand.offer("f", signatures) == [] and stand.offer("f", {}) == ["g"]
    assert "g" not in stand.offer("g", {})


def test_only_offered_names_are_served() -> None:
    stand = StandIns(REFERENCE, NAMES)
    message = {"op": "callback", "name": "strict", "args": [1], "kwargs": {}}
    answer = wire.decode(stand.serve(["g"], message, 1 << 20))
    assert answer["status"] == "error" and stand.used == set()
    answer = wire.decode(stand.serve(["strict"], {**message, "args": [1, 2]}, 1 << 20))
    assert answer["status"] == "own"  # does not bind to the reference's signature
    answer = wire.decode(stand.serve(["zeros"], {**message, "name": "zeros",
                                                 "args": [10**6]}, 1 << 20))
    assert answer["status"] == "error" and "cannot be sent back" in answer["message"]


def test_only_what_the_exercises_function_calls_stands_in() -> None:
    stand = StandIns(REFERENCE, NAMES)
    assert stand.offer("f", {}) == ["g"] and stand.offer("oracle", {}) == []
    assert stand.offer("loop", {}) == ["g"]  # inside a generator expression too
    assert calls(seeded, NAMES) == {"noisy"}


def test_which_reference_functions_draw() -> None:
    assert draws(noisy) and not draws(g)

    def calls_noisy() -> Any:
        return noisy(2)

    assert draws(calls_noisy)


def test_notes_only_for_a_stand_in_that_replaced_a_wrong_function() -> None:
    used = [("predict", {"forward_propagation"}), ("nn_model", {"compute_cost", "layer_sizes"})]
    assert standin_notes(used, {"forward_propagation"}) == [
        "`predict` was graded with a correct `forward_propagation` standing in for yours, so "
        "that a mistake in `forward_propagation` costs points only in its own checks"
    ]
    assert standin_notes(used, set()) == []


def test_local_submission_stands_in_like_the_sandbox() -> None:
    namespace: dict[str, Any] = {}
    exec("def g(x):\n    return x + 100\ndef f(x):\n    return g(x)\n", namespace)
    functions = {"f": namespace["f"], "g": namespace["g"]}
    local = LocalSubmission(functions, namespace=namespace, standins={"g": g, "f": f})
    assert local.f(1) == 2 and local.g(1) == 101
    assert namespace["g"](1) == 101  # restored after the call
    assert LocalSubmission(functions).f(1) == 101


# --- the runner: stand-ins by default, off per check, and the note ----------------------------

SOLUTION = "def double(x):\n    return 2 * x\n\n\ndef quad(x):\n    return double(double(x))\n"
CHECKS = '''
from grader.testing import CheckFailed, check


@check("double", "values", points=1)
def double_values(submission):
    if submission.double(3) != 6:
        raise CheckFailed("double(3) should be 6")


@check("quad", "values", points=1)
def quad_values(submission):
    value = submission.quad(3)
    if value != 12:
        raise CheckFailed(f"quad(3) should be 12, not {value}")


@check("quad", "together", points=1, standins=False)
def quad_together(submission):
    if submission.quad(3) != 12:
        raise CheckFailed("quad(3) should be 12 with your own double")
'''


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Grader]:
    root = tmp_path_factory.mktemp("chain")
    (root / "tests").mkdir()
    (root / "tests" / "checks.py").write_text(CHECKS)
    (root / "solution.py").write_text(SOLUTION)
    (root / "assignment.toml").write_text(
        'id = "chain"\nsolution = "solution.py"\nhidden_tests = ["tests/checks.py"]\n'
        'functions = ["double", "quad"]\n'
    )
    with Grader(load_assignment(root)) as grader:
        yield grader


def test_a_wrong_helper_costs_only_its_own_checks(chain: Grader, tmp_path: Path) -> None:
    path = tmp_path / "s.py"
    path.write_text(SOLUTION.replace("2 * x", "3 * x"))
    result = chain.grade_path(path, "s")
    outcomes = {t.id: t.outcome for t in result.tests}
    assert outcomes == {"double.values": "failed", "quad.values": "passed",
                        "quad.together": "failed"}
    assert (
        "`quad` was graded with a correct `double` standing in for yours, so that a mistake in "
        "`double` costs points only in its own checks"
    ) in result.warnings


def test_no_note_when_the_helper_is_right(chain: Grader, tmp_path: Path) -> None:
    path = tmp_path / "s.py"
    path.write_text(SOLUTION)
    result = chain.grade_path(path, "s")
    assert result.score == 3.0
    assert not [w for w in result.warnings if "standing in" in w]


def test_a_missing_helper_is_stood_in_for(chain: Grader, tmp_path: Path) -> None:
    path = tmp_path / "s.py"
    path.write_text("def quad(x):\n    return double(double(x))\n")
    result = chain.grade_path(path, "s")
    outcomes = {t.id: t.outcome for t in result.tests}
    assert outcomes == {"double.values": "missing", "quad.values": "passed",
                        "quad.together": "error"}


def test_a_check_that_fails_anyway_reports_the_run_with_stand_ins(
    chain: Grader, tmp_path: Path
) -> None:
    # Two mistakes: double triples, quad adds 1. quad's failure is about quad's own mistake:
    # with a correct double, quad(3) is 13 (with the student's double it would be 28).
    path = tmp_path / "s.py"
    path.write_text(SOLUTION.replace("2 * x", "3 * x").replace("double(x))", "double(x)) + 1"))
    result = chain.grade_path(path, "s")
    tests = {t.id: t for t in result.tests}
    assert tests["quad.values"].outcome == "failed"
    assert tests["quad.values"].message == "quad(3) should be 12, not 13"


def test_the_switch_in_assignment_toml(tmp_path: Path) -> None:
    root = tmp_path / "chain"
    (root / "tests").mkdir(parents=True)
    (root / "tests" / "checks.py").write_text(CHECKS)
    (root / "solution.py").write_text(SOLUTION)
    toml = (
        'id = "chain"\nsolution = "solution.py"\nhidden_tests = ["tests/checks.py"]\n'
        'functions = ["double", "quad"]\n[standins]\n'
    )
    (root / "assignment.toml").write_text(toml + 'off = ["quad.values", "quad.nope", "x.y"]\n')
    with pytest.raises(AssignmentError, match=r"'quad\.nope', 'x\.y', which no check has"):
        load_assignment(root)
    (root / "assignment.toml").write_text(toml + 'of = ["quad.values"]\n')
    with pytest.raises(AssignmentError, match="unknown key 'of'"):
        load_assignment(root)
    (root / "assignment.toml").write_text(toml + 'off = ["quad.values"]\n')
    path = tmp_path / "s.py"
    path.write_text(SOLUTION.replace("2 * x", "3 * x"))
    with Grader(load_assignment(root)) as grader:
        result = grader.grade_path(path, "s")
    outcomes = {t.id: t.outcome for t in result.tests}
    # quad.values is graded with the student's double, as the decorator's switch does.
    assert outcomes == {"double.values": "failed", "quad.values": "failed",
                        "quad.together": "failed"}
    assert not [w for w in result.warnings if "standing in" in w]


def _count_call_backs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    served = [0]
    original = StandIns.serve

    def counting(self: StandIns, *args: Any) -> bytes:
        served[0] += 1
        return original(self, *args)

    monkeypatch.setattr(StandIns, "serve", counting)
    return served


def test_a_correct_notebook_makes_no_call_backs(monkeypatch: pytest.MonkeyPatch) -> None:
    # Stand-ins cost a correct notebook nothing: each check runs once, without them.
    served = _count_call_backs(monkeypatch)
    with Grader(load_assignment(PLANAR)) as grader:
        correct = grader.grade_path(PLANAR_SOLUTION, "correct")
        assert correct.score == correct.max_score
        assert served[0] == 0
        # ... while a wrong helper still gets its callers graded with the exercise's.
        wrong = grader.grade_path(SCENARIOS / "mistake_forward_no_b1.ipynb", "wrong")
    assert served[0] > 0
    assert any("standing in" in w for w in wrong.warnings)


# --- the second run, with stand-ins: same seeds, its own time-outs ---------------------------

RERUN = """
import numpy as np
def g(x):
    if x == "loop":
        while True:
            pass
    return x + 100
def f(x):
    return [g(x), float(np.random.rand())]
"""


def test_the_second_run_draws_what_the_first_drew(zygote: Zygote) -> None:
    sub = SandboxSubmission(zygote, program(*_units(RERUN)), LIMITS)
    sub.start()
    try:
        sub.begin_check(4, StandIns(REFERENCE, ["g", "f"]))
        own, first = sub.f(1)
        assert own == 101 and sub.wanted == {"f"}  # stand-ins would apply: noted, not used
        assert sub.callbacks == 0
        with sub.standing_in():
            stood, again = sub.f(1)
        assert stood == 2 and again == first and sub.callbacks == 1
        after = sub.f(1)[1]
        # The next call draws what it would have drawn had there been no second run.
        plain = SandboxSubmission(zygote, program(*_units(RERUN)), LIMITS)
        plain.start()
        try:
            plain.begin_check(4, None)
            assert plain.f(1)[1] == first and plain.f(1)[1] == after
        finally:
            plain.close()
    finally:
        sub.close()


def test_a_time_out_without_stand_ins_does_not_stop_the_run_with_them(zygote: Zygote) -> None:
    sub = SandboxSubmission(zygote, program(*_units(RERUN)), LIMITS)
    sub.start()
    try:
        sub.begin_check(0, StandIns(REFERENCE, ["g", "f"]))
        for _ in range(2):  # the second time at once: not waited for again
            with pytest.raises(StudentCodeError) as info:
                sub.f("loop")
            assert info.value.kind == "timeout"
        assert "not run again" in str(info.value)
        with sub.standing_in(), pytest.raises(StudentCodeError, match="raised TypeError"):
            sub.f("loop")  # ran: the exercise's g cannot add 1 to a string
    finally:
        sub.close()


# --- judging a property on what was returned -------------------------------------------------


# Sizes hard-coded (not those asked for), every key there; W5 has the right number of entries.
HARD_CODED_DEEP = """
def initialize_parameters_deep(layer_dims):
    shapes = [(4, 5), (3, 4), (2, 3), (2, 2), (1, 2)]
    params = {}
    for l, shape in enumerate(shapes, start=1):
        params["W" + str(l)] = np.random.randn(*shape) * 0.01
        params["b" + str(l)] = np.zeros((shape[0], 1))
    return params
"""


def test_deep_symmetry_is_judged_on_the_rows_returned() -> None:
    harness = InProcess(
        "deep_initialization",
        ("initialize_parameters_deep", "initialize_parameters_he", "initialize_parameters_zeros"),
    )
    lost = failing(harness.run_all(harness.namespace(extra=HARD_CODED_DEEP)))
    assert "initialize_parameters_deep.shapes" in lost
    assert "initialize_parameters_deep.symmetry_breaking" not in lost


# --- a forged call back, written to the channel by student code ------------------------------

FORGER = '''
def f(x):
    import json, os, stat, struct, sys
    for fd in range(3, 64):
        try:
            if stat.S_ISSOCK(os.fstat(fd).st_mode):
                break
        except OSError:
            pass
    frame = sys._getframe()
    while not isinstance(frame.f_locals.get("request"), dict):
        frame = frame.f_back
    header = {"v": {"d": [["op", "callback"], ["id", frame.f_locals["request"]["id"]],
                          ["name", x], ["args", {"l": [1]}], ["kwargs", {"d": []}]]}, "b": []}
    raw = json.dumps(header).encode()
    body = b"GRW2" + struct.pack(">I", len(raw)) + raw
    os.write(fd, struct.pack(">Q", len(body)) + body)
    size = struct.unpack(">Q", os.read(fd, 8))[0]
    data = b""
    while len(data) < size:
        data += os.read(fd, size - len(data))
    (length,) = struct.unpack(">I", data[4:8])
    return {key: value for key, value in json.loads(data[8 : 8 + length])["v"]["d"]}
'''


def test_a_forged_call_back_gets_only_what_was_offered(zygote: Zygote) -> None:
    sub = SandboxSubmission(zygote, program(FORGER.strip()), LIMITS)
    sub.start()
    stack = contextlib.ExitStack()
    try:
        sub.begin_check(0, stand := StandIns(REFERENCE, NAMES))
        stack.enter_context(sub.standing_in())
        refused = dict(sub.f("oracle"))  # not offered while f runs: nothing is run for it
        assert refused["status"] == "error" and stand.used == set()
        answered = dict(sub.f("g"))  # offered: the same as calling the proxy
        assert answered["status"] == "ok" and answered["value"] == 2 and stand.used == {"g"}
    finally:
        stack.close()
        sub.close()


def _two(a: Any, b: Any, *, c: Any = 0) -> Any:
    return a


def _uses_all() -> Any:
    return g(1), _two(1, 2), max(1, 2), strict(1)


def test_offer_judges_signatures_as_compatible_does() -> None:
    """offer() reads the reference's signatures once; its answer stays compatible()'s, for a
    reference function without a signature (max) too."""
    reference = SimpleNamespace(g=g, _two=_two, max=max, strict=strict, _uses_all=_uses_all)
    names = ["g", "_two", "max", "strict", "_uses_all"]
    stand = StandIns(reference, names)
    students = [
        None,
        Signature(1, 1, False),
        Signature(1, 1, False, ("x",)),
        Signature(1, 1, False, ("value",)),
        Signature(1, 1, True, ("x",)),
        Signature(2, 2, False, ("a", "b")),
        Signature(2, 2, False, ("b", "a")),
        Signature(2, 1, False, ("a", "z")),
        Signature(3, 3, False, ("a", "b", "c")),
    ]
    for name in ["g", "_two", "max", "strict"]:
        for student in students:
            signatures = {} if student is None else {name: student}
            expected = compatible(getattr(reference, name), student)
            assert (name in stand.offer("_uses_all", signatures)) is expected, (name, student)
    assert "max" not in stand.offer("_uses_all", {"max": Signature(2, 2, False)})
    assert "max" in stand.offer("_uses_all", {})  # missing: the reference stands in


def test_fresh_stand_ins_share_the_functions_and_count_their_own_use() -> None:
    stand = StandIns(REFERENCE, NAMES)
    stand.used.add("g")
    other = stand.fresh()
    assert type(other) is StandIns and other is not stand
    assert other.used == set() and stand.used == {"g"}
    assert other.functions is stand.functions and other.callees == stand.callees
    message = {"op": "callback", "name": "g", "args": [1], "kwargs": {}}
    assert wire.decode(other.serve(["g"], message, 1 << 20)) == {"status": "ok", "value": 2}
    assert other.used == {"g"} and stand.used == {"g"}
    stand.used.clear()
    assert other.used == {"g"}


def _integers_reference(value: object, depth: int = 0) -> Any:
    """The sizes _too_much multiplies, as it was first written (a recursive generator)."""
    if depth > wire.MAX_DEPTH or isinstance(value, bool):
        return
    if isinstance(value, int):
        yield value
    elif isinstance(value, np.ndarray) and value.dtype.kind in "iu" and value.size <= 1000:
        yield from (int(v) for v in value.ravel())
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _integers_reference(item, depth + 1)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _integers_reference(item, depth + 1)


def test_too_much_multiplies_the_sizes_the_arguments_ask_for() -> None:
    from grader.standins import _too_much

    deep: Any = 7
    for _ in range(wire.MAX_DEPTH + 3):
        deep = [deep, 3]
    cases: list[Any] = [
        [[], {}],
        [[4, 5], {"n": 6}],
        [[True, False, 3.0, "9", None], {}],
        [[np.arange(-3, 40)], {}],
        [[np.arange(2000)], {}],  # too large an array to be read as sizes
        [[np.array([2**63 - 1], dtype=np.uint64), np.array([-(2**63)])], {}],
        [[np.ones((3, 4)), {"W1": np.ones((4, 2)), "b": (np.int32(5), [9, [10, {"k": 11}]])}], {}],
        [[np.zeros((2, 3), dtype=np.int8), np.array(True), np.array(12)], {}],
        [[deep], {}],
        [[0, -1, 1, 0], {}],
    ]
    for args in cases:
        numbers = list(_integers_reference(args))
        product = 1
        for number in numbers:
            product *= max(abs(number), 1)
        for limit in (-1, 0, 1, 100, 8 << 20, product - 1, product, product + 1):
            # Only an integer can ask for too much: no integers, never too much.
            expected = bool(numbers) and product > limit
            assert _too_much(args, limit) is expected, (args, limit)


def _plain(a: Any, b: Any = 2, /) -> Any:
    return ("plain", a, b)


def _mixed(a: Any, b: Any = 2, *rest: Any, c: Any = 3) -> Any:
    return ("mixed", a, b, rest, c)


def _needs_name(a: Any, *, c: Any) -> Any:
    return ("named", a, c)


def test_call_backs_bind_as_inspect_binds() -> None:
    """Positional call backs skip inspect's bind where it could only agree; every other call
    (and every refusal, with its message) is still inspect's."""
    import inspect

    reference = SimpleNamespace(_plain=_plain, _mixed=_mixed, _needs_name=_needs_name, g=g)
    stand = StandIns(reference, list(vars(reference)))
    calls_made: list[tuple[list[Any], dict[str, Any]]] = [
        ([], {}), ([1], {}), ([1, 5], {}), ([1, 5, 6], {}), ([1, 5, 6, 7], {}),
        ([1], {"b": 4}), ([1], {"c": 9}), ([], {"a": 1}), ([1], {"a": 1}), ([1], {"zz": 0}),
    ]
    for name, func in vars(reference).items():
        for args, kwargs in calls_made:
            message = {"op": "callback", "name": name, "args": args, "kwargs": kwargs}
            answer = wire.decode(stand.serve([name], message, 1 << 20))
            try:
                bound = inspect.signature(func).bind(*args, **kwargs)
            except TypeError as exc:
                assert answer == {"status": "own", "message": f"{name}() {exc}"}, answer
                continue
            expected = func(*bound.args, **bound.kwargs)
            assert answer["status"] == "ok", answer
            assert answer["value"] == expected, (answer, expected)
