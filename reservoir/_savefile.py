"""The container of rcpod model files: a zip of ``.npy`` entries, written and read strictly.

Writing: entries stored, not compressed, as ``np.savez`` writes them; the zip comment (the last
bytes of the file) holds the SHA-256 of every byte before the digest itself, so no byte of a
file can change unnoticed and a truncated file is always recognised. Files written by rcpod
0.1.0 carry no such signature (their metadata holds an array digest instead, see
:func:`digest_v1`).

Reading never trusts the file: every entry
must be stored uncompressed under an expected name, its declared size must fit in the file, its
``.npy`` header must describe a native-endian bool/int/uint/float32/float64 array whose byte size
is exactly the entry's, and only then is it read. So no entry can expand beyond the file's own
size (no zip bombs), a header cannot make the reader allocate what the file does not hold, and
arrays come back with the dtype, shape and memory order (C or Fortran) they were written with.
Any violation raises :class:`ValueError`; the caller turns it into its file error.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import re
import zipfile

import numpy as np

META_KEY = "__rcpod__"
MAX_ENTRIES = 10_000
MAX_META_BYTES = 64 << 20
_MAX_HEADER_BYTES = 10_000
_NAME = re.compile(r"(__rcpod__|a\d{1,6})\.npy")
ALLOWED_DTYPES = frozenset(np.dtype(t) for t in (
    np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64,
    np.float32, np.float64))


def array_order(a):
    """``"F"`` for an array stored in Fortran order (F- but not C-contiguous), else ``"C"``."""
    return "F" if a.flags.f_contiguous and not a.flags.c_contiguous else "C"


SIGNATURE_PREFIX = b"rcpod-sha256:"
_HEX = 64


def write(path, meta, arrays):
    """Write ``meta`` (a JSON-able dict, or its UTF-8 JSON bytes) and ``arrays``
    ({key: ndarray}) to ``path``, signed.

    The file is written next to ``path`` and renamed into place, so an interrupted save never
    leaves a half-written file under the final name.
    """
    text = meta if isinstance(meta, bytes) else json.dumps(meta).encode("utf-8")
    blob = np.frombuffer(text, dtype=np.uint8)
    tmp = f"{path}.tmp"
    with open(tmp, "w+b") as fh:
        with zipfile.ZipFile(fh, "w", zipfile.ZIP_STORED) as zf:
            for key, a in {META_KEY: blob, **arrays}.items():
                with zf.open(f"{key}.npy", "w", force_zip64=True) as entry:
                    np.lib.format.write_array(entry, a, allow_pickle=False)
            zf.comment = SIGNATURE_PREFIX + b"0" * _HEX      # placeholder, same length
        size = fh.seek(0, os.SEEK_END)
        digest = _hash_prefix(fh, size - _HEX)
        fh.seek(size - _HEX)
        fh.write(digest.encode("ascii"))
    os.replace(tmp, path)


def _hash_prefix(fh, n, block=1 << 20):
    """SHA-256 hex digest of the first ``n`` bytes of the open file ``fh`` (streamed)."""
    h = hashlib.sha256()
    fh.seek(0)
    while n > 0:
        chunk = fh.read(min(block, n))
        if not chunk:
            raise ValueError("the file ended early (truncated).")
        h.update(chunk)
        n -= len(chunk)
    return h.hexdigest()


def _check_signature(fh, size):
    """True if the file is signed and its digest matches; False if it carries no signature
    (a version-1 file); ValueError if the signature does not match."""
    tail = len(SIGNATURE_PREFIX) + _HEX
    if size < tail:
        return False
    fh.seek(size - tail)
    end = fh.read(tail)
    if not end.startswith(SIGNATURE_PREFIX):
        return False
    if _hash_prefix(fh, size - _HEX) != end[len(SIGNATURE_PREFIX):].decode("ascii", "replace"):
        raise ValueError("the file does not match its recorded checksum (truncated, modified or "
                         "corrupted).")
    return True


def _entries(zf, file_size):
    infos = zf.infolist()
    if len(infos) > MAX_ENTRIES:
        raise ValueError(f"the file has {len(infos)} entries (at most {MAX_ENTRIES}).")
    if f"{META_KEY}.npy" not in {info.filename for info in infos}:
        raise ValueError(f"no {META_KEY} entry: not an rcpod model file.")
    names, total = set(), 0
    for info in infos:
        if not _NAME.fullmatch(info.filename) or info.filename in names:
            raise ValueError(f"unexpected entry {info.filename!r} in the file.")
        if info.compress_type != zipfile.ZIP_STORED or info.file_size != info.compress_size:
            raise ValueError(f"entry {info.filename!r} is compressed; rcpod files store "
                             f"entries uncompressed.")
        names.add(info.filename)
        total += info.file_size
    if total > file_size:
        raise ValueError(f"the entries declare {total} bytes, more than the file's {file_size}.")
    return infos


def _read_npy(raw, name):
    """The array in the ``.npy`` bytes ``raw``, after checking its header against its size."""
    fp = io.BytesIO(raw)
    major, _ = np.lib.format.read_magic(fp)
    if major == 1:
        shape, fortran, dtype = np.lib.format.read_array_header_1_0(
            fp, max_header_size=_MAX_HEADER_BYTES)
    elif major in (2, 3):
        shape, fortran, dtype = np.lib.format.read_array_header_2_0(
            fp, max_header_size=_MAX_HEADER_BYTES)
    else:
        raise ValueError(f"entry {name!r}: unsupported .npy version {major}.")
    if dtype not in ALLOWED_DTYPES or not dtype.isnative:
        raise ValueError(f"entry {name!r} has dtype {dtype.str!r}; rcpod files hold only "
                         f"native-endian bool, integer, float32 and float64 arrays.")
    if not (isinstance(shape, tuple) and all(isinstance(d, int) and d >= 0 for d in shape)):
        raise ValueError(f"entry {name!r} has an invalid shape {shape!r}.")
    count = int(np.prod(shape, dtype=object))
    offset = fp.tell()
    if count * dtype.itemsize != len(raw) - offset:
        raise ValueError(f"entry {name!r}: its header declares {count * dtype.itemsize} bytes, "
                         f"the entry holds {len(raw) - offset}.")
    flat = np.frombuffer(raw, dtype=dtype, count=count, offset=offset)
    order = "F" if fortran else "C"
    return flat.reshape(shape, order=order).copy(order="K")


def read(path):
    """``(meta bytes, {key: ndarray}, signed)`` of the file at ``path``; ValueError if anything
    is off. ``signed`` tells whether the file carried a (matching) whole-file signature."""
    file_size = os.path.getsize(path)
    with open(path, "rb") as fh:
        signed = _check_signature(fh, file_size)
        fh.seek(0)
        with zipfile.ZipFile(fh) as zf:
            infos = _entries(zf, file_size)
            meta_info = zf.getinfo(f"{META_KEY}.npy")
            if meta_info.file_size > MAX_META_BYTES:
                raise ValueError(f"the metadata entry has {meta_info.file_size} bytes (at most "
                                 f"{MAX_META_BYTES}).")
            arrays = {info.filename[:-4]: _read_npy(zf.read(info), info.filename)
                      for info in infos}
    meta = arrays.pop(META_KEY)
    if meta.dtype != np.uint8 or meta.ndim != 1:
        raise ValueError("the metadata entry is not a byte string.")
    return meta.tobytes(), arrays, signed


def digest_v1(arrays):
    """The digest of version-1 files (rcpod 0.1.0), kept in their metadata: arrays only (key,
    dtype, shape and C-ordered bytes)."""
    h = hashlib.sha256()
    for key in sorted(arrays):
        a = arrays[key]
        h.update(key.encode())
        h.update(str(a.dtype.str).encode())
        h.update(str(a.shape).encode())
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()
