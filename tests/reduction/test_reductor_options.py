"""The reductor's orthogonal options, its method aliases, the one full-ESN run and the report."""
import dataclasses
import json

import numpy as np
import pytest

from rcpod.reservoir import _savefile
from rcpod.reservoir.esn import ESN
from rcpod.reservoir.persistence import ModelFileError, load, save
from rcpod.reduction import (METHODS, NONLINEARITIES, SAMPLINGS, ReducedReservoir,
                             ReductionReport, method_name, reduce)

ARRAYS = ("modes_", "mean_", "E_", "A_", "B_", "c_", "L_", "Lu_", "d_")


def _same_model(a, b):
    for name in ARRAYS:
        x, y = getattr(a.reservoir_, name), getattr(b.reservoir_, name)
        assert x.dtype == y.dtype and np.array_equal(x, y), name
    assert np.array_equal(a.readout_.coef_, b.readout_.coef_)
    assert np.array_equal(a.readout_.intercept_, b.readout_.intercept_)


@pytest.mark.parametrize("method", sorted(METHODS))
def test_method_strings_are_aliases_of_the_options(fitted, method):
    est, u, _ = fitted
    sampling, nonlinearity = METHODS[method]
    kw = dict(rank=8, check_stability=False, **({} if sampling is None else {"n_points": 16}))
    by_alias = reduce(est, u[:400], method=method, **kw)
    by_options = reduce(est, u[:400], sampling=sampling, nonlinearity=nonlinearity, **kw)
    _same_model(by_alias, by_options)   # the same code path: equal by construction
    rep = by_options.reduction_report_
    assert (rep.method, rep.sampling, rep.nonlinearity) == (method, sampling, nonlinearity)
    assert method_name(sampling, nonlinearity) == method


def test_every_option_pair_has_one_class():
    pairs = {(False, "full")} | {(True, n) for n in NONLINEARITIES}
    assert set(ReducedReservoir.variants) == pairs
    assert len(METHODS) == 1 + len(SAMPLINGS) * len(NONLINEARITIES)
    for cls in ReducedReservoir.variants.values():
        assert cls.variant in ReducedReservoir.variants


def test_conflicting_or_invalid_options(fitted):
    est, u, _ = fitted
    with pytest.raises(ValueError, match="either method or"):
        reduce(est, u[:400], method="pod-deim", nonlinearity="remainder", rank=5)
    with pytest.raises(ValueError, match="needs sampling"):
        reduce(est, u[:400], sampling=None, nonlinearity="linearized", rank=5)
    with pytest.raises(ValueError, match="sampling"):
        reduce(est, u[:400], sampling="random", rank=5)
    with pytest.raises(ValueError, match="nonlinearity"):
        reduce(est, u[:400], nonlinearity="cubic", rank=5)
    with pytest.raises(ValueError, match="method"):
        reduce(est, u[:400], method="pod-magic", rank=5)
    # a method alias with its own (explicit) options is fine
    reduce(est, u[:400], method="pod-qdeim", sampling="qdeim", rank=5, check_stability=False)


def test_the_full_esn_runs_once(fitted, monkeypatch):
    est, u, _ = fitted
    calls = []
    original = ESN.run

    def counting_run(self, inputs, state0=None):
        calls.append(self)
        return original(self, inputs, state0)
    monkeypatch.setattr(ESN, "run", counting_run)
    series = [u[:300], u[300:550]]
    reduce(est, series, method="pod-qdeim-linearized", rank=8, n_points=16)
    assert len([c for c in calls if c is est.reservoir_]) == len(series)


def test_report_is_frozen_and_saved_with_the_model(fitted, tmp_path):
    est, u, _ = fitted
    red = reduce(est, u[:400], method="pod-qdeim", basis="output-weighted", rank=8, n_points=16)
    rep = red.reduction_report_
    with pytest.raises(dataclasses.FrozenInstanceError):
        rep.rank = 3
    d = rep.to_dict()
    assert d["rank"] == 8 and dict(rep).keys() == d.keys() and rep["n_points"] == 16
    assert rep.singular_values is None and rep.basis_eigenvalues is not None
    save(red, tmp_path / "red.npz")
    back = load(tmp_path / "red.npz").reduction_report_
    assert isinstance(back, ReductionReport)
    for key, value in d.items():
        if isinstance(value, np.ndarray):
            assert np.array_equal(back[key], value)
        else:
            assert back[key] == value, key


