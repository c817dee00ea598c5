"""Remembered reference results (grader.memo): a hit gives exactly what a fresh call gives.

The unit tests pin each rule of the store; the last tests grade the reference, every mutant and
every scenario notebook of both assignments with and without the store and compare the results.
"""

from __future__ import annotations

import dataclasses
import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from grader import memo
from grader.assignment import load_assignment
from grader.memo import MemoStore, Unmemoisable, digest
from grader.mutants import load_mutants, mutant_source
from grader.notebook import read_submission
from grader.reference import MemoReference
from grader.results import SubmissionResult
from grader.runner import Grader

REPO = Path(__file__).resolve().parents[1]


class Counted:
    """A function that counts its real calls."""

    def __init__(self, func: Any) -> None:
        self.func = func
        self.calls = 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        return self.func(*args, **kwargs)


# -- keys --------------------------------------------------------------------------------------


def test_digest_tells_types_and_layouts_apart() -> None:
    a = np.arange(6.0).reshape(2, 3)
    distinct = [
        1, 1.0, True, "1", b"1", None, [1], (1,), {"a": 1}, {"a": 1.0},
        a, np.asfortranarray(a), a.astype(np.float32), a.reshape(3, 2), np.float64(1.0),
        {"a": 1, "b": 2}, {"b": 2, "a": 1}, -0.0, 0.0,
    ]  # fmt: skip
    digests = [digest(v) for v in distinct]
    assert len(set(digests)) == len(distinct)
    assert digest(a) == digest(a.copy())
    assert digest({"x": [a, (1, "s")]}) == digest({"x": [a.copy(), (1, "s")]})


def _nested(depth: int) -> Any:
    value: Any = []
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(
    "value",
    [object(), np.array([object()]), {"a": {1, 2}}, np.ma.masked_array([1.0]), _nested(40)],
)
def test_only_plain_data_is_digested(value: Any) -> None:
    with pytest.raises(Unmemoisable):
        digest(value)


# -- the store ---------------------------------------------------------------------------------


def test_same_question_computed_once_and_answers_are_copies() -> None:
    store = MemoStore()
    f = Counted(lambda x, scale=2.0: {"y": x * scale, "n": [1, 2]})
    x = np.ones(3)
    first = store.call("f", f, (x,), {})
    first["y"][0] = 99.0  # the caller changes what it got
    first["n"].append(3)
    second = store.call("f", f, (x.copy(),), {})
    assert f.calls == 1 and store.hits == 1
    np.testing.assert_array_equal(second["y"], 2 * np.ones(3))
    assert second["n"] == [1, 2]
    store.call("f", f, (x,), {"scale": 3.0})  # another question
    store.call("f", f, (x + 1,), {})
    assert f.calls == 3


def test_a_function_that_changes_its_arguments_is_never_remembered() -> None:
    store = MemoStore()

    def step(params: dict[str, Any]) -> float:
        params["W"] -= 1.0
        return float(params["W"].sum())

    f = Counted(step)
    p = {"W": np.zeros(2)}
    assert store.call("step", f, (p,), {}) == -2.0
    q = {"W": np.zeros(2)}
    assert store.call("step", f, (q,), {}) == -2.0
    np.testing.assert_array_equal(q["W"], -np.ones(2))  # the change happened again
    assert f.calls == 2 and store.hits == 0


def test_a_function_that_returns_its_argument_is_never_remembered() -> None:
    store = MemoStore()
    f = Counted(lambda a: (a, a[:1]))
    x = np.ones(3)
    got = store.call("same", f, (x,), {})
    assert got[0] is x
    store.call("same", f, (x,), {})
    assert f.calls == 2


def test_exceptions_and_objects_are_not_remembered() -> None:
    store = MemoStore()
    boom = Counted(lambda x: 1 / x)
    for _ in range(2):
        with pytest.raises(ZeroDivisionError):
            store.call("boom", boom, (0,), {})
    assert boom.calls == 2
    objects = Counted(lambda: object())
    store.call("obj", objects, (), {})
    store.call("obj", objects, (), {})
    assert objects.calls == 2
    gen = Counted(lambda rng: rng.normal())
    store.call("gen", gen, (np.random.default_rng(1),), {})
    store.call("gen", gen, (np.random.default_rng(1),), {})
    assert gen.calls == 2


def _draws(n: int) -> tuple[Any, float]:
    return np.random.randn(n), random.random()


def test_global_generators_are_part_of_the_question() -> None:
    """Calls that draw from numpy's or Python's global generator answer as fresh calls do,
    and leave both generators where fresh calls leave them."""

    def run(store: MemoStore | None) -> list[Any]:
        np.random.seed(5)
        random.seed(5)
        f = Counted(_draws)
        out = []
        for n in (2, 2, 3, 2):
            out.append(store.call("draws", f, (n,), {}) if store is not None else f(n))
        np.random.seed(5)  # the same states again: now the store can answer
        random.seed(5)
        for n in (2, 2):
            out.append(store.call("draws", f, (n,), {}) if store is not None else f(n))
        out.append((np.random.randn(2), random.random()))  # where the calls left them
        return [f.calls, out]

    store = MemoStore()
    calls, remembered = run(store)
    fresh_calls, fresh = run(None)
    assert calls == 4 and fresh_calls == 6 and store.hits == 2
    assert json.dumps(_plain(remembered)) == json.dumps(_plain(fresh))


