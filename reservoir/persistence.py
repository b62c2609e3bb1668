"""Save and load fitted estimators and reservoirs without executing code on load.

Format (version 2): one ``.npz`` file, a zip of ``.npy`` entries stored uncompressed: every array
of the model, plus ``__rcpod__``, UTF-8 JSON metadata holding the format name and version, the
rcpod version that wrote it, a tree describing each object (its class, its constructor
parameters, its fitted attributes) and the dtype, shape and memory order of every array. The zip
comment at the end of the file holds one SHA-256 digest over every byte before it: metadata and
arrays together, and the container around them.

Loading trusts nothing in the file and executes none of it:

* the container is read strictly (uncompressed entries of expected names whose sizes fit the file;
  ``.npy`` headers checked against the entry sizes before any data is read; only native-endian
  bool, integer, float32 and float64 arrays), so no file can make the reader allocate more than
  its own size;
* the digest must match (so must the recorded dtype, shape and order of every array), and every
  array must be used by the tree;
* classes come from an explicit allow-list, :data:`SAVEABLE_CLASSES`: rcpod's own estimators,
  reservoirs and readouts and the scikit-learn readouts ``Ridge`` and ``LinearRegression``; the
  class paths written by rcpod 0.1.0 (``reservoir.…``, ``quantum.…``, ``reduction.…``) are
  translated through :data:`LEGACY_CLASS_PATHS`;
* every parameter is checked against its class's declared constraints and every fitted attribute
  against its declared schema (type, range, shape; :mod:`rcpod.reservoir.validation`).

Whatever is wrong with a file, :func:`load` raises :class:`ModelFileError` naming it, and nothing
else. Version-1 files (rcpod 0.1.0) still load; their digest covers the arrays only.

Arrays come back with the dtype, shape and memory order (C or Fortran) they had when saved, so a
loaded model runs the same code and BLAS kernels as the saved one: its outputs are bit-identical
by construction, on any CPU. (An array that is neither C- nor Fortran-contiguous, such as a
strided view, is saved as a C-ordered copy.) An object referenced twice (for example a reduced
reservoir that is both a parameter and a fitted attribute) is stored once and comes back shared.

What is saved of an object: ``get_params(deep=False)`` and its fitted attributes (public names
ending in ``_``) as its class declares them. Private attributes (caches, compiled kernels,
PennyLane devices) are not saved; classes rebuild them lazily.
"""
from __future__ import annotations

import dataclasses
import importlib
import json
import numbers
import zipfile
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator

from rcpod import __version__

from . import _savefile
from .validation import Array, InstanceOf, Interval, Options, check_fitted, check_params

__all__ = ["save", "load", "ModelFileError", "FORMAT_VERSION", "SAVEABLE_CLASSES",
           "SAVEABLE_RECORDS", "LEGACY_CLASS_PATHS"]

FORMAT_NAME = "rcpod-model"
FORMAT_VERSION = 2

#: Every class a model file may name (module:qualname): rcpod's own and the sklearn readouts.
SAVEABLE_CLASSES = frozenset([
    "rcpod.reservoir.esn:ESN",
    "rcpod.reservoir.estimators:ESNRegressor",
    "rcpod.reservoir.estimators:ReservoirRegressor",
    "rcpod.reservoir.readout:RidgeReadout",
    "rcpod.reservoir.oil_platform.identification:ARXModel",
    "rcpod.reservoir.oil_platform.identification:Scaler",
    "rcpod.reservoir.recurrent:ClassicalRNNReservoir",
    "rcpod.reservoir.windows:WindowFeatures",
    "rcpod.quantum.estimators:QuantumReservoirRegressor",
    "rcpod.quantum.readout_training:RMSpropReadout",
    "rcpod.quantum.reservoir:QuantumReservoir",
    "rcpod.quantum.trained:TrainedQuantumRNN",
    "rcpod.reduction.reduced:ReducedReservoir",
    "rcpod.reduction.reduced:PODReservoir",
    "rcpod.reduction.reduced:DEIMReservoir",
    "rcpod.reduction.reduced:StabilizedDEIMReservoir",
    "rcpod.reduction.reduced:LinearizedDEIMReservoir",
    "sklearn.linear_model._ridge:Ridge",
    "sklearn.linear_model._base:LinearRegression",
])

