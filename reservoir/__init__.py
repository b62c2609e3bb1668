"""rcpod classical reservoirs: echo state networks, readouts, estimators, metrics, datasets.

The reservoir protocol every reservoir speaks is described in :mod:`rcpod.reservoir.base`.
"""
from .base import BaseReservoir
from .esn import ESN
from .estimators import ESNRegressor, ReservoirRegressor
from .form import LeakyTanhForm
from .datasets import narma
from .memory import memory_capacity
from .metrics import nrmse
from .readout import RidgeReadout
from .recurrent import ClassicalRNNReservoir
from .reservoirpy_bridge import from_reservoirpy
from .windows import WindowFeatures, window_features

from rcpod import __version__

__all__ = ["BaseReservoir", "ESN", "ESNRegressor", "LeakyTanhForm", "ReservoirRegressor",
           "RidgeReadout",
           "ClassicalRNNReservoir", "WindowFeatures", "window_features", "from_reservoirpy",
           "memory_capacity", "narma", "nrmse", "__version__"]