def test_a_report_with_edited_fields_is_refused(fitted, tmp_path):
    est, u, _ = fitted
    red = reduce(est, u[:400], method="pod", rank=6)
    path = save(red, tmp_path / "red.npz")
    # edit the metadata and sign the file again, as a deliberate forger would, so that the
    # report's own checks (not the signature) are what refuses it
    raw, arrays, _ = _savefile.read(path)
    meta = json.loads(raw)
    text = json.dumps(meta)
    assert '"rank": 6' in text
    _savefile.write(path, json.loads(text.replace('"rank": 6', '"rank": "six"')), arrays)
    with pytest.raises(ModelFileError, match="ReductionReport"):
        load(path)


def test_report_from_dict_checks_fields():
    rep = ReductionReport("pod", None, "full", "pod", 20, 5, False, "projected", 100, 0.1, 0.9)
    with pytest.raises(TypeError, match="does not have"):
        ReductionReport.from_dict({**rep.to_dict(), "colour": "red"})
    with pytest.raises(TypeError, match="rank"):
        ReductionReport.from_dict({**rep.to_dict(), "rank": 2.5})
    assert json.dumps(sorted(rep))  # keys are plain field names


def test_snapshots_from_states_checks_its_runs(fitted):
    from rcpod.reduction import snapshots_from_states
    est, u, _ = fitted
    esn = est.reservoir_
    x = esn.run(u[:100])
    with pytest.raises(ValueError, match="one entry per run"):
        snapshots_from_states(esn.form(), [u[:100], u[:100]], [x])
    with pytest.raises(ValueError, match=r"states\[0\] must have shape"):
        snapshots_from_states(esn.form(), [u[:100]], [x[:50]])


@pytest.mark.parametrize("washout, stops", [(0, None), (20, None), (20, [150, 90]), (0, [150, 90])])
@pytest.mark.parametrize("batch", [False, True])
def test_snapshots_from_states_are_the_expressions_numbers(fitted, washout, stops, batch):
    # written in place into three preallocated matrices: the numbers of the plain expression
    # v = A x_prev + B u + c, f = tanh(v) over the concatenated runs, bit for bit
    from rcpod.reduction import snapshots_from_states
    est, u, _ = fitted
    esn, form = est.reservoir_, est.reservoir_.form().astype(np.float64)
    runs = [u[:200], u[200:300]] if not batch else [np.stack([u[:200], u[200:400]])]
    stops = stops if not batch else (None if stops is None else stops[:1])
    states = [esn.run(r) for r in runs]
    xs, vs = [], []
    for i, (r, x) in enumerate(zip(runs, states)):
        stop = None if stops is None else stops[i]
        prev = np.concatenate([np.zeros_like(x[..., :1, :]), x[..., :-1, :]], axis=-2)
        x, p, uu = (a[..., washout:stop, :].reshape(-1, a.shape[-1]) for a in (x, prev, r))
        xs.append(x)
        vs.append((form.A @ p.T).T + uu @ form.B.T + form.c)
    X, V = np.concatenate(xs), np.concatenate(vs)
    snaps = snapshots_from_states(form, runs, states, washout=washout, stops=stops)
    np.testing.assert_array_equal(snaps.states, X.T)
    np.testing.assert_array_equal(snaps.preactivation, V.T)
    np.testing.assert_array_equal(snaps.nonlinear, np.tanh(V).T)
    assert snaps.n_snapshots == len(X)


@pytest.mark.parametrize("order", ["F", "C"])
def test_linearization_is_the_expressions_numbers(order):
    # the remainder made in two reused buffers: the plain expression's numbers, bit for bit
    from rcpod.reduction import Snapshots
    rng = np.random.default_rng(2)
    V = np.asarray(rng.normal(size=(40, 300)), order=order)
    F = np.tanh(V)
    snaps = Snapshots(np.zeros_like(V), F, V, [300])
    vc = V - V.mean(axis=1, keepdims=True)
    var = np.einsum("ij,ij->i", vc, vc)
    cov = np.einsum("ij,ij->i", vc, F - F.mean(axis=1, keepdims=True))
    slopes = np.divide(cov, var, out=np.zeros_like(cov), where=var > 0)
    offsets = F.mean(axis=1) - slopes * V.mean(axis=1)
    D, e, G = snaps.linearization()
    np.testing.assert_array_equal(D, slopes)
    np.testing.assert_array_equal(e, offsets)
    np.testing.assert_array_equal(G, F - slopes[:, None] * V - offsets[:, None])
