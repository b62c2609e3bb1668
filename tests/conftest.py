import os

import pytest

# Keep BLAS single-threaded inside tests so timings and results are stable on 2 cores.
os.environ.setdefault("OMP_NUM_THREADS", "1")


@pytest.fixture(autouse=True, scope="session")
def _private_dataset_cache(tmp_path_factory):
    """Datasets cached by tests go to a temporary directory, not the user's ~/.cache."""
    old = os.environ.get("RCPOD_CACHE")
    os.environ["RCPOD_CACHE"] = str(tmp_path_factory.mktemp("rcpod-cache"))
    yield
    if old is None:
        os.environ.pop("RCPOD_CACHE", None)
    else:
        os.environ["RCPOD_CACHE"] = old
