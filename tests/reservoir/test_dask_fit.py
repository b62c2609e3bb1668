"""Fits over many series scale out (``n_jobs``): the series are mapped to joblib workers (loky
processes, or a dask.distributed cluster through ``parallel_config(backend="dask")``), their
readout statistics merged in series order and solved once; the result equals the sequential fit.
"""
import numpy as np
import pytest
from joblib import parallel_config

from rcpod.reservoir import ESN, ESNRegressor, ReservoirRegressor, RidgeReadout


def _series(n_series=12):
    """NARMA-like targets on series of different lengths (uneven last blocks and chunks)."""
    rng = np.random.default_rng(1)
    us, ys = [], []
    for k in range(n_series):
        u = rng.uniform(0, 0.5, (300 + 37 * k, 2))
        y = np.c_[np.convolve(u[:, 0], [0.2, 0.5, 0.3], mode="full")[:len(u)],
                  u[:, 1] ** 2 - 0.1 * np.roll(u[:, 0], 2)]
        us.append(u)
        ys.append(y)
    return us, ys


def _esn(**kw):
    return ESNRegressor(n_units=60, washout=25, ridge=1e-7, chunk_size=128, random_state=0, **kw)


def _assert_same_fit(model, reference, us):
    # bit for bit in practice (same rows, blocks and merge order); the requirement is 1e-10
    ref, got = reference.readout_, model.readout_
    np.testing.assert_allclose(got.coef_, ref.coef_, rtol=1e-10, atol=0)
    np.testing.assert_allclose(got.intercept_, ref.intercept_, rtol=1e-10, atol=0)
    for p, q in zip(model.predict(us), reference.predict(us)):
        np.testing.assert_allclose(p, q, rtol=1e-10, atol=1e-14)


def test_loky_fit_equals_sequential_bit_for_bit():
    us, ys = _series()
    seq = _esn().fit(us, ys)
    par = _esn(n_jobs=2).fit(us, ys)
    _assert_same_fit(par, seq, us)
    np.testing.assert_array_equal(par.readout_.coef_, seq.readout_.coef_)
    np.testing.assert_array_equal(par.readout_.intercept_, seq.readout_.intercept_)


def test_in_process_map_equals_sequential_for_batch_include_input_and_partial_fit():
    us, ys = _series(6)
    batch_u = np.stack([u[:300] for u in us])
    batch_y = np.stack([y[:300, 0] for y in ys])
    for kw in ({}, {"include_input": True}):
        seq = _esn(**kw).fit(batch_u, batch_y)
        par = _esn(n_jobs=1, **kw).fit(batch_u, batch_y)
        np.testing.assert_array_equal(par.readout_.coef_, seq.readout_.coef_)
        assert par.predict(batch_u).shape == batch_u.shape[:2]
    seq = _esn(keep_statistics=True).fit(us[:3], ys[:3]).partial_fit(us[3:], ys[3:])
    par = _esn(keep_statistics=True, n_jobs=1).fit(us[:3], ys[:3]).partial_fit(us[3:], ys[3:])
    np.testing.assert_array_equal(par.readout_.coef_, seq.readout_.coef_)


def test_n_jobs_needs_a_mergeable_readout():
    from sklearn.linear_model import Ridge
    us, ys = _series(2)
    model = ReservoirRegressor(ESN(n_units=10, random_state=0), readout=Ridge(), n_jobs=2)
    with pytest.raises(ValueError, match="n_jobs=2 needs a readout with"):
        model.fit(us, ys)
    with pytest.raises(TypeError, match="n_jobs"):
        _esn(n_jobs="2").fit(us, ys)


def test_merge_statistics_checks_its_input():
    X = np.random.default_rng(0).normal(size=(20, 3))
    stats = RidgeReadout().accumulate(X, X[:, 0]).statistics()
    with pytest.raises(ValueError, match="lacks"):
        RidgeReadout().merge_statistics({"n_samples": 3})
    with pytest.raises(TypeError, match="statistics must be"):
        RidgeReadout().merge_statistics([stats])
    other = RidgeReadout().accumulate(X[:, :2], X[:, 0])
    with pytest.raises(ValueError, match="3 features / 1 targets, this readout 2 / 1"):
        other.merge_statistics(stats)
    two_d = RidgeReadout().accumulate(X, X[:, :1])
    with pytest.raises(ValueError, match="1-D targets"):
        two_d.merge_statistics(stats)
    with pytest.raises(ValueError, match="no statistics"):
        RidgeReadout().statistics()


def test_dask_cluster_fit_equals_sequential():
    distributed = pytest.importorskip("distributed")
    us, ys = _series()
    seq = _esn().fit(us, ys)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        with parallel_config(backend="dask"), distributed.get_task_stream(client) as stream:
            par = _esn(n_jobs=-1).fit(us, ys)
        # the series really ran on the cluster's workers (joblib batches of map tasks)
        assert any("_series_statistics" in str(t["key"]) for t in stream.data)
    _assert_same_fit(par, seq, us)