#: Immutable records (frozen dataclasses with ``to_dict`` / ``from_dict``) a file may hold as
#: attribute values, e.g. a reduced estimator's ``reduction_report_``.
SAVEABLE_RECORDS = frozenset(["rcpod.reduction.report:ReductionReport"])

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
    ("quantum.estimators", "QuantumReservoirRegressor"),
    ("quantum.readout_training", "RMSpropReadout"),
    ("quantum.reservoir", "QuantumReservoir"),
    ("quantum.trained", "TrainedQuantumRNN"),
    ("reduction.reduced", "ReducedReservoir"),
    ("reduction.reduced", "PODReservoir"),
    ("reduction.reduced", "DEIMReservoir"),
    ("reduction.reduced", "StabilizedDEIMReservoir"),
    ("reduction.reduced", "LinearizedDEIMReservoir"),
]}
# classical pieces that moved from quantum/ to reservoir/ (0.1.0 names and the 0.2 development
# names rcpod.quantum.classical / rcpod.quantum.windows)
LEGACY_CLASS_PATHS.update({f"{prefix}{old}": new for prefix in ("", "rcpod.") for old, new in [
    ("quantum.classical:ClassicalRNNReservoir", "rcpod.reservoir.recurrent:ClassicalRNNReservoir"),
    ("quantum.windows:WindowFeatures", "rcpod.reservoir.windows:WindowFeatures"),
]})

_REAL = Interval(numbers.Real)
_COUNT = Interval(numbers.Integral, 1)
_COEF = [Array(ndim=1, shape=("n_features_in_",)), Array(ndim=2, shape=(None, "n_features_in_"))]
#: The declared tables of the scikit-learn readouts: (parameters, fitted attributes, optional).
_SKLEARN_TABLES = {
    "Ridge": ({"alpha": [Interval(numbers.Real, 0), Array(ndim=1)], "fit_intercept": ["boolean"],
               "copy_X": ["boolean"], "max_iter": [None, _COUNT], "tol": [_REAL],
               "solver": [Options({"auto", "svd", "cholesky", "lsqr", "sparse_cg", "sag",
                                   "saga", "lbfgs"})],
               "positive": ["boolean"], "random_state": ["random_state"]},
              {"coef_": _COEF, "intercept_": [_REAL, Array(ndim=1)], "n_features_in_": [_COUNT],
               "n_iter_": [None, Array(kinds="iu", ndim=1)], "solver_": [InstanceOf(str)]},
              {"n_iter_", "solver_"}),
    "LinearRegression": ({"fit_intercept": ["boolean"], "copy_X": ["boolean"],
                          "n_jobs": [None, Interval(numbers.Integral)],
                          "positive": ["boolean"], "tol": [_REAL]},
                         {"coef_": _COEF, "intercept_": [_REAL, Array(ndim=1)],
                          "n_features_in_": [_COUNT], "rank_": [Interval(numbers.Integral, 0)],
                          "singular_": [Array(ndim=1)]},
                         {"rank_", "singular_"}),
}


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


def _tables(cls):
    """(parameter constraints, fitted schema, optional fitted names) declared for ``cls``."""
    if cls.__module__.startswith("sklearn."):
        return _SKLEARN_TABLES[cls.__name__]
    return (cls._parameter_constraints, cls._fitted_schema,
            getattr(cls, "_fitted_optional", frozenset()))


def _class_path(cls):
    return f"{cls.__module__}:{cls.__qualname__}"


