"""The report runner: parts run in order, an interrupted run resumes to the same report,
``--only`` / ``--fresh`` touch only the selected parts, and the git commit is recorded."""
import json
import shutil
import subprocess
import sys
import types

import pytest

from rcpod.examples import reproduce

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
                "notes": [f"note {name}"], "figures": [], "seeds": [0],
                "headline": [{"result": f"x of {name}", "value": str(value),
                              "reference": "goal 1"}]}

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


def _finish_all(out, experiments):
    """A complete run into ``out`` (resumed if part b interrupts it: it does so once)."""
    try:
        reproduce.main(["--out", str(out)], experiments=experiments)
    except KeyboardInterrupt:
        reproduce.main(["--out", str(out)], experiments=experiments)


def test_fresh_with_only_clears_only_the_selected_parts(tmp_path, fake_experiments):
    out = tmp_path / "r"
    _finish_all(out, fake_experiments)
    done_b = (out / "b" / "done.json").read_text()
    CALLS.clear()
    summary = reproduce.main(["--out", str(out), "--only", "a", "--fresh"],
                             experiments=fake_experiments)
    assert CALLS == ["fake_a"]  # a rerun, b neither rerun nor cleared
    assert (out / "b" / "done.json").read_text() == done_b
    assert list(summary["parts"]) == ["a", "b"]
    # --fresh without --only starts every part over
    CALLS.clear()
    reproduce.main(["--out", str(out), "--fresh"], experiments=fake_experiments)
    assert CALLS == ["fake_a", "fake_b"]


def test_only_reports_the_other_finished_parts(tmp_path, fake_experiments):
    out = tmp_path / "r"
    summary = reproduce.main(["--out", str(out), "--only", "a"], experiments=fake_experiments)
    assert list(summary["parts"]) == ["a"]  # b neither selected nor finished: absent
    report = (out / "report.md").read_text()
    assert "## Part A" in report and "Part B" not in report and "note fake_b" not in report

    # the last part of a resumed run, run alone, gives the complete report in report order
    with pytest.raises(KeyboardInterrupt):
        reproduce.main(["--out", str(out), "--only", "b"], experiments=fake_experiments)
    summary = reproduce.main(["--out", str(out), "--only", "b"], experiments=fake_experiments)
    assert CALLS == ["fake_a", "fake_b", "fake_b"]  # a was read back, not rerun
    assert list(summary["parts"]) == ["a", "b"]
    assert summary["parts"]["a"]["title"] == "Part A"
    assert summary["total_seconds"] == pytest.approx(
        sum(p["seconds"] for p in summary["parts"].values()))
    saved = json.loads((out / "results.json").read_text())
    assert saved["parts"]["a"]["result"]["tables"][0]["rows"] == [[0.125]]
    clean = tmp_path / "clean"
    _finish_all(clean, fake_experiments)
    assert _report_without_timings(out / "report.md") == _report_without_timings(
        clean / "report.md")

    # a part finished with another preset is not reported
    CALLS.clear()
    reproduce.main(["--out", str(out), "--full", "--only", "a"], experiments=fake_experiments)
    summary = reproduce.main(["--out", str(out), "--only", "b"], experiments=fake_experiments)
    assert CALLS == ["fake_a"] and list(summary["parts"]) == ["b"]


# -- git commit ------------------------------------------------------------------------------------
def test_commit_recorded_in_machine_info_and_report(tmp_path, fake_experiments, monkeypatch):
    monkeypatch.setattr(reproduce, "git_commit", lambda root=None: "abc1234-dirty")
    summary = reproduce.main(["--out", str(tmp_path), "--only", "a"], experiments=fake_experiments)
    assert summary["machine"]["commit"] == "abc1234-dirty"
    header = (tmp_path / "report.md").read_text().split("\n## ")[0]
    assert "commit abc1234-dirty" in header


def test_git_commit_of_this_checkout():
    commit = reproduce.git_commit()
    if shutil.which("git") is None:
        assert commit is None
    else:  # the tests run from a git checkout of rcpod
        assert commit is not None and commit.split("-")[0].isalnum()
        assert commit.endswith("-dirty") or "-" not in commit


