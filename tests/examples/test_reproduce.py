"""The report runner: parts run in order, an interrupted run resumes to the same report."""
import json
import sys
import types

import pytest

from examples import reproduce

CALLS = []


def _fake_module(name, fail_once=False):
    mod = types.ModuleType(name)
    state = {"failed": False}

    def main(argv):
        out = argv[argv.index("--out") + 1]
        CALLS.append(name)
        if fail_once and not state["failed"]:
            state["failed"] = True
            raise KeyboardInterrupt  # the user pressed Ctrl-C during this part
        value = {"fake_a": 0.125, "fake_b": 2.5}[name]
        with open(f"{out}/results.json", "w") as fh:
            json.dump({"value": value}, fh)
        return {"tables": [{"title": "t", "columns": ["x"], "rows": [[value]]}],
                "notes": [f"note {name}"], "figures": [], "seeds": [0]}

    mod.main = main
    return mod


@pytest.fixture
def fake_experiments(monkeypatch):
    CALLS.clear()
    monkeypatch.setitem(sys.modules, "fake_a", _fake_module("fake_a"))
    monkeypatch.setitem(sys.modules, "fake_b", _fake_module("fake_b", fail_once=True))
    return [("a", "fake_a", "Part A"), ("b", "fake_b", "Part B")]


def _report_without_timings(path):
    return [line for line in path.read_text().splitlines()
            if not line.startswith(("| a |", "| b |", "Started"))]


def test_interrupted_run_resumes_to_same_report(tmp_path, fake_experiments):
    out = tmp_path / "interrupted"
    with pytest.raises(KeyboardInterrupt):
        reproduce.main(["--out", str(out)], experiments=fake_experiments)
    assert CALLS == ["fake_a", "fake_b"]
    assert (out / "a" / "done.json").exists() and not (out / "b" / "done.json").exists()
    reproduce.main(["--out", str(out)], experiments=fake_experiments)
    assert CALLS == ["fake_a", "fake_b", "fake_b"]  # part a was not redone

    clean = tmp_path / "clean"
    reproduce.main(["--out", str(clean)], experiments=fake_experiments)
    assert _report_without_timings(out / "report.md") == _report_without_timings(
        clean / "report.md")
    report = (clean / "report.md").read_text()
    assert "## Part A" in report and "| 0.125 |" in report and "note fake_b" in report
    summary = json.loads((clean / "results.json").read_text())
    assert summary["parts"]["b"]["result"]["tables"][0]["rows"] == [[2.5]]


def test_only_and_fresh(tmp_path, fake_experiments):
    out = tmp_path / "r"
    reproduce.main(["--out", str(out), "--only", "a"], experiments=fake_experiments)
    assert CALLS == ["fake_a"]
    reproduce.main(["--out", str(out), "--only", "a", "--fresh"], experiments=fake_experiments)
    assert CALLS == ["fake_a", "fake_a"]
    with pytest.raises(SystemExit):
        reproduce.main(["--only", "nope"], experiments=fake_experiments)
