"""Reductions over many series scale out (``reduce(..., n_jobs=...)``): every series' snapshot
Gram matrices are streamed on a joblib worker (loky processes, or a dask.distributed cluster
through ``parallel_config(backend="dask")``) and merged in series order before the one
decomposition; the reduced model predicts as the local run's (the default snapshot matrices)."""
import warnings

import numpy as np
import pytest
from joblib import parallel_config

from rcpod.reduction import ReductionWarning, reduce
from rcpod.reduction.snapshot_grams import stream_snapshot_grams
from rcpod.reservoir import ESN, ESNRegressor

OPTIONS = [dict(method="pod-deim", rank=12, n_points=24),
           dict(method="pod-qdeim-linearized", rank=12, n_points=24, center=True),
           dict(method="pod", rank=15),
           dict(method="pod-deim-stabilized", rank=12, basis="output-weighted", readout="refit")]


def _data(n_series=10):
    rng = np.random.default_rng(2)
    us = [rng.uniform(0, 0.5, (250 + 31 * k, 2)) for k in range(n_series)]
    ys = [np.c_[np.convolve(u[:, 0], [0.2, 0.5, 0.3], mode="full")[:len(u)], u[:, 1] ** 2]
          for u in us]
    est = ESNRegressor(n_units=80, spectral_radius=0.8, input_scaling=0.5, washout=25,
                       random_state=0).fit(us, ys)
    return est, us, ys


def _reduce(est, us, ys, **kw):
    with warnings.catch_warnings():   # accuracy is not the point here, only equality
        warnings.simplefilter("ignore", ReductionWarning)
        return reduce(est, us, ys, **kw)


def _assert_same_model(model, reference, us):
    assert model.reduction_report_.n_snapshots == reference.reduction_report_.n_snapshots
    assert type(model.reservoir_) is type(reference.reservoir_)
    got, ref = np.concatenate(model.predict(us)), np.concatenate(reference.predict(us))
    scale = np.abs(ref).max()
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-8 * scale)


def test_loky_reduce_equals_local_run():
    est, us, ys = _data()
    for kw in OPTIONS:
        _assert_same_model(_reduce(est, us, ys, n_jobs=2, **kw), _reduce(est, us, ys, **kw), us)


def test_merged_grams_equal_one_stream():
    esn = ESN(n_units=30, random_state=0).initialize(2)
    us = [np.random.default_rng(k).uniform(-1, 1, (120 + 40 * k, 2)) for k in range(4)]
    stops = [100, None, 150, 90]
    for nonlinearity in ("full", "remainder", "linearized", None):
        one = stream_snapshot_grams(esn, us, washout=20, stops=stops, nonlinearity=nonlinearity,
                                    chunk_size=32)
        mapped = stream_snapshot_grams(esn, us, washout=20, stops=stops,
                                       nonlinearity=nonlinearity, chunk_size=32, n_jobs=1)
        assert mapped.lengths == one.lengths and mapped.n_snapshots == one.n_snapshots
        for center in (True, False):
            np.testing.assert_allclose(mapped.state_gram(center), one.state_gram(center),
                                       rtol=1e-12, atol=1e-12 * np.abs(one.state_gram(False)).max())
        np.testing.assert_allclose(mapped.mean_slopes(), one.mean_slopes(), rtol=1e-13)
        if nonlinearity is not None:
            G1, G2 = one.interpolated_gram()[0], mapped.interpolated_gram()[0]
            np.testing.assert_allclose(G2, G1, rtol=0, atol=1e-12 * np.abs(G1).max())


def test_n_jobs_option_checks():
    est, us, ys = _data(2)
    with pytest.raises(ValueError, match="n_jobs=2 merges streamed Gram matrices"):
        reduce(est, us, method="pod-deim", rank=5, snapshots="matrix", n_jobs=2)
    with pytest.raises(ValueError, match="n_jobs=2 merges streamed Gram matrices"):
        reduce(est, us, method="pod-deim", rank=5, nl_fit="lstsq", n_jobs=2)
    with pytest.raises(TypeError, match="n_jobs"):
        reduce(est, us, method="pod-deim", rank=5, n_jobs=1.5)
    esn = est.reservoir_
    full = stream_snapshot_grams(esn, us[:1], washout=5, nonlinearity="full")
    with pytest.raises(ValueError, match="nonlinearity='remainder'"):
        full.merge(stream_snapshot_grams(esn, us[1:], washout=5, nonlinearity="remainder"))
    with pytest.raises(ValueError, match="no snapshots"):
        stream_snapshot_grams(esn, [u[:5] for u in us], washout=10, n_jobs=1)


def test_dask_cluster_reduce_equals_local_run():
    distributed = pytest.importorskip("distributed")
    est, us, ys = _data()
    local = [_reduce(est, us, ys, **kw) for kw in OPTIONS[:2]]
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        with parallel_config(backend="dask"), distributed.get_task_stream(client) as stream:
            dask = [_reduce(est, us, ys, n_jobs=-1, **kw) for kw in OPTIONS[:2]]
        assert any("_stream" in str(t["key"]) for t in stream.data)   # ran on the workers
    for model, reference in zip(dask, local):
        _assert_same_model(model, reference, us)
