"""Save and load fitted estimators and reservoirs without executing code on load.

Format (version 1): one ``.npz`` file (read with ``allow_pickle=False``) holding every array of
the model plus an entry ``__rcpod__`` with UTF-8 JSON metadata: the format name and version, a
tree describing each object (its class, its constructor parameters, its fitted attributes), and a
SHA-256 digest of all arrays, so truncated, tampered or foreign files are refused with a clear
error. Classes are only ever looked up among rcpod's own packages (``rcpod.reservoir``,
``rcpod.quantum``, ``rcpod.reduction``) and scikit-learn, and must be scikit-learn style
estimators. Files written by rcpod 0.1.0, whose class paths name the packages without the
``rcpod.`` prefix, load through the explicit map :data:`LEGACY_CLASS_PATHS`.

Arrays come back with the dtype, shape and memory order (C or Fortran) they had when saved, so a
loaded model runs the same BLAS kernels as the saved one: predictions are bit-identical by
construction, on any CPU. (An array that is neither C- nor Fortran-contiguous, such as a strided
view, is saved as a C-ordered copy.)

What is saved of an object: ``get_params(deep=False)`` and every public attribute ending in
``_`` (the fitted state). Private attributes (leading underscore: caches, compiled kernels,
PennyLane devices) are not saved; classes rebuild them lazily.
"""
from __future__ import annotations

import hashlib
import importlib
import json
import numbers
import zipfile
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator

__all__ = ["save", "load", "ModelFileError", "FORMAT_VERSION", "LEGACY_CLASS_PATHS"]

FORMAT_NAME = "rcpod-model"
FORMAT_VERSION = 1
_META_KEY = "__rcpod__"
_ALLOWED_PREFIXES = ("rcpod.reservoir.", "rcpod.quantum.", "rcpod.reduction.", "sklearn.")

#: Class paths written by rcpod 0.1.0 (top-level packages ``reservoir``, ``quantum``,
#: ``reduction``) and the classes they load into now. Only these old names are translated.
LEGACY_CLASS_PATHS = {f"{old}:{name}": f"rcpod.{old}:{name}" for old, name in [
    ("reservoir.base", "BaseReservoir"),
    ("reservoir.esn", "ESN"),
    ("reservoir.estimators", "ESNRegressor"),
    ("reservoir.estimators", "ReservoirRegressor"),
    ("reservoir.readout", "RidgeReadout"),
    ("reservoir.oil_platform.identification", "ARXModel"),
    ("reservoir.oil_platform.identification", "Scaler"),
    ("quantum.classical", "ClassicalRNNReservoir"),
    ("quantum.estimators", "QuantumReservoirRegressor"),
    ("quantum.readout_training", "RMSpropReadout"),
    ("quantum.reservoir", "QuantumReservoir"),
    ("quantum.trained", "TrainedQuantumRNN"),
    ("quantum.windows", "WindowFeatures"),
    ("reduction.reduced", "ReducedReservoir"),
    ("reduction.reduced", "PODReservoir"),
    ("reduction.reduced", "DEIMReservoir"),
    ("reduction.reduced", "StabilizedDEIMReservoir"),
    ("reduction.reduced", "LinearizedDEIMReservoir"),
]}


class ModelFileError(ValueError):
    """A file is not a valid rcpod model file (truncated, tampered, foreign or too new).

    A subclass of ``ValueError``, raised by :func:`load`.

    Examples
    --------
    A plain ``.npz`` file is refused:

    >>> import numpy as np, os, tempfile
    >>> from rcpod.reservoir.persistence import ModelFileError, load
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = os.path.join(tmp, "data.npz")
    ...     np.savez(path, x=np.zeros(3))
    ...     try:
    ...         load(path)
    ...     except ModelFileError as err:
    ...         print("not an rcpod model file" in str(err))
    True
    """


