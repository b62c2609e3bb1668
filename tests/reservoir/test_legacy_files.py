"""Model files written by rcpod 0.1.0 (class paths ``reservoir.…``, ``reduction.…``,
``quantum.…``, before the ``rcpod`` namespace) load into the renamed classes.

The fixtures in tests/data/v0_1_0 were written by the 0.1.0 code (make_fixtures.txt there), with
the predictions that code made (expected.npz). Bit-exactness holds by construction against the
arrays in the file and against the current save format; against 0.1.0's own predictions the
agreement is bit-exact on the machine that wrote them (checked when they were written) and within
1e-12 elsewhere, because 0.1.0 predicted with Fortran-ordered readout weights but saved them in C
order, and BLAS kernels for the two layouts may round differently on another CPU.
"""
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from rcpod.reduction import DEIMReservoir, LinearizedDEIMReservoir
from rcpod.reservoir import ESN, ESNRegressor, ReservoirRegressor
from rcpod.quantum import QuantumReservoirRegressor
from rcpod.reservoir.persistence import LEGACY_CLASS_PATHS, ModelFileError, load, save

DATA = Path(__file__).resolve().parent.parent / "data" / "v0_1_0"
CASES = {  # file stem: (class of the loaded object, how to get the output compared)
    "esn_regressor": (ESNRegressor, lambda m, u: m.predict(u)),
    "esn_regressor_float32": (ESNRegressor, lambda m, u: m.predict(u)),
    "reservoir_regressor": (ReservoirRegressor, lambda m, u: m.predict(u)),
    "esn": (ESN, lambda m, u: m.run(u)),
    "pod_deim": (ReservoirRegressor, lambda m, u: m.predict(u)),
    "pod_qdeim_linearized_ow": (ReservoirRegressor, lambda m, u: m.predict(u)),
    "quantum_regressor": (QuantumReservoirRegressor, lambda m, u: m.predict(u[:300])),
}
EXPECTED_KEY = {"esn": "esn_states"}


@pytest.fixture(scope="module")
def expected():
    with np.load(DATA / "expected.npz") as npz:
        return {k: npz[k] for k in npz.files}


def _class_paths(path):
    with np.load(path) as npz:
        meta = json.loads(npz["__rcpod__"].tobytes())
    found = []

    def walk(node):
        if isinstance(node, dict):
            if "__object__" in node:
                found.append(node["__object__"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
    walk(meta["model"])
    return found


def _arrays(obj):
    """Every ndarray reachable through the fitted attributes of obj (depth first)."""
    out = []
    for k, v in sorted(vars(obj).items()):
        if isinstance(v, np.ndarray):
            out.append((k, v))
        elif hasattr(v, "get_params") and k.endswith("_"):
            out.extend((f"{k}.{n}", a) for n, a in _arrays(v))
    return out


def test_fixtures_are_0_1_0_files():
    for stem in CASES:
        paths = _class_paths(DATA / f"{stem}.npz")
        assert paths and not any(p.startswith("rcpod.") for p in paths)
        assert all(p in LEGACY_CLASS_PATHS or p.startswith("sklearn.") for p in paths), paths


@pytest.mark.parametrize("stem", sorted(CASES))
def test_0_1_0_file_loads_and_predicts_as_it_did(tmp_path, stem, expected):
    cls, output = CASES[stem]
    model = load(DATA / f"{stem}.npz")
    assert type(model) is cls
    u = expected["u"]
    out = output(model, u)
    ref = expected[EXPECTED_KEY.get(stem, stem)]
    assert out.dtype == ref.dtype and out.shape == ref.shape
    np.testing.assert_allclose(out, ref, rtol=1e-12, atol=1e-12 * np.abs(ref).max())
    # re-saved in the current format: every array and every prediction bit for bit
    again = load(save(model, tmp_path / "again.npz"))
    for (name, a), (name_b, b) in zip(_arrays(model), _arrays(again), strict=True):
        assert name == name_b and a.dtype == b.dtype and a.strides == b.strides
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(output(again, u), out)


def test_reduced_legacy_files_load_the_reduced_classes():
    assert type(load(DATA / "pod_deim.npz").reservoir_) is DEIMReservoir
    assert type(load(DATA / "pod_qdeim_linearized_ow.npz").reservoir_) is LinearizedDEIMReservoir


def test_loading_legacy_files_imports_no_old_package():
    for stem in CASES:
        load(DATA / f"{stem}.npz")
    assert not {"reservoir", "quantum", "reduction"} & set(sys.modules)


def test_old_names_outside_the_map_are_refused(tmp_path):
    path = DATA / "esn.npz"
    with np.load(path) as npz:
        entries = {k: npz[k].copy() for k in npz.files}
    meta = json.loads(entries["__rcpod__"].tobytes())
    meta["model"]["__object__"] = "reservoir.esn:os"       # an old prefix, not in the map
    entries["__rcpod__"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    bad = tmp_path / "bad.npz"
    np.savez(bad, **entries)
    with pytest.raises(ModelFileError, match="not an rcpod class"):
        load(bad)
