"""rcpod reduction: POD, DEIM / Q-DEIM, reduced ESNs, Jacobians, CasADi export for MPC.

Pure algorithms over arrays (:func:`pod`, :func:`deim`, :func:`qdeim`) are kept apart from the
reduced reservoirs (:class:`PODReservoir`, :class:`DEIMReservoir`,
:class:`StabilizedDEIMReservoir`, all speaking the reservoir protocol of :mod:`reservoir.base`) and
the reductor :func:`reduce`, which turns a fitted ESN estimator into a reduced one.

Snapshot matrices are ``(n_dofs, n_snapshots)`` (one snapshot per column) throughout.
See shared/reference/esn_pod_deim.md for the equations.
"""
from .casadi_export import to_casadi
from .deim import deim, deim_coefficients, oversample, qdeim
from .diagnostics import (ReductionReport, ReductionWarning, check_trajectory, diagnose,
                          jacobian_spectral_radii, per_step_time)
from .mpc import OffsetFreeMPC, TrackingMPC, state_space_function
from .jacobians import jacobian_input, jacobian_state, step_jacobians
from .pod import energy_rank, pod, projection_error
from .reduced import DEIMReservoir, PODReservoir, ReducedReservoir, StabilizedDEIMReservoir
from .reductor import METHODS, reduce
from .snapshots import Snapshots, collect_snapshots

__all__ = [
    "pod", "energy_rank", "projection_error",
    "deim", "qdeim", "oversample", "deim_coefficients",
    "ReducedReservoir", "PODReservoir", "DEIMReservoir", "StabilizedDEIMReservoir",
    "Snapshots", "collect_snapshots",
    "reduce", "METHODS",
    "jacobian_state", "jacobian_input", "step_jacobians",
    "to_casadi", "TrackingMPC", "OffsetFreeMPC", "state_space_function",
    "ReductionReport", "ReductionWarning", "check_trajectory", "diagnose",
    "jacobian_spectral_radii", "per_step_time",
]
