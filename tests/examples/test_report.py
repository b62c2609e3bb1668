"""examples/report.py: the headline table of report.md, the README section and its command line,
and the headline rows of the examples whose helpers can be fed fake tables."""
import doctest
import json
import re

import pytest

from rcpod.examples import report, speed

MACHINE = {"rcpod": "0.1.0", "commit": "abc1234-dirty", "python": "3.11.0", "platform": "Linux",
           "cpu": "Fake CPU 3000", "n_cpus": 2, "versions": {"numpy": "2.0", "casadi": None}}


def _part(name, seconds, headline, title=None):
    result = {"tables": [{"title": f"table of {name}", "columns": ["N", "NRMSE"],
                          "rows": [[100, 0.123456], [500, 1.5e-5]]}],
              "notes": [f"note of {name}"], "figures": [], "seeds": [0, 1]}
    if headline is not None:
        result["headline"] = headline
    return {"name": name, "preset": "full", "seconds": seconds, "title": title or name.upper(),
            "result": result}


def _summary():
    hl_a = [{"result": "NRMSE, N=500", "value": "0.1385 ± 0.0316",
             "reference": "reservoirpy: 0.2271 ± 0.0356"},
            {"result": "MC/N | ring", "value": "0.922", "reference": "bound 1"}]
    hl_c = [{"result": "speed-up", "value": "24.5x", "reference": "goal >= 5x (MET)"}]
    return {"preset": "full", "started": "2025-11-23T00:00:00+00:00", "machine": MACHINE,
            "total_seconds": 3725.0,
            "parts": {"a": _part("a", 3600.0, hl_a), "b": _part("b", 100.0, None),
                      "c": _part("c", 25.0, hl_c)}}


def test_report_starts_with_the_headline_table(tmp_path):
    report.write_report(tmp_path, _summary())
    text = (tmp_path / "report.md").read_text()
    header, rest = text.split("## Headline results", 1)
    assert "commit abc1234-dirty" in header and "Fake CPU 3000, 2 CPUs" in header
    # the headline table comes before every part's section, rows in part order
    assert rest.index("| part | result | value | reference |") < rest.index("## A")
    lines = [line for line in rest.splitlines() if line.startswith("| ")]
    assert lines[1:4] == ["| a | NRMSE, N=500 | 0.1385 ± 0.0316 | reservoirpy: 0.2271 ± 0.0356 |",
                          "| a | MC/N \\| ring | 0.922 | bound 1 |",  # pipe escaped
                          "| c | speed-up | 24.5x | goal >= 5x (MET) |"]
    assert "| b |" not in "\n".join(lines[1:4])  # a part without headline adds no row
    # the parts' own tables are still there, as markdown_table renders them
    assert report.markdown_table(["N", "NRMSE"], [[100, 0.123456], [500, 1.5e-5]]) in text
    assert "| 100 | 0.1235 |" in text and "| 500 | 1.500e-05 |" in text


def test_report_without_headlines_or_commit(tmp_path):
    summary = _summary()
    for part in summary["parts"].values():
        part["result"].pop("headline", None)
    summary["machine"] = dict(MACHINE, commit=None)
    report.write_report(tmp_path, summary)
    text = (tmp_path / "report.md").read_text()
    assert "Headline results" not in text and "commit unknown" in text


def test_readme_section():
    text = report.readme_section(_summary())
    assert text.startswith("## Results of the last full run\n")
    for expected in ("2025-11-23T00:00:00+00:00", "Fake CPU 3000", "(2 CPUs)", "preset full",
                     "commit abc1234-dirty", "total run time 1 h 02 min",
                     "| part | result | value | reference |",
                     "| c | speed-up | 24.5x | goal >= 5x (MET) |",
                     "`python examples/reproduce.py --full`", "`results/full/report.md`"):
        assert expected in text
    # the total run time falls back to the sum of the parts
    summary = _summary()
    del summary["total_seconds"]
    assert "total run time 1 h 02 min" in report.readme_section(summary)
    assert report._duration(95) == "1 min 35 s" and report._duration(9.24) == "9.2 s"


def test_readme_command_line(tmp_path, capsys):
    (tmp_path / "results.json").write_text(json.dumps(_summary()))
    text = report.main(["--readme", str(tmp_path)])
    printed = capsys.readouterr().out
    assert printed == text
    assert "`results/full/report.md`" in printed  # where the reader's own run writes it
    assert "| a | NRMSE, N=500 | 0.1385 ± 0.0316 |" in printed
    with pytest.raises(SystemExit):
        report.main(["--readme", str(tmp_path / "missing")])


@pytest.mark.parametrize("bad, error", [({"result": "x", "value": "1"}, ValueError),
                                        ("not a row", ValueError)])
def test_malformed_headline_rejected(tmp_path, bad, error):
    summary = _summary()
    summary["parts"]["a"]["result"]["headline"] = [bad]
    with pytest.raises(error, match="part 'a'"):
        report.write_report(tmp_path, summary)
    summary["parts"]["a"]["result"]["headline"] = {"result": "x"}
    with pytest.raises(TypeError, match="list of dicts"):
        report.headline_rows(summary)


def test_doctests_of_report_and_reproduce():
    from rcpod.examples import reproduce
    for module in (report, reproduce):
        res = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
        assert res.attempted > 0 and res.failed == 0


# -- headline helpers of the examples, on tables in the benchmarks' own layout ---------------------
NUMBER = re.compile(r"\d+(?:\.\d+)?(?:e[-+]?\d+)?")


