"""The README's Python snippets run as written, in order, in one namespace."""
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_snippets_run():
    pytest.importorskip("casadi")
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert len(blocks) >= 3
    namespace = {}
    for block in blocks:
        exec(compile(block, str(README), "exec"), namespace)
    assert namespace["z_next"].shape == namespace["z"].shape
    assert namespace["y_ca"].shape[0] == 1
    from rcpod.reservoir import nrmse
    y, y_hat = namespace["y"], namespace["y_hat"]
    assert nrmse(y[2100:], y_hat[2100:]) < 0.3
