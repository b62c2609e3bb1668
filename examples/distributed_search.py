"""Hyperparameter search over an ESN on a Dask cluster.

    python examples/distributed_search.py                      # a LocalCluster on this machine
    python examples/distributed_search.py --scheduler tcp://scheduler-host:8786   # a real cluster

The estimators are plain picklable scikit-learn objects, so the same ``GridSearchCV`` runs with
the default backend, with loky processes (``n_jobs``) or, inside
``joblib.parallel_config(backend="dask")``, on every worker of a ``dask.distributed`` cluster.
The workers need rcpod installed (the same version as the client).
"""
from __future__ import annotations

import argparse
import time

from joblib import parallel_config
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit

from rcpod.reservoir import ESNRegressor
from rcpod.reservoir.datasets import narma


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scheduler", default=None,
                        help="address of a running dask scheduler (default: start a LocalCluster)")
    parser.add_argument("--workers", type=int, default=2, help="LocalCluster workers")
    args = parser.parse_args(argv)
    from distributed import Client, LocalCluster

    u, y = narma(n=10, length=2100, random_state=0)
    grid = {"spectral_radius": [0.7, 0.9, 1.0], "leak_rate": [0.5, 1.0],
            "input_scaling": [0.5, 1.0], "ridge": [1e-8, 1e-6]}
    search = GridSearchCV(ESNRegressor(n_units=200, washout=100, include_input=True,
                                       random_state=0),
                          grid, cv=TimeSeriesSplit(n_splits=3), n_jobs=-1)
    cluster = None
    if args.scheduler is None:
        cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1,
                               dashboard_address=None)
    with Client(args.scheduler or cluster) as client:
        print(f"dask client: {client}")
        t0 = time.perf_counter()
        with parallel_config(backend="dask"):
            search.fit(u, y[:, 0])
        print(f"{len(search.cv_results_['params'])} candidates in "
              f"{time.perf_counter() - t0:.1f} s")
    if cluster is not None:
        cluster.close()
    print(f"best parameters: {search.best_params_}, R^2 = {search.best_score_:.4f}")
    return {"best_params": search.best_params_, "best_score": float(search.best_score_)}


if __name__ == "__main__":
    main()
