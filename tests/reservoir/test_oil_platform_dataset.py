"""APRBS excitation and cached oil-platform data sets."""
import numpy as np
import pytest

from rcpod.reservoir.oil_platform import DEFAULT_ENVELOPE, aprbs, make_oil_platform_dataset
from rcpod.reservoir.oil_platform import dataset as dsmod


def test_aprbs_properties():
    b = np.array([[0.0, 1.0], [-5.0, 5.0], [2.0, 2.0]])
    u = aprbs(500, b, 5, 20, random_state=1)
    assert u.shape == (500, 3)
    assert np.all(u >= b[:, 0]) and np.all(u <= b[:, 1])
    for j in range(2):
        sw = np.flatnonzero(np.diff(u[:, j]) != 0) + 1
        holds = np.diff(np.concatenate([[0], sw]))
        assert holds.min() >= 5 and holds.max() <= 20
        assert len(np.unique(u[:, j])) == len(sw) + 1     # new amplitude at every switch
    np.testing.assert_array_equal(u, aprbs(500, b, 5, 20, random_state=1))
    assert not np.array_equal(u, aprbs(500, b, 5, 20, random_state=2))
    g = np.random.default_rng(7)
    assert aprbs(10, b, 1, 2, random_state=g).shape == (10, 3)


def test_aprbs_start_and_synchronous():
    b = np.array([[0.0, 1.0], [0.0, 1.0]])
    u = aprbs(200, b, 10, 10, random_state=0, start=[0.25, 0.75], synchronous=True)
    np.testing.assert_allclose(u[0], [0.25, 0.75])
    assert np.all(u[:10] == u[0])
    np.testing.assert_array_equal(np.diff(u[:, 0]) != 0, np.diff(u[:, 1]) != 0)


@pytest.mark.parametrize("kw, match", [
    (dict(n_samples=0), "n_samples"), (dict(hold_min=0), "hold_min"), (dict(hold_max=2, hold_min=3), "hold_max"),
    (dict(bounds=[[1.0, 0.0]]), "low <= high"), (dict(bounds=[1.0, 2.0]), "shape"),
    (dict(bounds=[[0.0, np.nan]]), "bounds contains NaN"), (dict(start=[5.0]), "start"),
])
def test_aprbs_errors(kw, match):
    args = dict(n_samples=10, bounds=[[0.0, 1.0]], hold_min=1, hold_max=3)
    args.update(kw)
    with pytest.raises(ValueError, match=match):
        aprbs(**args)


@pytest.mark.parametrize("kw, match", [
    (dict(n_samples=10.0), "^n_samples must be an int"), (dict(hold_min=True), "^hold_min must"),
    (dict(bounds=[["a", "b"]]), "^bounds must be a numeric array"),
])
def test_aprbs_type_errors(kw, match):
    args = dict(n_samples=10, bounds=[[0.0, 1.0]], hold_min=1, hold_max=3) | kw
    with pytest.raises(TypeError, match=match):
        aprbs(**args)


SMALL = dict(train_hours=1.0, val_hours=0.5, test_hours=0.5, hold_minutes=(10, 20), random_state=5)


def test_dataset_generation_and_cache(tmp_path, monkeypatch):
    ds = make_oil_platform_dataset(cache_dir=tmp_path, **SMALL)
    assert ds.u_train.shape == (60, 5) and ds.y_train.shape == (60, 13) and ds.u_val.shape == (30, 5)
    env = np.array([DEFAULT_ENVELOPE[n] for n in ds.input_names])
    for s in ("train", "val", "test"):
        u, y = ds.split(s)
        assert np.all(u >= env[:, 0]) and np.all(u <= env[:, 1]) and np.all(np.isfinite(y))
    files = list(tmp_path.glob("oil_platform_*.npz"))
    assert len(files) == 1
    with np.load(files[0], allow_pickle=False) as z:
        assert "u_train" in z.files and "header" in z.files
    # second call: loaded from the cache, no simulation
    monkeypatch.setattr(dsmod, "simulate", lambda *a, **k: pytest.fail("simulated instead of cache"))
    ds2 = make_oil_platform_dataset(cache_dir=tmp_path, **SMALL)
    np.testing.assert_array_equal(ds2.y_test, ds.y_test)
    assert ds2.meta["cache_key"] == ds.meta["cache_key"] and ds2.output_names == ds.output_names


