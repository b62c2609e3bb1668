"""Save format 2 refuses every damaged, tampered, forged or foreign file with its file error.

Cases: truncation at every 1/50 of the file, 200 byte flips, every metadata value replaced by
values of every JSON type (re-signed, as a forger would), foreign and unlisted classes, a canary
class that records whether any of its code ran, non-native and unsupported dtypes, size bombs
(a header claiming 8 TiB, a declared entry size beyond the file, a compressed zip bomb), unused
arrays, plain .npy files. Whatever the case, ``load`` raises ``ModelFileError`` and nothing else.
"""
import io
import json
import zipfile

import numpy as np
import pytest
from sklearn.base import BaseEstimator

from rcpod.reservoir import ESNRegressor
from rcpod.reservoir import _savefile
from rcpod.reservoir.persistence import ModelFileError, load, save

RAN = []


class Canary(BaseEstimator):
    """Records any call: no file may make rcpod run it."""

    def __init__(self, x=0):
        RAN.append("init")
        self.x = x

    def __setattr__(self, name, value):
        RAN.append(name)
        super().__setattr__(name, value)


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    u = np.random.default_rng(0).uniform(-1, 1, (200, 2))
    model = ESNRegressor(n_units=12, washout=10, include_input=True, random_state=0).fit(
        u, u[:, 0] ** 2)
    path = save(model, tmp_path_factory.mktemp("m") / "model.npz")
    return path, path.read_bytes(), model, u


def _refused(path, match=None):
    RAN.clear()
    with pytest.raises(ModelFileError, match=match):
        load(path)
    assert RAN == []


def _forge(path, meta, arrays):
    """Write a file with a valid signature around arbitrary metadata and arrays."""
    _savefile.write(path, meta, arrays)


def _parts(data, tmp_path):
    src = tmp_path / "src.npz"
    src.write_bytes(data)
    raw, arrays, _ = _savefile.read(src)
    return json.loads(raw), arrays


def test_the_file_loads(saved):
    path, _, model, u = saved
    np.testing.assert_array_equal(load(path).predict(u), model.predict(u))