class _Encoder:
    def __init__(self):
        self.arrays = {}
        self._array_keys = {}   # id(array) -> key: an array referenced twice is stored once
        self._objects = {}      # id(object) -> index: likewise objects
        self._keep = []         # keeps encoded objects alive so that ids stay unique

    def _array(self, a):
        key = self._array_keys.get(id(a))
        if key is None:
            key = f"a{len(self.arrays)}"
            # np.save keeps a Fortran-contiguous array in Fortran order: the memory order survives
            self.arrays[key] = a if (a.flags.c_contiguous or a.flags.f_contiguous) else \
                np.ascontiguousarray(a)
            self._array_keys[id(a)] = key
            self._keep.append(a)
        return {"__ndarray__": key}

    def encode(self, value, where):
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, np.generic) and not isinstance(value, np.ndarray):
            value = value.item()
        if isinstance(value, numbers.Integral):
            return int(value)
        if isinstance(value, numbers.Real):
            f = float(value)
            return f if np.isfinite(f) else {"__float__": repr(f)}
        if isinstance(value, np.ndarray) and value.dtype == object and value.ndim == 1 and all(
                isinstance(v, str) for v in value):
            return {"__strarray__": [str(v) for v in value]}   # e.g. feature_names_in_
        if isinstance(value, np.ndarray):
            if value.dtype not in _savefile.ALLOWED_DTYPES:
                raise TypeError(f"cannot save {where}: arrays of dtype {value.dtype} are not "
                                f"supported (bool, integer, float32 and float64 only).")
            return self._array(value.astype(value.dtype.newbyteorder("="), copy=False))
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
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            path = _class_path(type(value))
            if path not in SAVEABLE_RECORDS:
                raise TypeError(f"cannot save {where}: record type {path} is not one the rcpod "
                                f"format stores.")
            return {"__record__": [path, self.encode(value.to_dict(), where)]}
        if isinstance(value, dict):
            if not all(isinstance(k, str) for k in value):
                raise TypeError(f"cannot save {where}: dict keys must be strings.")
            return {"__dict__": {k: self.encode(v, f"{where}[{k!r}]") for k, v in value.items()}}
        if isinstance(value, BaseEstimator):
            return self.encode_object(value, where)
        raise TypeError(f"cannot save {where}: values of type {type(value).__name__} are not "
                        f"supported by the rcpod format.")

    def encode_object(self, obj, where="model"):
        if id(obj) in self._objects:
            return {"__ref__": self._objects[id(obj)]}
        cls = type(obj)
        path = _class_path(cls)
        if path not in SAVEABLE_CLASSES:
            raise TypeError(f"cannot save {where}: class {path} is not one of the classes the "
                            f"rcpod format stores (rcpod's own, sklearn Ridge / LinearRegression).")
        index = len(self._objects)
        self._objects[id(obj)] = index
        self._keep.append(obj)
        _, schema, _ = _tables(cls)
        params = {k: self.encode(v, f"{where}.{k}") for k, v in obj.get_params(deep=False).items()}
        fitted = {k: self.encode(getattr(obj, k), f"{where}.{k}") for k in schema
                  if k in vars(obj)}
        return {"__object__": path, "id": index, "params": params, "fitted": fitted}


def _jsonable_state(state):
    if isinstance(state, dict):
        return {k: _jsonable_state(v) for k, v in state.items()}
    if isinstance(state, np.ndarray):
        return state.tolist()
    return state


_OBJECT_KEYS = {"__object__", "id", "params", "fitted"}