def test_git_commit_without_git_or_repository(tmp_path, monkeypatch):
    assert reproduce.git_commit(tmp_path) is None  # not a git work tree

    def no_git(*args, **kwargs):
        raise FileNotFoundError("git")
    monkeypatch.setattr(reproduce.subprocess, "run", no_git)
    assert reproduce.git_commit() is None
    assert reproduce.machine_info()["commit"] is None


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_git_commit_dirty_flag(tmp_path):
    def git(*args):
        subprocess.run(["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@t",
                        *args], check=True, capture_output=True)
    git("init", "-q")
    (tmp_path / "f.txt").write_text("1")
    git("add", "f.txt")
    git("commit", "-q", "-m", "first")
    clean = reproduce.git_commit(tmp_path)
    assert clean is not None and "-" not in clean
    (tmp_path / "untracked.txt").write_text("x")  # untracked files (e.g. results/) do not count
    assert reproduce.git_commit(tmp_path) == clean
    (tmp_path / "f.txt").write_text("2")
    assert reproduce.git_commit(tmp_path) == clean + "-dirty"
    assert reproduce.git_commit(tmp_path / "sub") is None  # not the top of the work tree


def test_console_command_exit_status_and_output(tmp_path, fake_experiments, capsys):
    out = tmp_path / "cli"
    # part b is interrupted on its first call: 130, with a one-line hint; the rerun resumes
    assert reproduce.cli(["--out", str(out)], experiments=fake_experiments) == 130
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == "rcpod-reproduce: interrupted; run the same command again to resume."
    assert reproduce.cli(["--out", str(out)], experiments=fake_experiments) == 0
    captured = capsys.readouterr()
    assert captured.out.strip() == f"report written to {out / 'report.md'}"   # no result dict
    assert "fake_a" not in captured.err
    assert reproduce.cli(["--help"], experiments=fake_experiments) == 0
    assert reproduce.cli(["--only", "nope"], experiments=fake_experiments) == 2


def test_console_command_failure_is_one_line(tmp_path, monkeypatch, capsys):
    broken = types.ModuleType("fake_broken")

    def main(argv):
        raise ValueError("the data set is corrupt")
    broken.main = main
    monkeypatch.setitem(sys.modules, "fake_broken", broken)
    status = reproduce.cli(["--out", str(tmp_path)], experiments=[("x", "fake_broken", "X")])
    assert status == 1
    err = [line for line in capsys.readouterr().err.splitlines() if line.startswith("rcpod")]
    assert len(err) == 1 and "ValueError: the data set is corrupt" in err[0]


def test_missing_extra_is_reported_before_any_part_runs(tmp_path, fake_experiments, monkeypatch,
                                                         capsys):
    monkeypatch.setattr(reproduce, "REQUIRES", {"b": {"no_such_module_rcpod_test": "mpc"}})
    assert reproduce.cli(["--out", str(tmp_path)], experiments=fake_experiments) == 2
    assert CALLS == []                       # part a did not start either
    err = capsys.readouterr().err
    assert "part 'b' needs no_such_module_rcpod_test: pip install 'rcpod[mpc]'" in err
    # leaving the part out runs the rest
    assert reproduce.cli(["--out", str(tmp_path), "--only", "a"],
                         experiments=fake_experiments) == 0
    assert CALLS == ["fake_a"]


def test_every_part_requirement_names_a_declared_extra():
    import configparser
    from pathlib import Path
    cfg = configparser.ConfigParser()
    cfg.read(Path(__file__).resolve().parents[2] / "setup.cfg")
    extras = cfg["options.extras_require"]
    names = {e[0] for e in reproduce.EXPERIMENTS}
    for part, modules in reproduce.REQUIRES.items():
        assert part in names
        for module, extra in modules.items():
            # the import name (do_mpc) may differ from the distribution name (do-mpc)
            assert module.replace("_", "-") in extras[extra].replace("_", "-"), (part, module,
                                                                                 extra)
