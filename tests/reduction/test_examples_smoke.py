"""Smoke tests of the reduction examples (examples/reduction_*.py) at their tiny --smoke sizes.

They check the contract examples/reproduce.py relies on (``main(argv) -> dict`` with tables,
notes, figures, seeds, command; results.json written) and a few facts that must hold whatever the
numbers: same seeds give the same numbers, memory capacity of an r-dimensional model stays below
r (plus the finite-sample bias), and the full ESN row of the memory table equals a direct
:func:`rcpod.reservoir.memory.memory_capacity` call.
"""
import json

import numpy as np
import pytest

from rcpod.examples import reduction_memory_capacity, reduction_narma10
from rcpod.reservoir import ESN
from rcpod.reservoir.memory import memory_capacity


def _check_contract(result, out):
    for key in ("tables", "notes", "figures", "seeds", "command"):
        assert key in result
    for table in result["tables"]:
        assert set(table) >= {"title", "columns", "rows"}
        assert all(len(row) == len(table["columns"]) for row in table["rows"])
    for fig in result["figures"]:
        assert (out / fig).is_file()
    saved = json.loads((out / "results.json").read_text())
    assert saved["seeds"] == result["seeds"]


@pytest.mark.slow
def test_reduction_narma10_smoke(tmp_path):
    out = tmp_path / "narma"
    result = reduction_narma10.main(["--smoke", "--out", str(out)])
    _check_contract(result, out)
    per = result["per_seed"][0]
    r = reduction_narma10.SMOKE["ranks"][0]
    # every reduced variant and readout was evaluated, with finite timings
    st = reduction_narma10.SMOKE
    n_var = len(reduction_narma10.variants(r, st))
    assert len(per["reduced"]) == n_var * 2
    assert all(d["run"] > 0 and d["step"] > 0 for d in per["reduced"])
    # refitted readouts on stable reduced models give finite predictions
    assert all(np.isfinite(d["nrmse"]) for d in per["reduced"] if d["readout"] == "refit")
    # the readout restricted to all modes reproduces the full prediction exactly
    assert per["modes"]["readout_error"][-1] == pytest.approx(0.0, abs=1e-8)
    from tests.examples.test_report import assert_headline_from_tables
    assert_headline_from_tables(result)
    # same seeds, same numbers
    again = reduction_narma10.main(["--smoke", "--out", str(tmp_path / "again")])
    assert again["per_seed"][0]["full"]["nrmse"] == per["full"]["nrmse"]
    assert [d["nrmse"] for d in again["per_seed"][0]["reduced"]] == \
        [d["nrmse"] for d in per["reduced"]]


@pytest.mark.slow
def test_reduction_memory_capacity_smoke(tmp_path):
    out = tmp_path / "mc"
    result = reduction_memory_capacity.main(["--smoke", "--out", str(out)])
    _check_contract(result, out)
    st = reduction_memory_capacity.SMOKE
    N, r = st["n_units"], st["ranks"][0]
    for rec in result["per_seed"]:
        # MC <= dimension of the state, up to the finite-sample bias (~ k_max / test rows)
        bias = 2 * N / (0.2 * 20 * N)
        assert all(d["mc"] <= r + bias for d in rec["reduced"])
        assert rec["fresh"][r] <= r + bias
        # the full row is the plain memory_capacity of the same ESN on the same series
        params = reduction_memory_capacity.REGIMES[rec["regime"]]
        esn = ESN(n_units=N, random_state=rec["seed"], **reduction_memory_capacity.COMMON,
                  **params["esn"])
        u = np.random.default_rng(100 + rec["seed"]).uniform(-0.8, 0.8, 20 * N)
        assert rec["full"] == pytest.approx(
            memory_capacity(esn, 2 * N, series=u, ridge=params["ridge"]), rel=1e-10)


def test_reduction_scale_smoke(tmp_path):
    """Two sizes, both methods, each in fresh processes: rows with times and peaks, a table
    row per (N, method) and the figure when matplotlib is there."""
    from rcpod.examples import reduction_scale
    out = tmp_path / "scale"
    result = reduction_scale.main(["--smoke", "--out", str(out)])
    _check_contract(result, out)
    rows = result["rows"]
    assert [(r["n_units"], r["method"]) for r in rows] == [
        (n, m) for n in (200, 400) for m in ("pod-deim", "ow-pod-qdeim-lin")]
    for r in rows:
        assert "error" not in r, r
        assert r["reduce_s"] > 0 and r["peak_rss_mb"] > 0 and r["n_snapshots"] >= 20000
        assert r["nnz"] == pytest.approx(100 * r["n_units"], rel=0.1)   # 100 per row
    assert len(result["tables"][0]["rows"]) == 4


def test_oil_platform_dask_smoke(tmp_path):
    """Fit and reduce on a two-worker LocalCluster equal the local fit and reduction."""
    pytest.importorskip("distributed")
    from rcpod.examples import oil_platform_dask
    out = tmp_path / "dask"
    result = oil_platform_dask.main(["--smoke", "--out", str(out)])
    _check_contract(result, out)
    m = result["measurements"]
    assert m["workers"] == 2 and m["n_train_runs"] + m["n_test_runs"] == 12
    assert m["readout_rel_diff"] <= 1e-10 and m["reduced_prediction_rel_diff"] <= 1e-8
    assert np.isfinite(m["test_nrmse"]["full"]) and np.isfinite(m["test_nrmse"]["reduced"])
    with pytest.raises(ValueError, match="--runs"):
        oil_platform_dask.main(["--smoke", "--runs", "1", "--out", str(out)])
