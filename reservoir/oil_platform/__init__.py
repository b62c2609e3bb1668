"""Oil-platform benchmark plant: two gas-lifted wells, a manifold and a pipeline-riser.

The plant is the public network model of Jahanshahi, Krishnamoorthy, Codas, Foss and Skogestad
[1]_ (Modelica model tuned to OLGA, github.com/esmjah/PlantwideControl); wells after Jahanshahi,
Skogestad and Hansen [2]_ with modifications, pipeline-riser after Jahanshahi and Skogestad [3]_.
It stands in for the unpublished "oil platform with two wells and one riser" of the POD-ESN paper
[4]_. Equations: :mod:`rcpod.reservoir.oil_platform.model`, transcribed from the Modelica model.

The open-loop network is unstable at its nominal point (casing heading); by default it is
stabilised by the source's PI cascade ``netPres_PIDstruc2``, and identification / MPC act on the
supervisory inputs: gas-lift rates and the set points of the pressure drops over the three chokes.

Quick start::

    from rcpod.reservoir.oil_platform import OilPlatform, simulate, aprbs, make_oil_platform_dataset
    plant = OilPlatform()                       # struc2 PI layer
    ds = make_oil_platform_dataset()            # train / val / test at 60 s, cached on disk
    u, y = ds.split("train")

Modules: :mod:`.parameters` (parameter records), :mod:`.model` (pure right-hand side and
algebraics), :mod:`.regulatory` (PI layer), :mod:`.plant` (network + PI layer), :mod:`.simulate`
(zero-order-hold simulation), :mod:`.excitation` (APRBS), :mod:`.dataset` (cached data sets).

References
----------
.. [1] E. Jahanshahi, D. Krishnamoorthy, A. Codas, B. Foss, S. Skogestad, "Plantwide control of an
   oil production network", Computers & Chemical Engineering, 2020.
.. [2] E. Jahanshahi, S. Skogestad, H. Hansen, "Control structure design for stabilizing unstable
   gas-lift oil wells", IFAC ADCHEM, 2012.
.. [3] E. Jahanshahi, S. Skogestad, "Simplified dynamic models for control of riser slugging in
   offshore oil production", SPE Oil and Gas Facilities, 2014.
.. [4] J. P. Jordanou, E. A. Antonelo, E. Camponogara, E. Gildin, "Investigation of Proper
   Orthogonal Decomposition for Echo State Networks", Neurocomputing, 2023, arXiv:2211.17179.
"""
from .dataset import (DEFAULT_ENVELOPE, PIDNET_INNER_ENVELOPE, OilPlatformDataset, default_cache_dir,
                      make_oil_platform_dataset)
from .excitation import aprbs
from .model import (LISTED_EQUILIBRIUM, NOMINAL_OPEN_LOOP_INPUT, OPEN_LOOP_INPUT_NAMES, STATE_NAMES,
                    held_mass, network_algebraics, network_mass_flows, network_rhs, network_rhs_batch)
from .parameters import (NetworkParameters, RiserParameters, WellParameters, well_a_parameters,
                         well_b_parameters)
from .plant import OUTPUT_NAMES, OUTPUT_UNITS, OilPlatform
from .regulatory import PILoop, RegulatoryLayer, pidnet_inner_layer, struc2_layer
from .simulate import PlantSimulationError, PlantSimulationWarning, SimulationResult, simulate

__all__ = [
    "OilPlatform", "simulate", "SimulationResult", "PlantSimulationError", "PlantSimulationWarning",
    "aprbs", "make_oil_platform_dataset", "OilPlatformDataset", "DEFAULT_ENVELOPE", "PIDNET_INNER_ENVELOPE",
    "default_cache_dir",
    "NetworkParameters", "WellParameters", "RiserParameters", "well_a_parameters", "well_b_parameters",
    "PILoop", "RegulatoryLayer", "struc2_layer", "pidnet_inner_layer",
    "network_rhs", "network_rhs_batch", "network_algebraics", "network_mass_flows", "held_mass",
    "STATE_NAMES", "OPEN_LOOP_INPUT_NAMES", "NOMINAL_OPEN_LOOP_INPUT", "LISTED_EQUILIBRIUM",
    "OUTPUT_NAMES", "OUTPUT_UNITS",
]
