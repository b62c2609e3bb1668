"""rcpod reduction: POD, DEIM / Q-DEIM, reduced ESNs, Jacobians, CasADi export for MPC.

Pure algorithms over arrays (:func:`pod`, :func:`deim`, :func:`qdeim`) are kept apart from the
reduced reservoirs (:class:`PODReservoir`, :class:`DEIMReservoir`,
:class:`StabilizedDEIMReservoir`, :class:`LinearizedDEIMReservoir`, all speaking the reservoir
protocol of :mod:`rcpod.reservoir.base`), the output-weighted basis (:func:`output_weighted_pod`) and
the reductor :func:`reduce`, which turns a fitted ESN estimator into a reduced one.

Snapshot matrices are ``(n_dofs, n_snapshots)`` (one snapshot per column) throughout.
The equations are given, with their sources, in :mod:`rcpod.reduction.reduced` (reduced ESNs,
after [1]_ and [2]_), :mod:`rcpod.reduction.deim` (index selection, [3]_) and
:mod:`rcpod.reduction.jacobians`.

References
----------
.. [1] J. P. Jordanou, E. A. Antonelo, E. Camponogara, E. Gildin, "Investigation of Proper
   Orthogonal Decomposition for Echo State Networks", Neurocomputing, 2023, arXiv:2211.17179.
.. [2] H. Wang, X. Long, X.-X. Liu, "fastESN: Fast Echo State Network", IEEE TNNLS 34(12), 2023.
.. [3] S. Chaturantabut, D. C. Sorensen, "Nonlinear model reduction via discrete empirical
   interpolation", SIAM J. Sci. Comput. 32(5), 2010.
"""
from .basis import (linearized_jacobian, observability_factor, observability_gramian,
                    output_weighted_pod, output_weighted_pod_factored,
                    output_weighted_pod_from_gram)
from .c_export import to_c
from .casadi_export import to_casadi
from .deim import deim, deim_coefficients, lstsq_weights, oversample, qdeim
from .do_mpc_model import to_do_mpc
from .diagnostics import (ReductionWarning, check_trajectory, diagnose,
                          jacobian_spectral_radii, per_step_time)
from .mpc import OffsetFreeMPC, TrackingMPC, state_space_function
from .jacobians import jacobian_input, jacobian_state, leaky_tanh_form, step_jacobians
from .pod import energy_rank, pod, pod_from_gram, projection_error
from .reduced import (DEIMReservoir, LinearizedDEIMReservoir, PODReservoir, ReducedReservoir,
                      StabilizedDEIMReservoir)
from .report import Diagnostics, ReductionReport
from .reductor import METHODS, NONLINEARITIES, SAMPLINGS, method_name, reduce
from .snapshots import Snapshots, collect_snapshots, snapshots_from_states
from .tolerance import reduce_to_tolerance, step_flops

__all__ = [
    "pod", "pod_from_gram", "energy_rank", "projection_error",
    "output_weighted_pod", "output_weighted_pod_factored", "output_weighted_pod_from_gram",
    "observability_gramian", "observability_factor", "linearized_jacobian",
    "deim", "qdeim", "oversample", "deim_coefficients", "lstsq_weights",
    "ReducedReservoir", "PODReservoir", "DEIMReservoir", "StabilizedDEIMReservoir",
    "LinearizedDEIMReservoir", "Snapshots", "collect_snapshots", "snapshots_from_states",
    "reduce", "METHODS", "SAMPLINGS", "NONLINEARITIES", "method_name", "reduce_to_tolerance",
    "step_flops",
    "jacobian_state", "jacobian_input", "step_jacobians", "leaky_tanh_form",
    "to_casadi", "to_do_mpc", "to_c", "TrackingMPC", "OffsetFreeMPC", "state_space_function",
    "ReductionReport", "Diagnostics", "ReductionWarning", "check_trajectory", "diagnose",
    "jacobian_spectral_radii", "per_step_time",
]
