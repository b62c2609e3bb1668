"""benchmarks/_timing.py: verdicts from the spread of interleaved repeats, the interleaving
order, the --stress load generator and the peak memory of a fresh child process (VmHWM)."""
import os
import sys
import time

import pytest

from rcpod.benchmarks import timing as _timing
from rcpod.benchmarks.timing import NOT_MEASURABLE, NOT_MET, MET


# -- verdicts -------------------------------------------------------------------------------------
def test_verdict_from_spread():
    assert _timing.verdict([8.1, 9.0, 12.0], 8.0) == MET              # whole spread above
    assert _timing.verdict([8.0, 8.0], 8.0) == MET                     # >= goal
    assert _timing.verdict([5.9, 7.2, 7.97], 8.0) == NOT_MET          # whole spread below
    crossing = _timing.verdict([5.9, 7.97, 8.9], 8.0, load=3.21)      # spread crosses the goal
    assert crossing == "NOT MEASURABLE (spread crosses the goal; load 3.21)"
    # the load defaults to the current 1-minute load average
    assert _timing.verdict([9.7, 16.0, 27.6], 20.0).startswith(
        "NOT MEASURABLE (spread crosses the goal; load ")
    # a ratio_stats dict works as well: its min and max decide, not the best or median ratio
    stats = _timing.ratio_stats([10.0, 8.5, 9.0], [1.0, 1.0, 1.0])
    assert stats["best"] == 8.5 and stats["median"] == 9.0
    assert _timing.verdict(stats, 9.0, load=1.0).startswith(NOT_MEASURABLE)
    assert _timing.verdict(stats, 8.5) == MET and _timing.verdict(stats, 10.5) == NOT_MET
    # strict goals ("> 1x")
    assert _timing.verdict([1.0, 1.2], 1.0, strict=True, load=0.0).startswith(NOT_MEASURABLE)
    assert _timing.verdict([0.9, 1.0], 1.0, strict=True) == NOT_MET
    assert _timing.verdict([], 1.0).startswith(NOT_MEASURABLE)


def test_combine():
    assert _timing.combine([MET, MET]) == MET
    assert _timing.combine([MET, NOT_MET, "NOT MEASURABLE (x)"]) == NOT_MET
    assert _timing.combine([MET, "NOT MEASURABLE (x)"]) == "NOT MEASURABLE (x)"


def test_ratio_stats():
    s = _timing.ratio_stats([4.0, 6.0, 5.0, 8.0], [1.0, 1.0, 2.0, 2.0])
    assert s["ratios"] == [4.0, 6.0, 2.5, 4.0]
    assert (s["best"], s["median"], s["min"], s["max"], s["n"]) == (4.0, 4.0, 2.5, 6.0, 4)
    with pytest.raises(ValueError):
        _timing.ratio_stats([1.0], [1.0, 2.0])
    assert _timing.per_round_min([3.0, 1.0], [2.0, 2.0]) == [2.0, 1.0]


def test_goal_entries_of_the_benchmarks():
    """A benchmark never reports MET for a ratio whose spread crosses its goal."""
    from rcpod.benchmarks import bench_esn, bench_quantum
    row = {"n_units": 500, "single_speedup": 2.0, "batch_speedup": 8.9,
           "single_stats": _timing.ratio_stats([2.0, 2.2], [1.0, 1.0]),
           "batch_stats": _timing.ratio_stats([5.9, 8.9, 7.97], [1.0, 1.0, 1.0])}
    goals = bench_esn.goals([row], {}, load=2.5)
    assert goals["single_N>=500_not_slower"] == MET
    assert goals["batch32_N500_>=8x"] == "NOT MEASURABLE (spread crosses the goal; load 2.50)"
    row["batch_stats"] = _timing.ratio_stats([5.9, 7.97], [1.0, 1.0])
    row["batch_speedup"] = row["batch_stats"]["best"]
    assert bench_esn.goals([row], {})["batch32_N500_>=8x"] == NOT_MET
    # tables show best, median and spread, and the goals table the verdict
    tables = bench_esn.tables([dict(row, nnz=1, steps=1, single_rpy_s=1.0, single_ours_s=0.5,
                                    batch_steps=1, batch_rpy_s=1.0, batch_rpy_mode="workers=1",
                                    batch_ours_s=0.1, fit_rpy_s=1.0, fit_ours_s=1.0,
                                    fit_speedup=1.0, max_abs_state_diff=0.0)], {},
                              bench_esn.goal_entries([row], {}, load=1.0), None, None)
    assert tables[0]["rows"][0][9] == "5.9x (median 6.9x, 5.9-8.0x)"
    assert tables[-1]["rows"][-1][-1] == NOT_MET

    q_rows = [("c", "fast", 1e-3, "s", 3.0), ("", "rnn: fast vs PennyLane broadcast", None, "",
                                               1.5)]
    q_stats = [_timing.ratio_stats([3.0, 3.1], [1.0, 1.0]),
               _timing.ratio_stats([0.8, 1.5], [1.0, 1.0])]
    verdict = bench_quantum.goals(q_rows, q_stats, load=4.0)
    assert verdict == {"fast_faster_than_pennylane_everywhere":
                       "NOT MEASURABLE (spread crosses the goal; load 4.00)"}
    assert bench_quantum.goals(q_rows)["fast_faster_than_pennylane_everywhere"] == MET