class _Decoder:
    def __init__(self, arrays, version):
        self.arrays, self.version = arrays, version
        self.used = set()
        self.objects = {}

    def _expect(self, cond, what):
        if not cond:
            raise ModelFileError(what)

    def array(self, node):
        key = node["__ndarray__"]
        self._expect(isinstance(key, str) and key in self.arrays,
                     f"array {key!r} is missing from the file.")
        self.used.add(key)
        return self.arrays[key]

    def _record(self, entry, where):
        self._expect(isinstance(entry, list) and len(entry) == 2 and entry[0] in SAVEABLE_RECORDS,
                     f"{where}: invalid or unknown record {entry!r:.60}.")
        module, qualname = entry[0].split(":", 1)
        cls = getattr(importlib.import_module(module), qualname)
        values = self.decode(entry[1], where)
        self._expect(isinstance(values, dict), f"{where}: invalid record fields.")
        try:
            return cls.from_dict(values)
        except (TypeError, ValueError) as exc:
            raise ModelFileError(f"{where}: invalid {qualname}: {exc}") from None

    def decode(self, value, where):
        if value is None or isinstance(value, (bool, str, int, float)):
            return value
        if isinstance(value, list):
            return [self.decode(v, f"{where}[{i}]") for i, v in enumerate(value)]
        self._expect(isinstance(value, dict) and len(value) >= 1,
                     f"{where}: unrecognised metadata value {value!r:.60}.")
        tag = next(iter(value)) if len(value) == 1 else "__object__"
        if tag == "__ndarray__":
            return self.array(value)
        if tag == "__csr__":
            parts = value["__csr__"]
            self._expect(isinstance(parts, list) and len(parts) == 4 and isinstance(parts[3], list)
                         and len(parts[3]) == 2 and all(isinstance(d, int) and d >= 0
                                                        for d in parts[3]),
                         f"{where}: invalid sparse matrix entry.")
            data, indices, indptr = (self.decode(v, where) for v in parts[:3])
            self._expect(all(isinstance(a, np.ndarray) and a.ndim == 1
                             for a in (data, indices, indptr))
                         and indices.dtype.kind in "iu" and indptr.dtype.kind in "iu"
                         and len(indptr) == parts[3][0] + 1 and len(indices) == len(data),
                         f"{where}: inconsistent sparse matrix arrays.")
            m = sp.csr_matrix((data, indices, indptr), shape=tuple(parts[3]))
            m.check_format(full_check=True)
            return m
        if tag == "__float__":
            self._expect(value["__float__"] in ("nan", "inf", "-inf"),
                         f"{where}: invalid special float {value['__float__']!r:.30}.")
            return float(value["__float__"])
        if tag == "__dtype__":
            self._expect(value["__dtype__"] in ("float32", "float64"),
                         f"{where}: unsupported dtype {value['__dtype__']!r:.30}.")
            return np.dtype(value["__dtype__"])
        if tag == "__strarray__":
            names = value["__strarray__"]
            self._expect(isinstance(names, list) and all(isinstance(v, str) for v in names),
                         f"{where}: invalid array of strings.")
            return np.asarray(names, dtype=object)
        if tag == "__tuple__":
            self._expect(isinstance(value["__tuple__"], list), f"{where}: invalid tuple.")
            return tuple(self.decode(value["__tuple__"], where))
        if tag == "__dict__":
            self._expect(isinstance(value["__dict__"], dict), f"{where}: invalid dict.")
            return {k: self.decode(v, f"{where}[{k!r}]") for k, v in value["__dict__"].items()}
        if tag == "__record__":
            return self._record(value["__record__"], where)
        if tag == "__generator__":
            return _generator(value["__generator__"], where)
        if tag == "__ref__":
            self._expect(self.version >= 2 and value["__ref__"] in self.objects,
                         f"{where}: reference to an unknown object {value['__ref__']!r:.30}.")
            return self.objects[value["__ref__"]]
        if "__object__" in value:
            return self.decode_object(value, where)
        raise ModelFileError(f"{where}: unrecognised metadata entry {sorted(value)}.")

    def decode_object(self, node, where="model"):
        allowed = _OBJECT_KEYS if self.version >= 2 else _OBJECT_KEYS - {"id"}
        self._expect(isinstance(node, dict) and "__object__" in node and set(node) <= allowed
                     and isinstance(node.get("params", {}), dict)
                     and isinstance(node.get("fitted", {}), dict),
                     f"{where}: invalid object entry with keys {sorted(node)[:8]}.")
        cls = _resolve_class(node["__object__"])
        constraints, schema, optional = _tables(cls)
        unknown = set(node.get("params", {})) - set(constraints)
        self._expect(not unknown, f"{where}: {cls.__name__} has no parameters {sorted(unknown)}.")
        params = {k: self.decode(v, f"{where}.{k}") for k, v in node.get("params", {}).items()}
        obj = cls(**params)
        check_params(obj, constraints)
        fitted = node.get("fitted", {})
        unknown = set(fitted) - set(schema)
        self._expect(not unknown, f"{where}: {cls.__name__} has no fitted attributes "
                                  f"{sorted(unknown)}.")
        missing = set(schema) - set(optional) - set(fitted)
        self._expect(not fitted or not missing, f"{where}: the fitted {cls.__name__} lacks "
                                                f"{sorted(missing)}.")
        for k, v in fitted.items():
            setattr(obj, k, self.decode(v, f"{where}.{k}"))
        check_fitted(obj, schema)
        if self.version >= 2:
            self._expect(isinstance(node.get("id"), int) and node["id"] not in self.objects,
                         f"{where}: invalid object id.")
            self.objects[node["id"]] = obj
        return obj