def assert_headline_from_tables(result):
    """1-4 well-formed rows, and every number of a headline value is shown in a table cell."""
    rows = result["headline"]
    assert 1 <= len(rows) <= 4
    cells = " ".join(report.format_value(v) for t in result["tables"] for row in t["rows"]
                     for v in row)
    for row in rows:
        assert set(row) == {"result", "value", "reference"}
        assert all(isinstance(v, str) and v for v in row.values())
        for number in NUMBER.findall(row["value"]):
            assert number in cells, (number, row)


def _fake_benchmarks():
    from rcpod.benchmarks import bench_esn, bench_quantum
    esn_rows = [dict(n_units=n, nnz=10 * n, steps=2000, single_rpy_s=0.5, single_ours_s=0.1 * k,
                     single_speedup=5.0 / k, batch_steps=500, batch_rpy_s=2.0,
                     batch_rpy_mode="loop", batch_ours_s=0.2, batch_speedup=12.0 / k,
                     fit_rpy_s=1.0, fit_ours_s=0.5, fit_speedup=2.0, max_abs_state_diff=1e-12)
                for k, n in enumerate((100, 500, 1000), start=1)]
    q_rows = [("series", "fast: rnn", 1e-3, "s", 40.0), ("", "PennyLane", 4e-2, "s", 1.0),
              ("windows", "rnn: fast", 2e-6, "us/w", 3.5), ("", "rnn: fast vs PennyLane broadcast",
                                                            None, "", 12.0)]
    red_table = {"title": "t", "columns": ["model", "us per step", "ratio"],
                 "rows": [["full ESN N=1000, rcpod CSR loop", 8.0, "1.0x"],
                          ["POD-DEIM r=50 m=100", 0.3, "26.7x"],
                          ["step() from Python: POD-DEIM r=50 m=100", 3.0, "2.0x"]]}
    return {"esn": {"tables": bench_esn.tables(esn_rows, {}),
                    "goals": bench_esn.goals(esn_rows, {})},
            "quantum": {"tables": bench_quantum.tables(q_rows), "rows": [list(r) for r in q_rows],
                        "goals": bench_quantum.goals(q_rows)},
            "reduction": {"tables": [red_table], "goals": {"pod_deim_per_step_>=20x": True}}}


def test_speed_headline():
    raw = _fake_benchmarks()
    rows = speed.make_headline(raw)
    assert [r["value"] for r in rows] == ["5.0x", "6.0x", "3.5x", "26.7x"]
    assert rows[0]["reference"] == "goal >= 3x (MET)"
    assert rows[1]["reference"] == "goal >= 8x (NOT MET)"
    assert "(windows, rnn: fast)" in rows[2]["result"] and rows[2]["reference"].endswith("(MET)")
    tables = [t for r in raw.values() for t in r["tables"]]
    assert_headline_from_tables({"headline": rows, "tables": tables})
    # a failed benchmark is reported, not dropped
    raw["quantum"] = {"error": "Traceback ..."}
    rows = speed.make_headline(raw)
    assert rows[0]["value"] == "FAILED" and "Quantum" in rows[0]["result"] and len(rows) == 4


def test_quantum_rc_headline():
    from rcpod.examples import quantum_rc
    wtl = [dict(readout=k, a=a, b=b, win=["x"] * (k == "ridge"), tie=["y", "z"], lose=["w"])
           for k in ("ridge", "rmsprop", "rmsprop_early")
           for a, b in (("q_paper", "c_matched"), ("q_best", "ar4"))]
    wtl_tab = quantum_rc.wtl_table(wtl)
    trained = {"rows": [["damped osc.", "rnn", "[0]", "[20]", "3.0", "1.49e-03 (1 seed)",
                         "4.85e-03 (1 seed)", "3.04e-04 (1 seed)"]]}
    rows = quantum_rc.make_headline(wtl_tab, trained)
    assert [r["value"] for r in rows] == ["1 / 2 / 1", "1 / 2 / 1", "1.49e-03 (1 seed)"]
    assert "AR(4)" in rows[0]["result"] and "QRNN" in rows[2]["result"]
    assert "ridge 3.04e-04" in rows[2]["reference"]
    assert len(quantum_rc.make_headline(wtl_tab, None)) == 2


# -- headline rows of real (tiny) runs -------------------------------------------------------------
@pytest.mark.parametrize("name", ["reduction_memory_capacity", "oil_platform",
                                  "mpc_oil_platform", "reduction_tolerance"])
def test_headline_of_smoke_runs(tmp_path, name):
    """The examples' --smoke runs (1-10 s each) return 1-4 headline rows taken from their tables."""
    import importlib
    result = importlib.import_module(f"examples.{name}").main(["--smoke", "--out", str(tmp_path)])
    assert_headline_from_tables(result)
    saved = json.loads((tmp_path / "results.json").read_text())
    assert saved["headline"] == result["headline"]


def test_speed_runs_each_benchmark_in_a_fresh_process(tmp_path, monkeypatch):
    # a benchmark sees none of this process's state, and its result and errors come back
    (tmp_path / "fake_bench_mod.py").write_text(
        "import os, sys\n"
        "def main(argv):\n"
        "    if argv == ['--fail']:\n"
        "        raise RuntimeError('benchmark broke')\n"
        "    return {'pid': os.getpid(), 'argv': argv, 'marked': 'speed_test_mark' in sys.modules}\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import os
    import sys
    monkeypatch.setitem(sys.modules, "speed_test_mark", os)  # visible here only
    result, seconds = speed.run_benchmark("fake_bench_mod", ["--quick"])
    assert result["pid"] != os.getpid() and result["argv"] == ["--quick"]
    assert result["marked"] is False and seconds >= 0
    with pytest.raises(RuntimeError, match="benchmark broke"):
        speed.run_benchmark("fake_bench_mod", ["--fail"])
