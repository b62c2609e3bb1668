"""rcpod: reservoir computing and reduced-order reservoirs.

Subpackages
-----------
rcpod.reservoir
    Echo state networks and other random recurrent reservoirs, the streaming ridge readout,
    scikit-learn estimators, metrics (NRMSE, memory capacity), datasets (NARMA) and the
    oil-platform benchmark plant.
rcpod.quantum
    Quantum RNN, LSTM and GRU reservoirs (PennyLane circuits with fixed random weights).
rcpod.reduction
    POD, POD-DEIM and Q-DEIM reduction of trained ESNs, Jacobians and CasADi export for MPC.
rcpod.examples
    The reproducible experiments and the report runner behind ``rcpod-reproduce``.

The repository keeps each subpackage in its own top-level folder; setup.cfg maps them under this
package (this file lives in ``reservoir/_rcpod/`` only because the repository's top level holds
no folder of its own for it).
"""
__version__ = "0.2.0"

__all__ = ["__version__"]
