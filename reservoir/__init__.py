"""rcpod classical reservoirs: echo state networks, readouts, estimators, metrics, datasets.

The reservoir protocol every reservoir speaks is described in :mod:`reservoir.base`.
"""
from .base import BaseReservoir
from .esn import ESN
from .estimators import ESNRegressor, ReservoirRegressor
from .datasets import narma
from .memory import memory_capacity
from .metrics import nrmse
from .readout import RidgeReadout

__version__ = "0.1.0"

__all__ = ["BaseReservoir", "ESN", "ESNRegressor", "ReservoirRegressor", "RidgeReadout",
           "memory_capacity", "narma", "nrmse", "__version__"]
