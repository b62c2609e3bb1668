"""save/load: bit-for-bit round trips; corrupt, tampered and foreign files refused."""
import json

import numpy as np
import pytest

from rcpod.reservoir import ESN, ESNRegressor, ReservoirRegressor, RidgeReadout
from rcpod.reservoir import _savefile
from rcpod.reservoir.persistence import ModelFileError, load, save


@pytest.fixture
def fitted():
    u = np.random.default_rng(0).uniform(-1, 1, (300, 2))
    y = np.c_[np.roll(u[:, 0], 1), u[:, 1] ** 2]
    model = ESNRegressor(n_units=40, washout=10, leak_rate=0.6, bias_scaling=0.1,
                         include_input=True, random_state=np.random.default_rng(5)).fit(u, y)
    return model, u


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_round_trip_is_bit_for_bit(tmp_path, fitted, dtype):
    model, u = fitted
    model.set_params(dtype=dtype).fit(u, np.c_[u[:, 0], u[:, 1]])
    loaded = load(save(model, tmp_path / "m.npz"))
    assert type(loaded) is ESNRegressor
    assert loaded.get_params()["dtype"] == dtype
    np.testing.assert_array_equal(loaded.predict(u), model.predict(u))
    assert loaded.reservoir_.W_.dtype == np.dtype(dtype)


def test_generic_estimator_and_reservoir_round_trip(tmp_path):
    u = np.random.default_rng(1).uniform(-1, 1, (200, 1))
    m = ReservoirRegressor(ESN(30, w_init="orthogonal", random_state=2),
                           readout=RidgeReadout(alpha=1e-3), washout=5).fit(u, u[:, 0])
    loaded = load(save(m, tmp_path / "g"))
    np.testing.assert_array_equal(loaded.predict(u), m.predict(u))
    esn = load(save(m.reservoir_, tmp_path / "r.npz"))
    np.testing.assert_array_equal(esn.run(u), m.reservoir_.run(u))


def test_truncated_file(tmp_path, fitted):
    path = save(fitted[0], tmp_path / "m.npz")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFileError, match="truncated or corrupt"):
        load(path)


def test_tampered_array(tmp_path, fitted):
    path = save(fitted[0], tmp_path / "m.npz")
    with np.load(path) as npz:
        entries = {k: npz[k].copy() for k in npz.files}
    key = next(k for k in entries if k != "__rcpod__" and entries[k].dtype.kind == "f")
    entries[key] = entries[key] + 1e-3
    np.savez(path, **entries)
    with pytest.raises(ModelFileError, match="checksum"):
        load(path)


def test_foreign_files(tmp_path):
    npz = tmp_path / "other.npz"
    np.savez(npz, a=np.arange(3))
    with pytest.raises(ModelFileError, match="not an rcpod model file"):
        load(npz)
    txt = tmp_path / "x.npz"
    txt.write_text("hello")
    with pytest.raises(ModelFileError):
        load(txt)
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "missing.npz")


def _rewrite_meta(path, edit):
    """Edit the metadata of a saved file and sign it again, as a deliberate forger would, so
    that the checks behind the signature are what the test exercises."""
    raw, arrays, _ = _savefile.read(path)
    meta = json.loads(raw)
    edit(meta)
    _savefile.write(path, meta, arrays)


def test_refuses_classes_outside_rcpod_and_newer_versions(tmp_path, fitted):
    path = save(fitted[0], tmp_path / "m.npz")
    _rewrite_meta(path, lambda m: m["model"].update({"__object__": "os:system"}))
    with pytest.raises(ModelFileError, match="not an rcpod class"):
        load(path)
    path = save(fitted[0], tmp_path / "m2.npz")
    _rewrite_meta(path, lambda m: m.update({"version": 99}))
    with pytest.raises(ModelFileError, match="version"):
        load(path)


def test_loading_never_unpickles(tmp_path, fitted):
    """An object array (which would need pickle) in the file is refused by numpy itself."""
    path = save(fitted[0], tmp_path / "m.npz")
    with np.load(path) as npz:
        entries = {k: npz[k].copy() for k in npz.files}
    entries["a0"] = np.array([{"evil": 1}], dtype=object)
    np.savez(path, **entries)
    with pytest.raises(ModelFileError):
        load(path)


def test_save_rejects_non_models(tmp_path):
    with pytest.raises(TypeError, match="model"):
        save({"a": 1}, tmp_path / "x.npz")