# -- interleaving ---------------------------------------------------------------------------------
def test_interleaved_order_and_times():
    calls, log = [], []
    fns = {"A": lambda: calls.append("A"), "B": lambda: calls.append("B"),
           "C": lambda: calls.append("C")}
    t = _timing.interleaved_times(fns, 3, warmup=False, log=log)
    assert log == ["A", "B", "C"] * 3 and calls == log
    assert set(t) == {"A", "B", "C"} and all(len(v) == 3 for v in t.values())
    assert all(x >= 0 for v in t.values() for x in v)

    # warm-up: one untimed call of each named callable first; then the rounds
    calls.clear()
    log = []
    _timing.interleaved_times({"A": fns["A"], "B": fns["B"]}, 2, warmup=["A"], log=log)
    assert calls == ["A", "A", "B", "A", "B"] and log == ["A", "B", "A", "B"]


def test_short_calls_are_repeated_within_a_sample():
    n = {"short": 0, "long": 0}

    def short():
        n["short"] += 1

    def long():
        n["long"] += 1
        time.sleep(0.01)
    t = _timing.interleaved_times({"short": short, "long": long}, 2, min_sample_s=0.005)
    assert n["long"] == 3                      # warm-up + 2 rounds, one call per sample
    assert n["short"] > 3                      # many calls per sample
    assert t["long"][0] >= 0.009 and t["short"][0] < 0.001  # seconds per call


def test_budget_stops_after_min_repeats():
    t = _timing.interleaved_times({"a": lambda: time.sleep(0.002)}, 50, warmup=False,
                                  budget_s=0.0, min_repeats=3)
    assert len(t["a"]) == 3


# -- load -----------------------------------------------------------------------------------------
def test_load_snapshot_and_stress():
    snap = _timing.load_snapshot()
    assert snap["nproc"] >= 1
    if hasattr(os, "getloadavg"):
        assert len(snap["loadavg"]) == 3
        assert _timing.load_text(snap).count(".") >= 3
    with _timing.Stress(2, seconds=30) as s:
        procs = list(s.procs)
        assert len(procs) == 2 and all(p.poll() is None for p in procs)
        # under load, whatever the spread: MET only if the whole spread reaches the goal
        spin = lambda d: (lambda: [None for _ in range(d)])  # noqa: E731
        t = _timing.interleaved_times({"a": spin(40000), "b": spin(20000)}, 5)
        st = _timing.ratio_stats(t["a"], t["b"])
        for goal in (st["min"], st["median"], st["max"] * 1.01):
            v = _timing.verdict(st, goal)
            assert (v == MET) == (st["min"] >= goal)
            assert (v == NOT_MET) == (st["max"] < goal)
    assert all(p.poll() is not None for p in procs)  # stopped with the block
    # each stops by itself after its time
    s = _timing.Stress(1, seconds=0.2).start()
    try:
        s.procs[0].wait(timeout=10)
    finally:
        s.stop()


# -- memory of a fresh child process --------------------------------------------------------------
CHILD = """
import json
from rcpod.benchmarks.timing import memory_report
block = b"x" * (100 * 2**20)   # 100 MB, every page written
print(json.dumps(memory_report()))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs /proc/self/status")
def test_fresh_child_reports_its_own_peak_not_the_parents():
    big = b"y" * (400 * 2**20)   # the parent's high-water mark is now >= 400 MB
    parent_peak = _timing.peak_rss_mb()
    assert parent_peak >= 400
    child = _timing.run_fresh_python(["-c", CHILD])
    del big
    assert "error" not in child, child
    assert child["peak_rss_source"] == "VmHWM"
    assert 100 <= child["peak_rss_mb"] < 200          # ~ the 100 MB it allocated + interpreter
    assert child["peak_rss_mb"] < parent_peak - 200   # not the inherited high-water mark


def test_fresh_python_reports_errors():
    out = _timing.run_fresh_python(["-c", "raise SystemExit('boom')"])
    assert "boom" in out["error"]


def test_doctests():
    import doctest
    res = doctest.testmod(_timing, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert res.attempted > 0 and res.failed == 0
