"""rcpod classical reservoirs: echo state networks, readouts, estimators, metrics, datasets.

The reservoir protocol every reservoir speaks is described in :mod:`reservoir.base`.
"""
from .base import BaseReservoir
from .esn import ESN
from .estimators import ESNRegressor, ReservoirRegressor
from .readout import RidgeReadout

__version__ = "0.1.0"

__all__ = ["BaseReservoir", "ESN", "ESNRegressor", "ReservoirRegressor", "RidgeReadout",
           "__version__"]