class _Encoder:
    def __init__(self):
        self.arrays = {}

    def _array(self, a):
        key = f"a{len(self.arrays)}"
        # np.save keeps a Fortran-contiguous array in Fortran order: the memory order survives.
        self.arrays[key] = a if (a.flags.c_contiguous or a.flags.f_contiguous) else \
            np.ascontiguousarray(a)
        return {"__ndarray__": key}

    def encode(self, value, where):
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, np.generic):
            value = value.item()
        if isinstance(value, numbers.Integral):
            return int(value)
        if isinstance(value, numbers.Real):
            f = float(value)
            return f if np.isfinite(f) else {"__float__": repr(f)}
        if isinstance(value, np.ndarray):
            if value.dtype == object:
                raise TypeError(f"cannot save {where}: object arrays are not supported.")
            return self._array(value)
        if sp.issparse(value):
            m = sp.csr_matrix(value)
            return {"__csr__": [self._array(m.data), self._array(m.indices),
                                self._array(m.indptr), list(m.shape)]}
        if isinstance(value, np.dtype) or (isinstance(value, type) and issubclass(value, np.generic)):
            return {"__dtype__": np.dtype(value).name}
        if isinstance(value, np.random.Generator):
            return {"__generator__": _jsonable_state(value.bit_generator.state)}
        if isinstance(value, (list, tuple)):
            items = [self.encode(v, f"{where}[{i}]") for i, v in enumerate(value)]
            return {"__tuple__": items} if isinstance(value, tuple) else items
        if isinstance(value, dict):
            if not all(isinstance(k, str) for k in value):
                raise TypeError(f"cannot save {where}: dict keys must be strings.")
            return {"__dict__": {k: self.encode(v, f"{where}[{k!r}]") for k, v in value.items()}}
        if isinstance(value, BaseEstimator):
            return self.encode_object(value, where)
        raise TypeError(f"cannot save {where}: values of type {type(value).__name__} are not "
                        f"supported by the rcpod format.")

    def encode_object(self, obj, where="model"):
        cls = type(obj)
        if not cls.__module__.startswith(_ALLOWED_PREFIXES):
            raise TypeError(f"cannot save {where}: class {cls.__module__}.{cls.__qualname__} is "
                            f"not part of rcpod or scikit-learn.")
        params = {k: self.encode(v, f"{where}.{k}") for k, v in obj.get_params(deep=False).items()}
        fitted = {k: self.encode(v, f"{where}.{k}") for k, v in vars(obj).items()
                  if k.endswith("_") and not k.startswith("_") and k not in params}
        return {"__object__": f"{cls.__module__}:{cls.__qualname__}", "params": params,
                "fitted": fitted}


def _jsonable_state(state):
    if isinstance(state, dict):
        return {k: _jsonable_state(v) for k, v in state.items()}
    if isinstance(state, np.ndarray):
        return state.tolist()
    return state


class _Decoder:
    def __init__(self, arrays):
        self.arrays = arrays

    def decode(self, value):
        if isinstance(value, list):
            return [self.decode(v) for v in value]
        if not isinstance(value, dict):
            return value
        if "__ndarray__" in value:
            try:
                return self.arrays[value["__ndarray__"]]
            except KeyError:
                raise ModelFileError(f"array {value['__ndarray__']!r} is missing from the file.")
        if "__csr__" in value:
            data, indices, indptr, shape = value["__csr__"]
            return sp.csr_matrix((self.decode(data), self.decode(indices), self.decode(indptr)),
                                 shape=tuple(shape))
        if "__float__" in value:
            return float(value["__float__"])
        if "__dtype__" in value:
            return np.dtype(value["__dtype__"])
        if "__tuple__" in value:
            return tuple(self.decode(v) for v in value["__tuple__"])
        if "__dict__" in value:
            return {k: self.decode(v) for k, v in value["__dict__"].items()}
        if "__generator__" in value:
            state = value["__generator__"]
            name = state.get("bit_generator")
            bitgen = getattr(np.random, str(name), None)
            if bitgen is None or not isinstance(bitgen, type) or not issubclass(
                    bitgen, np.random.BitGenerator):
                raise ModelFileError(f"unknown bit generator {name!r} in the file.")
            g = np.random.Generator(bitgen())
            g.bit_generator.state = state
            return g
        if "__object__" in value:
            return self.decode_object(value)
        raise ModelFileError(f"unrecognised entry in the model metadata: {sorted(value)}.")

    def decode_object(self, node):
        cls = _resolve_class(node["__object__"])
        params = {k: self.decode(v) for k, v in node.get("params", {}).items()}
        try:
            obj = cls(**params)
        except TypeError as exc:
            raise ModelFileError(f"parameters in the file do not fit {cls.__name__}: {exc}")
        for k, v in node.get("fitted", {}).items():
            if not (k.endswith("_") and not k.startswith("_")):
                raise ModelFileError(f"invalid fitted attribute name {k!r} in the file.")
            setattr(obj, k, self.decode(v))
        if hasattr(obj, "_after_load"):
            obj._after_load()
        return obj