def _generator(state, where):
    if not (isinstance(state, dict) and isinstance(state.get("bit_generator"), str)):
        raise ModelFileError(f"{where}: invalid random generator state.")
    bitgen = getattr(np.random, state["bit_generator"], None)
    if not (isinstance(bitgen, type) and issubclass(bitgen, np.random.BitGenerator)):
        raise ModelFileError(f"{where}: unknown bit generator {state['bit_generator']!r:.30}.")
    g = np.random.Generator(bitgen())
    g.bit_generator.state = state
    return g


def _resolve_class(path):
    if not isinstance(path, str):
        raise ModelFileError(f"invalid class reference {path!r:.60} in the file.")
    path = LEGACY_CLASS_PATHS.get(path, path)
    if path not in SAVEABLE_CLASSES:
        raise ModelFileError(f"class {path!r:.80} is not an rcpod class the format stores; "
                             f"refusing to load it.")
    module, qualname = path.split(":", 1)
    return getattr(importlib.import_module(module), qualname)


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
    meta = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "rcpod": __version__,
            "model": tree,
            "arrays": {k: {"dtype": a.dtype.str, "shape": list(a.shape),
                           "order": _savefile.array_order(a)} for k, a in enc.arrays.items()}}
    path = Path(path)
    if path.suffix != ".npz":
        path = path.with_name(path.name + ".npz")
    _savefile.write(path, meta, enc.arrays)
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
        return _load(path)
    except ModelFileError as exc:
        raise ModelFileError(f"{path}: {exc}") from None
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise ModelFileError(f"{path} is not a readable rcpod model file (truncated or "
                             f"corrupt): {exc}") from None
    except Exception as exc:  # noqa: BLE001
        # The checks above name most problems; this is the net under them, so that load never
        # raises anything but its file error, whatever a crafted file does.
        raise ModelFileError(f"{path} is not a valid rcpod model file: "
                             f"{type(exc).__name__}: {exc}") from None


def _load(path):
    try:
        raw, arrays, signed = _savefile.read(path)
    except ValueError as exc:
        raise ModelFileError(f"not a valid rcpod model file: {exc}") from None
    try:
        meta = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ModelFileError(f"the metadata is corrupt: {exc}") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT_NAME:
        raise ModelFileError(f"not an rcpod model file (format "
                             f"{meta.get('format') if isinstance(meta, dict) else None!r:.40}).")
    version = meta.get("version")
    if version == 1:   # rcpod 0.1.0: no file signature, a digest of the arrays in the metadata
        expected = {"format", "version", "model", "sha256"}
        ok = not signed and meta.get("sha256") == _savefile.digest_v1(arrays)
    elif version == FORMAT_VERSION:
        expected = {"format", "version", "rcpod", "model", "arrays"}
        ok = signed
    else:
        raise ModelFileError(f"format version {version!r:.20}; this rcpod reads versions 1 and "
                             f"{FORMAT_VERSION}.")
    if not ok:
        raise ModelFileError("the contents do not match their recorded checksum (the file was "
                             "modified or corrupted).")
    if set(meta) != expected:
        raise ModelFileError(f"unexpected metadata fields {sorted(set(meta) ^ expected)}.")
    if version >= 2:
        _check_array_records(meta["arrays"], arrays)
    decoder = _Decoder(arrays, version)
    model = decoder.decode_object(meta["model"])
    unused = set(arrays) - decoder.used
    if unused:
        raise ModelFileError(f"the file holds arrays no object uses: {sorted(unused)[:5]}.")
    return model


def _check_array_records(records, arrays):
    if not isinstance(records, dict) or set(records) != set(arrays):
        raise ModelFileError("the array records do not match the arrays in the file.")
    for key, a in arrays.items():
        want = {"dtype": a.dtype.str, "shape": list(a.shape), "order": _savefile.array_order(a)}
        if records[key] != want:
            raise ModelFileError(f"array {key}: recorded as {records[key]!r:.80}, the file "
                                 f"holds {want}.")