def test_a_seeding_function_is_answered_from_any_state() -> None:
    store = MemoStore()

    def init(n: int) -> Any:
        np.random.seed(2)
        return np.random.randn(n) * 0.01

    f = Counted(init)
    first = store.call("init", f, (3,), {})
    np.random.seed(7)
    after_fresh = init(3), np.random.randn(2)
    np.random.seed(7)
    np.testing.assert_array_equal(store.call("init", f, (3,), {}), first)
    np.testing.assert_array_equal(np.random.randn(2), after_fresh[1])


def test_the_store_is_bounded() -> None:
    store = MemoStore(max_entries=10, max_bytes=10_000)
    f = Counted(lambda i: np.zeros(100) + i)  # 800 bytes each
    for i in range(50):
        store.call("f", f, (i,), {})
    assert len(store) <= 10 and store.nbytes <= 10_000
    store.call("f", f, (49,), {})  # the most recent stays
    store.call("f", f, (0,), {})  # the oldest went
    assert f.calls == 51


def test_entries_that_restore_the_generators_count_their_state() -> None:
    store = MemoStore(max_bytes=200_000)
    draw = Counted(lambda n: np.random.randn(n))
    for i in range(50):  # a fresh generator state before each call: 50 questions
        np.random.seed(i)
        store.call("draw", draw, (2,), {})
    # Each holds ~28 KiB of generator state: about seven fit, not fifty.
    assert store.nbytes <= 200_000 and len(store) <= 10


def test_disabled_computes_every_call() -> None:
    f = Counted(lambda x: x + 1)
    store = memo.store()
    with memo.disabled():
        store.call("disabled-test", f, (1,), {})
        store.call("disabled-test", f, (1,), {})
    assert f.calls == 2


def test_memoised_helper_with_the_reference_fixture() -> None:
    ns = __import__("types").SimpleNamespace(square=Counted(lambda x: x * x))
    ref = MemoReference(ns)
    other = MemoReference(ns)
    helper_calls = []

    @memo.memoised
    def helper(reference: Any, x: Any) -> Any:
        helper_calls.append(x)
        return reference.square(x) + 1

    x = np.arange(3.0)
    np.testing.assert_array_equal(helper(ref, x), x * x + 1)
    np.testing.assert_array_equal(helper(ref, x.copy()), x * x + 1)
    assert len(helper_calls) == 1 and ns.square.calls == 1
    helper(other, x)  # another reference (another assignment): asked afresh
    assert len(helper_calls) == 2
    assert ref.square(x.copy()).tolist() == [0.0, 1.0, 4.0] and ns.square.calls == 2


def _plain(v: Any) -> Any:
    if isinstance(v, np.ndarray):
        return ["array", v.dtype.str, v.tolist()]
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, float):
        return repr(v)
    return v


# -- verdicts are the same with and without the store ------------------------------------------


def _sources(assignment_dir: Path) -> list[tuple[str, Any]]:
    assignment = load_assignment(assignment_dir)
    assert assignment.solution is not None
    reference = read_submission(str(assignment.solution))
    out = [("reference", reference)]
    if assignment.mutants is not None:
        out += [(m.name, mutant_source(reference, m)) for m in load_mutants(assignment.mutants)]
    scenarios = REPO / "tests" / "data" / assignment.id.split("_")[0] / "scenarios"
    for path in sorted(scenarios.glob("*.ipynb")) if scenarios.is_dir() else ():
        out.append((path.stem, read_submission(str(path))))
    return out


def _comparable(result: SubmissionResult) -> dict[str, Any]:
    tests = [dataclasses.replace(t, duration_s=0.0) for t in result.tests]
    return dataclasses.asdict(dataclasses.replace(result, duration_s=0.0, tests=tuple(tests)))


@pytest.fixture(params=["planar_data_classification", "deep_initialization"])
def graded_both_ways(request: pytest.FixtureRequest) -> Iterator[tuple[list[Any], ...]]:
    root = REPO / "assignments" / request.param
    sources = _sources(root)
    with Grader(load_assignment(root)) as grader:
        store = memo.store()
        store.clear()
        hits = store.hits
        remembered = [_comparable(grader.grade_source(s, name)) for name, s in sources]
        used = store.hits - hits
        with memo.disabled():
            fresh = [_comparable(grader.grade_source(s, name)) for name, s in sources]
    # The planar checks ask the reference (the store must have answered, or the comparison
    # proves nothing); deep_initialization's checks do not use it.
    assert used > 100 if request.param == "planar_data_classification" else used == 0
    yield remembered, fresh


def test_every_verdict_is_the_same_with_and_without_the_store(
    graded_both_ways: tuple[list[Any], ...],
) -> None:
    remembered, fresh = graded_both_ways
    assert len(remembered) > 10
    for a, b in zip(remembered, fresh, strict=True):
        assert a == b, a["id"]