def _resolve_class(path):
    if not isinstance(path, str) or ":" not in path:
        raise ModelFileError(f"invalid class reference {path!r} in the file.")
    path = LEGACY_CLASS_PATHS.get(path, path)
    module, qualname = path.split(":", 1)
    if not module.startswith(_ALLOWED_PREFIXES) or "." in qualname:
        raise ModelFileError(f"class {path!r} is not an rcpod class; refusing to load it.")
    try:
        cls = getattr(importlib.import_module(module), qualname)
    except (ImportError, AttributeError):
        raise ModelFileError(f"class {path!r} named in the file does not exist in this version "
                             f"of rcpod.")
    if not (isinstance(cls, type) and issubclass(cls, BaseEstimator)):
        raise ModelFileError(f"{path!r} is not an estimator class; refusing to load it.")
    return cls


def _digest(arrays):
    h = hashlib.sha256()
    for key in sorted(arrays):
        a = arrays[key]
        h.update(key.encode())
        h.update(str(a.dtype.str).encode())
        h.update(str(a.shape).encode())
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


def save(model, path):
    """Save a fitted estimator or an initialized reservoir to ``path`` (.npz).

    Parameters
    ----------
    model : rcpod estimator or reservoir
    path : str or path-like
        Written as given (numpy appends ``.npz`` if the name lacks it; the actual path is
        returned).

    Returns
    -------
    pathlib.Path
        The written file.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> from rcpod.reservoir import ESNRegressor
    >>> from rcpod.reservoir.persistence import save, load
    >>> u = np.random.default_rng(0).uniform(size=(100, 1))
    >>> model = ESNRegressor(n_units=20, random_state=0).fit(u, u[:, 0])
    >>> path = save(model, os.path.join(tempfile.mkdtemp(), "esn.npz"))
    >>> bool(np.array_equal(load(path).predict(u), model.predict(u)))
    True
    """
    if not isinstance(model, BaseEstimator):
        raise TypeError(f"model must be an rcpod estimator or reservoir, got "
                        f"{type(model).__name__}.")
    enc = _Encoder()
    tree = enc.encode_object(model)
    meta = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "model": tree,
            "sha256": _digest(enc.arrays)}
    path = Path(path)
    if path.suffix != ".npz":
        path = path.with_name(path.name + ".npz")
    blob = np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)
    with open(path, "wb") as fh:
        np.savez(fh, **{_META_KEY: blob}, **enc.arrays)
    return path


def load(path):
    """Load a model written by :func:`save`. Executes no code from the file.

    Parameters
    ----------
    path : str or pathlib.Path
        The ``.npz`` file written by :func:`save`.

    Returns
    -------
    model
        The estimator or reservoir, with its parameters and fitted attributes.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ModelFileError
        If the file is truncated, tampered with, not an rcpod file, or of a newer format.

    Examples
    --------
    >>> import numpy as np, os, tempfile
    >>> from rcpod.reservoir import ESN
    >>> from rcpod.reservoir.persistence import load, save
    >>> esn = ESN(n_units=10, random_state=0).initialize(2)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     copy = load(save(esn, os.path.join(tmp, "esn.npz")))
    >>> type(copy).__name__, bool(np.array_equal(copy.W_in_, esn.W_in_))
    ('ESN', True)
    >>> load("no_such_model.npz")
    Traceback (most recent call last):
    ...
    FileNotFoundError: path 'no_such_model.npz' does not exist.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"path {str(path)!r} does not exist.")
    try:
        with np.load(path, allow_pickle=False) as npz:
            if _META_KEY not in npz.files:
                raise ModelFileError(f"{path} is not an rcpod model file (no {_META_KEY} entry).")
            arrays = {k: npz[k] for k in npz.files if k != _META_KEY}
            raw = npz[_META_KEY]
    except ModelFileError:
        raise
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, KeyError) as exc:
        raise ModelFileError(f"{path} is not a readable rcpod model file (truncated or "
                             f"corrupt): {exc}") from exc
    try:
        meta = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"{path}: the metadata is corrupt: {exc}") from exc
    if not isinstance(meta, dict) or meta.get("format") != FORMAT_NAME:
        raise ModelFileError(f"{path} is not an rcpod model file (format "
                             f"{meta.get('format') if isinstance(meta, dict) else None!r}).")
    if meta.get("version") != FORMAT_VERSION:
        raise ModelFileError(f"{path} has format version {meta.get('version')!r}; this rcpod "
                             f"reads version {FORMAT_VERSION}.")
    if meta.get("sha256") != _digest(arrays):
        raise ModelFileError(f"{path}: the arrays do not match their recorded checksum (the file "
                             f"was modified or corrupted).")
    return _Decoder(arrays).decode_object(meta["model"])
