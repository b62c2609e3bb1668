"""Grid searches scale out: loky processes and a dask.distributed cluster give the same result
as the default backend (nothing the estimators hold breaks pickling)."""
import pickle

import numpy as np
import pytest
from joblib import parallel_config
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit

from rcpod.reservoir import ESNRegressor

GRID = {"spectral_radius": [0.5, 0.9], "leak_rate": [0.5, 1.0], "ridge": [1e-6, 1e-2]}


def _data():
    u = np.random.default_rng(0).uniform(0, 0.5, (500, 1))
    y = np.convolve(u[:, 0], [0.2, 0.5, 0.3], mode="full")[:500]
    return u, y


def _search(n_jobs):
    return GridSearchCV(ESNRegressor(n_units=40, washout=20, random_state=0), GRID,
                        cv=TimeSeriesSplit(n_splits=3), n_jobs=n_jobs)


def test_fitted_estimator_pickles_and_predicts_identically():
    u, y = _data()
    model = ESNRegressor(n_units=40, washout=20, random_state=0).fit(u, y)
    clone = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(clone.predict(u), model.predict(u))


def test_loky_and_dask_searches_equal_sequential():
    distributed = pytest.importorskip("distributed")
    u, y = _data()
    seq = _search(None).fit(u, y)
    assert len(seq.cv_results_["params"]) == 8
    loky = _search(2).fit(u, y)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster):
        with parallel_config(backend="dask"):
            dask = _search(-1).fit(u, y)
    for other in (loky, dask):
        assert other.best_params_ == seq.best_params_
        np.testing.assert_allclose(other.cv_results_["mean_test_score"],
                                   seq.cv_results_["mean_test_score"], rtol=1e-12)