def test_every_truncation(tmp_path, saved):
    _, data, _, _ = saved
    for k in range(50):
        bad = tmp_path / f"t{k}.npz"
        bad.write_bytes(data[:k * len(data) // 50])
        _refused(bad)


def test_byte_flips(tmp_path, saved):
    _, data, _, _ = saved
    rng = np.random.default_rng(1)
    bad = tmp_path / "flip.npz"
    for pos in rng.choice(len(data), size=200, replace=False):
        flipped = bytearray(data)
        flipped[pos] ^= 1 << int(rng.integers(8))
        bad.write_bytes(bytes(flipped))
        _refused(bad)


def _leaves(node, path=()):
    """Paths of every value in the metadata tree below params / fitted of every object."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k in ("__object__", "id"):
                continue
            yield from _leaves(v, path + (k,))
            if path and path[-1] in ("params", "fitted"):
                yield path + (k,)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _leaves(v, path + (i,))


def _set(tree, path, value):
    for k in path[:-1]:
        tree = tree[k]
    tree[path[-1]] = value


REPLACEMENTS = [None, True, -1, 0, 10 ** 30, 1.5, -1e300, "x", [], [1, [2]], {},
                {"__float__": "nan"}, {"__ndarray__": "a0"}, {"__ndarray__": "a999"},
                {"__dict__": {"k": 1}}, {"__tuple__": [1]}, {"__dtype__": "int64"},
                {"__generator__": {"bit_generator": "os"}}, {"__object__": "os:system"},
                {"__ref__": 0}, {"__csr__": [{"__ndarray__": "a0"}] * 3 + [[2, 2]]}]


def test_every_metadata_value_replaced_by_every_type(tmp_path, saved):
    """Each replacement is refused with the file error, or it is a valid value of that field and
    the model it gives runs: a forged file never makes load or predict fail otherwise."""
    _, data, model, u = saved
    meta, arrays = _parts(data, tmp_path)
    leaves = list(_leaves(meta["model"]))
    assert len(leaves) > 30
    bad = tmp_path / "forged.npz"
    accepted, refused = [], 0
    for leaf in leaves:
        for value in REPLACEMENTS:
            forged = json.loads(json.dumps(meta))
            _set(forged["model"], leaf, value)
            _forge(bad, forged, arrays)
            RAN.clear()
            try:
                loaded = load(bad)
            except ModelFileError:
                assert RAN == []
                refused += 1
                continue
            accepted.append(leaf[-1])
            out = loaded.predict(u)
            assert out.shape == model.predict(u).shape
    assert refused > 0.8 * len(leaves) * len(REPLACEMENTS)
    # what was accepted: numbers within range, None where a parameter may be None, ...
    assert not {"W_", "W_in_", "bias_", "coef_", "n_inputs_", "n_states_", "reservoir_",
                "readout_", "n_features_in_"} & set(accepted)


def test_deep_nesting(tmp_path, saved):
    _, data, _, _ = saved
    meta, arrays = _parts(data, tmp_path)
    meta["model"]["params"]["washout"] = "DEEP"
    text = json.dumps(meta).replace('"DEEP"', "[" * 100_000 + "]" * 100_000)
    bad = tmp_path / "deep.npz"
    _forge(bad, text.encode(), arrays)
    _refused(bad)


@pytest.mark.parametrize("path", [
    f"{__name__}:Canary", "os:system", "builtins:eval", "sklearn.pipeline:Pipeline",
    "sklearn.linear_model._ridge:RidgeCV", "rcpod.reservoir.persistence:ModelFileError",
    "rcpod.reservoir.base:BaseReservoir", "reservoir.esn:os", "rcpod.reservoir.esn:np"])
def test_classes_outside_the_allow_list(tmp_path, saved, path):
    _, data, _, _ = saved
    meta, arrays = _parts(data, tmp_path)
    meta["model"]["__object__"] = path
    bad = tmp_path / "cls.npz"
    _forge(bad, meta, arrays)
    _refused(bad, match="refusing to load")


@pytest.mark.parametrize("dtype", [">f8", "<f2", "<c16", "<U3", "<M8[s]", "V8",
                                   [("a", "<f8")], "O"])
def test_unsupported_array_dtypes(tmp_path, saved, dtype):
    _, data, _, _ = saved
    meta, arrays = _parts(data, tmp_path)
    key = next(k for k, a in arrays.items() if a.dtype == np.float64)
    if dtype == "O":
        replacement = np.array([{"evil": 1}], dtype=object)
    else:
        replacement = np.zeros(arrays[key].shape, dtype=np.dtype(dtype))
    raw = json.dumps(meta).encode()
    bad = tmp_path / "dtype.npz"
    with zipfile.ZipFile(bad, "w") as zf:
        for k, a in {"__rcpod__": np.frombuffer(raw, np.uint8), **arrays,
                     key: replacement}.items():
            buf = io.BytesIO()
            np.lib.format.write_array(buf, a, allow_pickle=True)
            zf.writestr(f"{k}.npy", buf.getvalue())
    _refused(bad)


def test_header_claiming_8_tib(tmp_path):
    header = {"descr": "<f8", "fortran_order": False, "shape": (1 << 40,)}
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, header)
    bad = tmp_path / "huge.npz"
    with zipfile.ZipFile(bad, "w") as zf:
        zf.writestr("__rcpod__.npy", buf.getvalue())
    assert bad.stat().st_size < 1000
    _refused(bad, match="declares")


def test_compressed_zip_bomb(tmp_path, saved):
    _, data, _, _ = saved
    meta, arrays = _parts(data, tmp_path)
    bad = tmp_path / "bomb.npz"
    with zipfile.ZipFile(bad, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        buf = io.BytesIO()
        np.lib.format.write_array(buf, np.frombuffer(json.dumps(meta).encode(), np.uint8))
        zf.writestr("__rcpod__.npy", buf.getvalue())
        buf = io.BytesIO()
        np.lib.format.write_array(buf, np.zeros(50_000_000, np.uint8))   # 50 MB of zeros
        zf.writestr("a9999.npy", buf.getvalue())
    assert bad.stat().st_size < 200_000
    _refused(bad, match="compressed")


def test_declared_size_beyond_the_file(tmp_path, saved):
    _, data, _, _ = saved
    zinfo_size = data.rfind(b"PK\x01\x02")   # last central directory record
    forged = bytearray(data)
    forged[zinfo_size + 24:zinfo_size + 28] = (1 << 31).to_bytes(4, "little")
    bad = tmp_path / "size.npz"
    bad.write_bytes(bytes(forged))
    _refused(bad)


def test_unused_arrays_are_refused(tmp_path, saved):
    _, data, _, _ = saved
    meta, arrays = _parts(data, tmp_path)
    arrays["a999"] = np.zeros(3)
    meta["arrays"]["a999"] = {"dtype": "<f8", "shape": [3], "order": "C"}
    bad = tmp_path / "extra.npz"
    _forge(bad, meta, arrays)
    _refused(bad, match="no object uses")


def test_array_records_must_match(tmp_path, saved):
    _, data, _, _ = saved
    meta, arrays = _parts(data, tmp_path)
    key = next(iter(arrays))
    meta["arrays"][key]["order"] = "F" if meta["arrays"][key]["order"] == "C" else "C"
    bad = tmp_path / "records.npz"
    _forge(bad, meta, arrays)
    _refused(bad, match="recorded as")


def test_inconsistent_shapes_are_refused(tmp_path, saved):
    _, data, _, _ = saved
    meta, arrays = _parts(data, tmp_path)
    readout = meta["model"]["fitted"]["readout_"]
    key = readout["fitted"]["coef_"]["__ndarray__"]
    arrays[key] = np.zeros(arrays[key].shape[-1] + 1)        # one weight too many
    meta["arrays"][key]["shape"] = list(arrays[key].shape)
    bad = tmp_path / "shape.npz"
    _forge(bad, meta, arrays)
    _refused(bad, match="coef_")


def test_foreign_files(tmp_path):
    npy = tmp_path / "plain.npz"
    np.save(tmp_path / "plain.npy", np.arange(3))
    (tmp_path / "plain.npy").rename(npy)
    _refused(npy)
    other = tmp_path / "other.npz"
    np.savez(other, a=np.arange(3))
    _refused(other, match="not an rcpod model file")
    empty = tmp_path / "empty.npz"
    empty.write_bytes(b"")
    _refused(empty)