def test_dataset_key_depends_on_settings(tmp_path):
    a = make_oil_platform_dataset(cache_dir=tmp_path, **SMALL)
    b = make_oil_platform_dataset(cache_dir=tmp_path, **dict(SMALL, random_state=6))
    assert a.meta["cache_key"] != b.meta["cache_key"]
    assert not np.array_equal(a.u_train, b.u_train)
    assert len(list(tmp_path.glob("oil_platform_*.npz"))) == 2


def test_dataset_cache_env_var(tmp_path, monkeypatch):
    monkeypatch.setenv("RCPOD_CACHE", str(tmp_path / "envcache"))
    assert dsmod.default_cache_dir() == tmp_path / "envcache"
    make_oil_platform_dataset(train_hours=0.2, val_hours=0.1, test_hours=0.1, random_state=1)
    assert len(list((tmp_path / "envcache").glob("*.npz"))) == 1


def test_dataset_no_cache(tmp_path):
    ds = make_oil_platform_dataset(train_hours=0.2, val_hours=0.1, test_hours=0.1, cache_dir=False)
    assert ds.u_train.shape == (12, 5)


@pytest.mark.parametrize("kw, match", [
    (dict(dt=0.0), "dt"), (dict(train_hours=-1.0), "train_hours"), (dict(hold_minutes=(20, 10)), "hold_minutes"),
    (dict(envelope=dict(DEFAULT_ENVELOPE, w_inj_A=(0.5, 9.0))), "input_bounds"),
    (dict(envelope={"w_inj_A": (1.0, 1.2)}), "missing"), (dict(regulatory=None), "open loop"),
    (dict(random_state=-3), "random_state"), (dict(max_redraws=-1), "max_redraws"),
])
def test_dataset_errors(kw, match, tmp_path):
    with pytest.raises(ValueError, match=match):
        make_oil_platform_dataset(cache_dir=tmp_path, **kw)


def test_dataset_pidnet_inner_default_envelope(tmp_path):
    from rcpod.reservoir.oil_platform import PIDNET_INNER_ENVELOPE
    ds = make_oil_platform_dataset(train_hours=0.5, val_hours=0.2, test_hours=0.2, regulatory="pidnet_inner",
                                   setpoint_filter_time=1200.0, cache_dir=tmp_path, random_state=2)
    assert ds.input_names == ("w_inj_A", "w_inj_B", "P_at_A_sp", "P_at_B_sp", "P_in_sp")
    env = np.array([PIDNET_INNER_ENVELOPE[n] for n in ds.input_names])
    assert np.all(ds.u_train >= env[:, 0]) and np.all(ds.u_train <= env[:, 1])
    assert ds.state_names[-1] == "P_in_sp.filtered"


def test_dataset_custom_layer_needs_envelope(tmp_path):
    from rcpod.reservoir.oil_platform import PILoop, RegulatoryLayer
    layer = RegulatoryLayer((PILoop("PCINL", "P_in", 2e-6, 300.0, "z_top"),), name="riser only")
    with pytest.raises(ValueError, match="no default envelope"):
        make_oil_platform_dataset(regulatory=layer, cache_dir=tmp_path)


@pytest.mark.parametrize("kw, exc, match", [
    (dict(dt="60"), TypeError, "^dt must be a finite float"),
    (dict(dt=0.0), ValueError, "^dt == 0.0, must be > 0"),
    (dict(max_redraws=1.5), TypeError, "^max_redraws must be an int"),
    (dict(random_state="seed"), TypeError, "^random_state must be None, an int or a Generator"),
    (dict(random_state=-1), ValueError, "^random_state must be None, an int >= 0"),
])
def test_dataset_argument_errors(tmp_path, kw, exc, match):
    with pytest.raises(exc, match=match):
        make_oil_platform_dataset(cache_dir=tmp_path, **{**SMALL, **kw})
