"""Train / validation / test series of the oil-platform plant, cached on disk.

Each split is one continuous APRBS-excited simulation of the stabilised plant (default PI layer
``struc2``) sampled every ``dt`` seconds, started at the steady state at the centre of the
operating envelope. A split is simulated in chunks (default 10 h); a chunk that fails (see
:func:`rcpod.reservoir.oil_platform.simulate.simulate`) is redrawn with the next seed from the same
start state, and the redraws are recorded in the metadata.

Operating envelope (:data:`DEFAULT_ENVELOPE`, established with
``benchmarks/oil_platform_envelope.py``): gas-lift rates 0.8-1.6 kg/s, set points of the pressure
drops over the production chokes 5-15 bar and over the topside choke 1.5-4 bar, APRBS holds of
10-60 min, 60 s sampling, runs started at the steady state at the envelope centre. Measured: 50 of
50 ten-hour runs (seeds 0-49) and 30 of 30 (seeds 0-29, a second sweep) completed, valves saturated
0.1-0.2 % of the samples, oil production 20.8-37.3 kg/s, bottom-hole pressures 98-118 bar. Topside
set points down to 1 bar (the range found with an independent transcription of the plant) gave 28
of 30: at high gas rates the topside choke saturates open, the PI integrators wind up (the
source's PI has no anti-windup) and the wells collapse after the unwinding. Wider ranges (gas
0.7-1.8, wellhead 3-18 bar, topside 1.5-5 bar) gave 22 of 30.

Cache: ``<cache_dir>/oil_platform_<hash>.npz`` (``allow_pickle=False``), keyed by a SHA-256 of
every setting (including all plant parameters and the PI layer); ``cache_dir`` defaults to
``$RCPOD_CACHE`` or ``~/.cache/rcpod``.

References
----------
.. [1] E. Jahanshahi, D. Krishnamoorthy, A. Codas, B. Foss, S. Skogestad, "Plantwide control of an
   oil production network", Computers & Chemical Engineering, 2020 (the plant and its PI layer, see
   :mod:`rcpod.reservoir.oil_platform`).
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import math
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..validation import check_int, check_real, check_value
from .excitation import aprbs
from .parameters import NetworkParameters
from .plant import OilPlatform
from .simulate import simulate

__all__ = ["DEFAULT_ENVELOPE", "PIDNET_INNER_ENVELOPE", "OilPlatformDataset", "make_oil_platform_dataset", "default_cache_dir",
           "envelope_bounds"]

logger = logging.getLogger(__name__)

_FORMAT_VERSION = 1
_SPLITS = ("train", "val", "test")

#: Operating envelope of the supervisory inputs of the ``struc2`` layer ([low, high], SI units).
DEFAULT_ENVELOPE = {
    "w_inj_A": (0.8, 1.6),
    "w_inj_B": (0.8, 1.6),
    "dP_valve_A_sp": (5e5, 15e5),
    "dP_valve_B_sp": (5e5, 15e5),
    "dP_valve_top_sp": (1.5e5, 4e5),
}


#: Envelope for the ``pidnet_inner`` layer (the annulus ranges found with an independent
#: transcription of the plant, 3-7 bar above this model's nominal annulus-top pressures of
#: 85.6 / 89.5 bar). Measured with
#: ``benchmarks/oil_platform_envelope.py --grid full --only pidnet``: it needs
#: ``setpoint_filter_time`` of about 1200 s (20/20 ten-hour runs; 0/20 without a filter, 0/10
#: with 300 s); around the nominal annulus pressures the layer fails even with the filter.
PIDNET_INNER_ENVELOPE = {
    "w_inj_A": (0.9, 1.2),
    "w_inj_B": (0.9, 1.2),
    "P_at_A_sp": (88.6e5, 92.6e5),
    "P_at_B_sp": (92.4e5, 96.4e5),
    "P_in_sp": (21.8e5, 22.8e5),
}


def default_cache_dir() -> Path:
    """``$RCPOD_CACHE`` if set, else ``~/.cache/rcpod``.

    Returns
    -------
    pathlib.Path
        Where :func:`make_oil_platform_dataset` caches data sets by default (not created here).

    Examples
    --------
    >>> import os
    >>> from pathlib import Path
    >>> from unittest import mock
    >>> from rcpod.reservoir.oil_platform import default_cache_dir
    >>> with mock.patch.dict(os.environ, {"RCPOD_CACHE": "/data/rcpod"}):   # restored on exit
    ...     default_cache_dir().as_posix()
    '/data/rcpod'
    >>> with mock.patch.dict(os.environ):
    ...     _ = os.environ.pop("RCPOD_CACHE", None)
    ...     default_cache_dir() == Path.home() / ".cache" / "rcpod"
    True
    """
    env = os.environ.get("RCPOD_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "rcpod"


def envelope_bounds(plant: OilPlatform, envelope=None) -> np.ndarray:
    """Envelope as an ``(n_inputs, 2)`` array in the order of ``plant.input_names``.

    ``envelope`` is a dict ``{input_name: (low, high)}`` or an array of shape (n_inputs, 2); it
    must lie inside ``plant.input_bounds``. Default: :data:`DEFAULT_ENVELOPE` for the ``struc2``
    layer, :data:`PIDNET_INNER_ENVELOPE` for ``pidnet_inner``.

    Parameters
    ----------
    plant : OilPlatform
        The plant whose supervisory inputs the envelope bounds.
    envelope : dict or array-like of shape (n_inputs, 2), optional
        ``{input_name: (low, high)}`` or rows ``(low, high)``; the layer's default when None.

    Returns
    -------
    bounds : ndarray of shape (n_inputs, 2)

    Raises
    ------
    ValueError
        If an input is missing or unknown, a pair has ``low > high``, the envelope leaves
        ``plant.input_bounds``, or there is no default for the plant's layer (open loop).

    Examples
    --------
    >>> from rcpod.reservoir.oil_platform import OilPlatform
    >>> from rcpod.reservoir.oil_platform.dataset import envelope_bounds
    >>> plant = OilPlatform()                          # struc2 layer: DEFAULT_ENVELOPE
    >>> envelope_bounds(plant)[[0, 4]].tolist()        # gas lift [kg/s], riser-valve dP [Pa]
    [[0.8, 1.6], [150000.0, 400000.0]]
    >>> envelope_bounds(OilPlatform(regulatory=None))
    Traceback (most recent call last):
    ...
    ValueError: no default envelope for regulatory layer None; pass envelope.
    """
    if envelope is None:
        name = None if plant.layer is None else plant.layer.name
        if name == "struc2":
            envelope = DEFAULT_ENVELOPE
        elif name == "pidnet_inner":
            envelope = PIDNET_INNER_ENVELOPE
        else:
            raise ValueError(f"no default envelope for regulatory layer {name!r}; pass envelope.")
    if isinstance(envelope, dict):
        missing = [n for n in plant.input_names if n not in envelope]
        extra = [n for n in envelope if n not in plant.input_names]
        if missing or extra:
            raise ValueError(f"envelope must give (low, high) for exactly the inputs {plant.input_names}; "
                             f"missing {missing}, unknown {extra}.")
        b = np.array([envelope[n] for n in plant.input_names], dtype=float)
    else:
        b = np.asarray(envelope, dtype=float)
    if b.shape != (plant.n_inputs, 2) or not np.all(np.isfinite(b)) or np.any(b[:, 0] > b[:, 1]):
        raise ValueError(f"envelope must be finite (low, high) pairs with low <= high for "
                         f"{plant.input_names}, got {envelope!r}.")
    lo, hi = plant.input_bounds.T
    if np.any(b[:, 0] < lo) or np.any(b[:, 1] > hi):
        raise ValueError("envelope must lie within the plant's input_bounds.")
    return b


@dataclass
class OilPlatformDataset:
    """Input/output series of the oil platform (SI units), one continuous series per split.

    Attributes
    ----------
    u_train, y_train, x_train, u_val, y_val, x_val, u_test, y_test, x_test : ndarray
        Inputs (T, n_inputs), outputs (T, n_outputs) and states (T, n_states). ``y[k]`` is the
        output at the end of the sampling interval in which ``u[k]`` was held.
    dt : float
        Sampling time [s].
    input_names, input_units, output_names, output_units, state_names : tuple of str
    meta : dict
        All settings, the seeds used per chunk, redraws, wall time and the cache key.

    Examples
    --------
    Data sets come from :func:`make_oil_platform_dataset`; built by hand (here with dummy
    series of 4 / 2 / 2 samples) a data set hands out its splits as ``(u, y)`` pairs:

    >>> import numpy as np
    >>> from rcpod.reservoir.oil_platform import OUTPUT_NAMES, OilPlatform, OilPlatformDataset
    >>> plant = OilPlatform()
    >>> arrays = {f"{k}_{s}": np.zeros((T, n)) for s, T in (("train", 4), ("val", 2), ("test", 2))
    ...           for k, n in (("u", 5), ("y", 13), ("x", 21))}
    >>> ds = OilPlatformDataset(dt=60.0, input_names=plant.input_names,
    ...                         input_units=plant.input_units, output_names=OUTPUT_NAMES,
    ...                         output_units=plant.output_units, state_names=plant.state_names,
    ...                         **arrays)
    >>> u, y = ds.split("train")
    >>> u.shape, y.shape
    ((4, 5), (4, 13))
    >>> ds.split("validation")
    Traceback (most recent call last):
        ...
    ValueError: name must be one of ('train', 'val', 'test'), got 'validation'.
    """

    u_train: np.ndarray
    y_train: np.ndarray
    x_train: np.ndarray
    u_val: np.ndarray
    y_val: np.ndarray
    x_val: np.ndarray
    u_test: np.ndarray
    y_test: np.ndarray
    x_test: np.ndarray
    dt: float
    input_names: tuple
    input_units: tuple
    output_names: tuple
    output_units: tuple
    state_names: tuple
    meta: dict = field(default_factory=dict)

    def split(self, name):
        """``(u, y)`` of split ``"train"``, ``"val"`` or ``"test"``."""
        if name not in _SPLITS:
            raise ValueError(f"name must be one of {_SPLITS}, got {name!r}.")
        return getattr(self, f"u_{name}"), getattr(self, f"y_{name}")

    # -- persistence ------------------------------------------------------------------------------
    def _to_arrays(self):
        arrs = {f"{k}_{s}": getattr(self, f"{k}_{s}") for s in _SPLITS for k in ("u", "y", "x")}
        header = dict(format_version=_FORMAT_VERSION, dt=self.dt, input_names=self.input_names,
                      input_units=self.input_units, output_names=self.output_names,
                      output_units=self.output_units, state_names=self.state_names, meta=self.meta)
        arrs["header"] = np.array(json.dumps(header))
        return arrs

    @classmethod
    def _from_npz(cls, path):
        with np.load(path, allow_pickle=False) as z:
            header = json.loads(str(z["header"]))
            if header.get("format_version") != _FORMAT_VERSION:
                raise ValueError(f"unsupported dataset format in {path}.")
            arrs = {k: z[k] for k in z.files if k != "header"}
        return cls(dt=header["dt"], input_names=tuple(header["input_names"]),
                   input_units=tuple(header["input_units"]), output_names=tuple(header["output_names"]),
                   output_units=tuple(header["output_units"]), state_names=tuple(header["state_names"]),
                   meta=header["meta"], **arrs)


def _layer_description(plant):
    if plant.layer is None:
        return None
    return dict(name=plant.layer.name, loops=[dataclasses.asdict(lp) for lp in plant.layer.loops])


def _resolve_seed(random_state):
    check_value("random_state", random_state, ["random_state"])
    if random_state is None or isinstance(random_state, np.random.Generator):
        return int(np.random.default_rng(random_state).integers(2**63 - 1))
    return int(random_state)


def make_oil_platform_dataset(dt=60.0, train_hours=40.0, val_hours=10.0, test_hours=10.0, *,
                              envelope=None, hold_minutes=(10.0, 60.0), regulatory="struc2",
                              setpoint_filter_time=None, params: NetworkParameters | None = None,
                              random_state=0, chunk_hours=10.0, max_redraws=5, method="odeint",
                              rtol=1e-6, atol=1e-8, cache_dir=None):
    """Generate (or load from the cache) APRBS train / validation / test series of the plant.

    Parameters
    ----------
    dt : float, default 60
        Sampling time [s].
    train_hours, val_hours, test_hours : float
        Lengths of the three splits [h] (each rounded to whole samples).
    envelope : dict or array_like, optional
        ``{input_name: (low, high)}`` APRBS amplitude ranges (default :data:`DEFAULT_ENVELOPE`, or
        :data:`PIDNET_INNER_ENVELOPE` for ``regulatory="pidnet_inner"``).
    hold_minutes : (float, float), default (10, 60)
        Range of the APRBS hold times [min] (uniform; each channel switches independently).
    regulatory : str, RegulatoryLayer or None, default "struc2"
        PI layer of the plant (see :class:`rcpod.reservoir.oil_platform.OilPlatform`).
    setpoint_filter_time : float or None
        Optional first-order filter on the PI set points [s] (not in the source).
    params : NetworkParameters, optional
    random_state : int, numpy Generator or None, default 0
        Seed; a Generator or None is turned into an int seed (recorded in ``meta``).
    chunk_hours : float, default 10
        Length of the simulated chunks (a failed chunk is redrawn, see module docstring).
    max_redraws : int, default 5
        Redraws allowed per chunk before giving up with RuntimeError.
    method, rtol, atol
        Passed to :func:`rcpod.reservoir.oil_platform.simulate.simulate`.
    cache_dir : str, Path, None or False
        Cache directory (default :func:`default_cache_dir`); False disables the cache.

    Returns
    -------
    OilPlatformDataset

    Examples
    --------
    A tiny data set (half an hour of training data at 60 s) cached in a temporary directory:

    >>> import tempfile
    >>> from rcpod.reservoir.oil_platform import make_oil_platform_dataset
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     ds = make_oil_platform_dataset(train_hours=0.5, val_hours=0.25, test_hours=0.25,
    ...                                    cache_dir=tmp)
    >>> u, y = ds.split("train")
    >>> u.shape, y.shape
    ((30, 5), (30, 13))
    """
    dt = check_real("dt", dt, low=0, closed="neither")
    hours = {s: check_real(f"{s}_hours", h, low=0, closed="neither")
             for s, h in zip(_SPLITS, (train_hours, val_hours, test_hours))}
    chunk_hours = check_real("chunk_hours", chunk_hours, low=0, closed="neither")
    try:
        hmin, hmax = (float(h) for h in hold_minutes)
    except (TypeError, ValueError):
        raise ValueError(f"hold_minutes must be a pair (min, max) of minutes, got {hold_minutes!r}.") from None
    if not (0 < hmin <= hmax and math.isfinite(hmax)):
        raise ValueError(f"hold_minutes must satisfy 0 < min <= max, got {hold_minutes!r}.")
    hold = (max(1, int(round(hmin * 60 / dt))), max(1, int(round(hmax * 60 / dt))))
    check_int("max_redraws", max_redraws, low=0)
    plant = OilPlatform(params, regulatory, setpoint_filter_time=setpoint_filter_time)
    if plant.layer is None:
        raise ValueError("regulatory=None (open loop) is not supported: the open-loop plant is unstable "
                         "at the nominal point; use a PI layer.")
    bounds = envelope_bounds(plant, envelope)
    seed = _resolve_seed(random_state)
    settings = dict(
        format_version=_FORMAT_VERSION, kind="oil_platform_aprbs", dt=dt, hours=hours,
        envelope=bounds.tolist(), input_names=list(plant.input_names), hold_samples=list(hold),
        layer=_layer_description(plant), setpoint_filter_time=setpoint_filter_time,
        params=plant.params.to_dict(), seed=seed, chunk_hours=chunk_hours, max_redraws=int(max_redraws),
        method=method, rtol=float(rtol), atol=float(atol))
    key = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()
    path = None
    if cache_dir is not False:
        cdir = default_cache_dir() if cache_dir is None else Path(cache_dir)
        path = cdir / f"oil_platform_{key[:24]}.npz"
        if path.exists():
            try:
                ds = OilPlatformDataset._from_npz(path)
                logger.info("loaded oil-platform dataset from %s", path)
                return ds
            except (OSError, ValueError, KeyError) as exc:
                logger.warning("ignoring unreadable cache file %s (%s)", path, exc)

    center = bounds.mean(axis=1)
    x_center = plant.operating_point(center)
    chunk_len = max(1, int(round(chunk_hours * 3600 / dt)))
    out = {}
    meta_chunks = {}
    total_wall = 0.0
    for si, s in enumerate(_SPLITS):
        T = max(1, int(round(hours[s] * 3600 / dt)))
        x, u_prev = x_center, center
        U, Y, X, info = [], [], [], []
        done = 0
        c = 0
        while done < T:
            n = min(chunk_len, T - done)
            for attempt in range(max_redraws + 1):
                rng = np.random.default_rng([seed, si, c, attempt])
                Uc = aprbs(n, bounds, hold[0], hold[1], random_state=rng, start=u_prev)
                r = simulate(plant, Uc, dt, x0=x, method=method, rtol=rtol, atol=atol, on_failure="ignore")
                total_wall += r.wall_time
                if r.success:
                    break
                logger.info("split %s chunk %d attempt %d failed at t = %s s (%s); redrawing",
                            s, c, attempt, r.t_fail, r.status)
                info.append(dict(chunk=c, attempt=attempt, status=r.status, t_fail=r.t_fail))
            else:
                raise RuntimeError(f"split {s!r}, chunk {c}: {max_redraws + 1} attempts failed; narrow the "
                                   f"envelope or shorten the holds (last: {r.status}: {r.message}).")
            U.append(r.u)
            Y.append(r.y)
            X.append(r.x)
            x, u_prev = r.x[-1], r.u[-1]
            done += n
            c += 1
        out[s] = (np.vstack(U), np.vstack(Y), np.vstack(X))
        meta_chunks[s] = dict(n_chunks=c, failed_attempts=info)
    meta = dict(settings=settings, cache_key=key, chunks=meta_chunks, wall_time=total_wall)
    ds = OilPlatformDataset(
        u_train=out["train"][0], y_train=out["train"][1], x_train=out["train"][2],
        u_val=out["val"][0], y_val=out["val"][1], x_val=out["val"][2],
        u_test=out["test"][0], y_test=out["test"][1], x_test=out["test"][2],
        dt=dt, input_names=plant.input_names, input_units=plant.input_units,
        output_names=plant.output_names, output_units=plant.output_units,
        state_names=plant.state_names, meta=meta)
    if path is not None:
        _atomic_save(path, ds._to_arrays())
        logger.info("saved oil-platform dataset to %s", path)
    return ds


def _atomic_save(path: Path, arrays):
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".npz.tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez_compressed(fh, **arrays)
        os.replace(tmp, path)
        os.chmod(path, 0o644)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
