"""wandb's hyperband stopping rule (runconfig.sweeps._hyperband), checked against answers worked
out by hand from wandb/sweeps' ``hyperband_stopping.py``.

The rule, as the hand derivations below apply it: bands come from ``bands()``; ``r = 1 / eta``;
for each band, the values at that band (``history[band - 1]``) of every run that logged at least
``band`` valid values are sorted ascending (after negating them for ``maximize``) and the
threshold is ``sorted[int(r * n)]``; a *running* run is judged at the highest band it reached:
strict compares ``history[band - 1]``, non-strict ``min(history)`` (the whole history so far),
and it is stopped when that value is strictly greater than the threshold.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import pytest

from runconfig.errors import SweepError
from runconfig.sweeps._hyperband import bands, runs_to_stop


def et(**kw: Any) -> dict[str, Any]:
    """A normalised early_terminate block."""
    block: dict[str, Any] = {
        "type": "hyperband",
        "min_iter": None,
        "max_iter": None,
        "s": None,
        "eta": 3.0,
        "strict": True,
    }
    block.update(kw)
    return block


# -- bands ------------------------------------------------------------------------------


def test_bands_min_iter() -> None:
    got = bands(et(min_iter=3, eta=3))
    assert got[:6] == [3, 9, 27, 81, 243, 729]
    assert len(got) == 100  # wandb always makes 100 bands from min_iter
    assert got[-1] == 3 * 3**99  # exact ints
    assert all(isinstance(b, int) for b in got)


def test_bands_min_iter_float_eta() -> None:
    # repeated multiplication, then int(): 2, 5.0, 12.5, 31.25, 78.125
    assert bands(et(min_iter=2, eta=2.5))[:5] == [2, 5, 12, 31, 78]
    # an integral float eta gives the same bands as the int
    assert bands(et(min_iter=3, eta=3.0)) == bands(et(min_iter=3, eta=3))


def test_bands_min_iter_huge_eta_does_not_overflow() -> None:
    eta = 1e6 + 0.5  # a float eta: (1e6 + 0.5)**52 overflows to inf; wandb's int(inf) crashes
    got = bands(et(min_iter=1, eta=eta))
    assert 40 < len(got) < 100
    assert got[:3] == [1, 1000000, int(eta * eta)]
    assert all(a < b for a, b in itertools.pairwise(got))


def test_bands_max_iter() -> None:
    assert bands(et(max_iter=27, s=3, eta=3)) == [1, 3, 9]
    assert bands(et(max_iter=5, s=2, eta=2)) == [1, 2]  # wandb's docstring example: 2.5, 1.25
    assert bands(et(max_iter=100, s=2, eta=3)) == [11, 33]  # 33.3, 11.1 truncated
    # s larger than the bands above 1: stops at the first quotient below 1 (27, 9, 3, 1, 1/3)
    assert bands(et(max_iter=81, s=10, eta=3)) == [1, 3, 9, 27]


def test_bands_defaults_and_precedence() -> None:
    assert bands({"type": "hyperband", "min_iter": 1})[:3] == [1, 3, 9]  # eta defaults to 3
    assert bands(et(min_iter=1, eta=None))[:3] == [1, 3, 9]
    # wandb looks at max_iter first when both are given
    assert bands(et(min_iter=2, max_iter=27, s=3)) == [1, 3, 9]


@pytest.mark.parametrize(
    ("block", "words"),
    [
        (et(), "min_iter, or max_iter and s"),
        (et(max_iter=27), "max_iter needs s"),
        (et(max_iter=2, s=3, eta=3), "no band of at least 1"),  # 2/3 < 1 at once
        (et(min_iter=3, eta=1), "eta must be a number greater than 1"),
        (et(min_iter=3, eta=0.5), "eta must be a number greater than 1"),
        (et(min_iter=0), "min_iter must be at least 1"),
        (et(min_iter=2.5), "min_iter must be an integer"),
        (et(type="hyperbnd", min_iter=3), "did you mean 'hyperband'"),
    ],
)
def test_bands_errors(block: dict[str, Any], words: str) -> None:
    with pytest.raises(SweepError, match=words):
        bands(block)


# -- the stopping rule: a table of recorded histories ------------------------------------

NAN = math.nan


class Case(NamedTuple):
    early_terminate: dict[str, Any]
    goal: str
    histories: Mapping[str, Sequence[float]]
    running: set[str]
    stopped: set[str]


CASES: dict[str, Case] = {
    # bands [1, 3, 9], r = 1/3.
    # band 1: a 5, b 4, c 6, d 3 -> [3, 4, 5, 6], n=4, int(4/3)=1 -> threshold 4.
    # band 3: a 3, b 1, c 2 -> [1, 2, 3], n=3, int(1.0)=1 -> threshold 2.
    # a: highest band 3, 3 > 2 -> STOP. c: band 3, 2 == 2, a tie -> survives.
    # d: band 1, 3 <= 4 -> survives. b finished: never stopped, but sets thresholds.
    "minimize-strict": Case(
        et(max_iter=27, s=3),
        "minimize",
        {"a": [5, 4, 3], "b": [4, 3, 1], "c": [6, 5, 2], "d": [3]},
        {"a", "c", "d"},
        {"a"},
    ),
    # bands 2, 4, 8..., r = 1/2.
    # band 2: a 5, b 3, c 2 -> [2, 3, 5], int(1.5)=1 -> threshold 3. band 4: b only -> 3.
    # strict: a at band 2 is 5 > 3 -> STOP.
    "strict-at-band": Case(
        et(min_iter=2, eta=2),
        "minimize",
        {"a": [1, 5], "b": [3, 3, 3, 3], "c": [2, 2]},
        {"a"},
        {"a"},
    ),
    # same runs, non-strict: a's best so far is min(1, 5) = 1 <= 3 -> survives.
    "non-strict-best-so-far": Case(
        et(min_iter=2, eta=2, strict=False),
        "minimize",
        {"a": [1, 5], "b": [3, 3, 3, 3], "c": [2, 2]},
        {"a"},
        set(),
    ),
    # bands 2, 4..., r = 1/2. band 2: a 9, b 2, c 3 -> [2, 3, 9], idx 1 -> threshold 3.
    # a has 3 values: highest band 2 (band 4 not reached). Non-strict takes min of the WHOLE
    # history (wandb's min(history)), including iteration 3 logged after the band:
    # min(9, 9, 1) = 1 <= 3 -> survives (strict would compare 9 and stop it).
    "non-strict-whole-history": Case(
        et(min_iter=2, eta=2, strict=False),
        "minimize",
        {"a": [9, 9, 1], "b": [1, 2, 2, 2], "c": [1, 3]},
        {"a"},
        set(),
    ),
    # the same with strict: a at band 2 is 9 > 3 -> STOP.
    "strict-ignores-later-values": Case(
        et(min_iter=2, eta=2),
        "minimize",
        {"a": [9, 9, 1], "b": [1, 2, 2, 2], "c": [1, 3]},
        {"a"},
        {"a"},
    ),
    # maximize: values negated. bands [1, 3, 9].
    # band 3: a -0.7, b -0.9, c -0.95 -> [-0.95, -0.9, -0.7], idx 1 -> -0.9 (accuracy 0.9).
    # a: -0.7 > -0.9 (0.7 is below 0.9) -> STOP. c: -0.95 <= -0.9 -> survives.
    "maximize-strict": Case(
        et(max_iter=27, s=3),
        "maximize",
        {"a": [0.5, 0.6, 0.7], "b": [0.6, 0.8, 0.9], "c": [0.4, 0.5, 0.95]},
        {"a", "c"},
        {"a"},
    ),
    # maximize, non-strict. band 3: a -0.1, b -0.7, c -0.8 -> [-0.8, -0.7, -0.1], idx 1 -> -0.7.
    # a's best: min(-0.95, -0.1, -0.1) = -0.95 <= -0.7 (it once reached 0.95) -> survives.
    "maximize-non-strict": Case(
        et(max_iter=27, s=3, strict=False),
        "maximize",
        {"a": [0.95, 0.1, 0.1], "b": [0.5, 0.6, 0.7], "c": [0.6, 0.7, 0.8]},
        {"a"},
        set(),
    ),
    # the same runs, strict: a at band 3 is -0.1 > -0.7 -> STOP.
    "maximize-strict-2": Case(
        et(max_iter=27, s=3),
        "maximize",
        {"a": [0.95, 0.1, 0.1], "b": [0.5, 0.6, 0.7], "c": [0.6, 0.7, 0.8]},
        {"a"},
        {"a"},
    ),
    # bands 3, 9... a has logged 2 values: below the first band, never judged however bad.
    # band 3: b 1, c 2 -> [1, 2], int(2/3)=0 -> threshold 1. c: 2 > 1 -> STOP.
    "below-first-band": Case(
        et(min_iter=3),
        "minimize",
        {"a": [10, 10], "b": [1, 1, 1], "c": [2, 2, 2]},
        {"a", "c"},
        {"c"},
    ),
    # bands 1, 2, 4... all runs equal: band 2 threshold 0.5, nobody is strictly worse.
    "all-tied": Case(
        et(min_iter=1, eta=2),
        "minimize",
        {"a": [0.5, 0.5], "b": [0.5, 0.5], "c": [0.5, 0.5], "d": [0.5, 0.5]},
        {"a", "b", "c"},
        set(),
    ),
    # one run only, bands 1, 2, 4: highest band 4, values [5] -> threshold 5 = its own
    # value, 5 > 5 is false -> survives although it got worse. A lone run is never stopped.
    "one-run": Case(
        et(min_iter=1, eta=2),
        "minimize",
        {"a": [3, 2, 1, 5]},
        {"a"},
        set(),
    ),
    # finished runs set the thresholds. bands [1, 3, 9].
    # band 3: a 0.3, b 0.1, c 0.2, e 0.9 -> [0.1, 0.2, 0.3, 0.9], int(4/3)=1 -> 0.2.
    # a: 0.3 > 0.2 -> STOP (alone it would survive). e is worse but ended: not in the answer.
    # d ended after 1 value: only counts at band 1.
    "finished-runs-count": Case(
        et(max_iter=27, s=3),
        "minimize",
        {"a": [0.3] * 3, "b": [0.1] * 3, "c": [0.2] * 3, "d": [0.1], "e": [0.9] * 3},
        {"a"},
        {"a"},
    ),
    # only the highest band reached decides. bands [1, 3, 9].
    # band 1: a 9, b 1, c 2 -> [1, 2, 9], idx 1 -> 2 (a would fail there).
    # band 3: a 0.1, b 1, c 2 -> [0.1, 1, 2], idx 1 -> 1. a: 0.1 <= 1 -> survives.
    "highest-band-decides": Case(
        et(max_iter=27, s=3),
        "minimize",
        {"a": [9, 9, 0.1], "b": [1, 1, 1], "c": [2, 2, 2]},
        {"a"},
        set(),
    ),
    # rank arithmetic: 6 runs at band 1, bands 1, 3..., (1/3)*6 = 2.0 -> idx 2 of [1..6] -> 3.
    # r2: 2 survives; r3: 3 == 3 survives; r4: 4 > 3 STOP; r6: 6 > 3 STOP.
    "rank-six-runs": Case(
        et(min_iter=1),
        "minimize",
        {f"r{i}": [float(i)] for i in range(1, 7)},
        {"r2", "r3", "r4", "r6"},
        {"r4", "r6"},
    ),
    # wandb's float rank: r = 1/49, and (1/49)*49 = 0.9999999999999999 -> int 0, so the
    # threshold is the BEST value (1), not the second (2) that 49 // 49 = 1 would give.
    # r2: 2 > 1 -> STOP. r1: 1 == 1 survives.
    "float-rank-eta-49": Case(
        et(min_iter=1, eta=49),
        "minimize",
        {f"r{i}": [float(i)] for i in range(1, 50)},
        {"r1", "r2"},
        {"r2"},
    ),
    # invalid values (NaN, inf) are not iterations (wandb's filter_invalid): a has 2 valid
    # values, below band 3, so it is not judged (nor counted at band 3). z is running but
    # has no history. c: valid [2, 2, 2] reaches band 3 with 2. band 3: b 1, c 2 -> [1, 2],
    # idx int(2/3)=0 -> threshold 1; c: 2 > 1 -> STOP.
    "invalid-values-skipped": Case(
        et(min_iter=3),
        "minimize",
        {"a": [NAN, 5, math.inf, 5], "b": [1, 1, 1], "c": [NAN, 2, 2, 2]},
        {"a", "c", "z"},
        {"c"},
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_runs_to_stop_table(name: str) -> None:
    case = CASES[name]
    got = runs_to_stop(case.early_terminate, case.goal, case.histories, case.running)
    assert set(got) == case.stopped
    assert set(got) <= case.running
    assert all(reason.startswith("hyperband: at iteration ") for reason in got.values())


def test_table_is_big_enough() -> None:
    assert len(CASES) >= 8


def test_reason_names_band_value_and_threshold() -> None:
    histories = {"a": [0.9, 0.7, 0.52], "b": [0.5, 0.45, 0.41], "c": [0.4, 0.3, 0.2]}
    got = runs_to_stop(et(max_iter=27, s=3), "minimize", histories, ["a"], metric="val_loss")
    # band 3: [0.2, 0.41, 0.52], idx 1 -> 0.41
    assert got == {"a": "hyperband: at iteration 3 val_loss 0.52 is worse than the threshold 0.41"}


def test_reason_maximize_shows_the_logged_values() -> None:
    case = CASES["maximize-strict"]
    got = runs_to_stop(case.early_terminate, "maximize", case.histories, ["a"], metric="acc")
    assert got == {"a": "hyperband: at iteration 3 acc 0.7 is worse than the threshold 0.9"}


def test_reason_non_strict_says_best_so_far() -> None:
    block = et(min_iter=2, eta=2, strict=False)
    histories = {"a": [6, 5, 4], "b": [1, 1], "c": [2, 2]}
    # band 2: [1, 2, 5] idx 1 -> 2; a's best so far 4 > 2
    got = runs_to_stop(block, "minimize", histories, {"a"}, metric="loss")
    assert got == {
        "a": "hyperband: at iteration 2 the best loss so far 4 is worse than the threshold 2"
    }


def test_only_running_runs_are_stopped() -> None:
    histories = {"a": [5, 5, 5], "b": [1, 1, 1], "c": [2, 2, 2]}
    assert runs_to_stop(et(min_iter=3), "minimize", histories, []) == {}
    # band 3: [1, 2, 5], idx 1 -> 2: a is worse, c ties, b is best
    assert set(runs_to_stop(et(min_iter=3), "minimize", histories, ("a", "b", "c"))) == {"a"}


def test_strict_defaults_to_true() -> None:
    histories = {"a": [1, 5], "b": [3, 3], "c": [2, 2]}
    block = {"type": "hyperband", "min_iter": 2, "eta": 2}
    assert set(runs_to_stop(block, "minimize", histories, {"a"})) == {"a"}
    assert set(runs_to_stop({**block, "strict": None}, "minimize", histories, {"a"})) == {"a"}


def test_bad_goal() -> None:
    with pytest.raises(SweepError, match="did you mean 'maximize'"):
        runs_to_stop(et(min_iter=1), "maximise", {}, [])


def test_empty_sweep() -> None:
    assert runs_to_stop(et(min_iter=1), "minimize", {}, ["a"]) == {}
