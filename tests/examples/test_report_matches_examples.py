"""The report's numbers agree with the examples run separately (same seeds, same numbers).

For the two cheapest real experiments (quick preset, measured on the 2-core test machine:
memory_capacity ~3 s, narma10 ~4 s per run including imports; reduction_memory_capacity ~9 s)
``reproduce.main(["--only", NAME])`` and ``examples.NAME.main(["--quick"])`` are run into separate
directories and compared exactly (no tolerance). The only fields allowed to differ are

* ``seconds``: the wall-clock run time of the experiment (timing), and
* ``command``: the command line, which holds the output directory (a path).

Everything else (tables, headline, notes, raw numbers, settings) must be identical.
"""
import importlib
import json
import numbers

import pytest

from rcpod.examples import report, reproduce
from tests.examples.test_report import assert_headline_from_tables

TIMING_KEYS = {"seconds"}  # wall-clock run time: the only numbers that may differ


def _numbers(obj):
    """Count of the numeric leaves of a JSON value (to show the comparison is not vacuous)."""
    if isinstance(obj, dict):
        return sum(_numbers(v) for v in obj.values())
    if isinstance(obj, list):
        return sum(_numbers(v) for v in obj)
    return int(isinstance(obj, numbers.Number) and not isinstance(obj, bool))


def _comparable(result, out_dir):
    """``result`` without timing fields, its command with the output directory replaced."""
    out = {k: v for k, v in result.items() if k not in TIMING_KEYS}
    out["command"] = result["command"].replace(str(out_dir), "OUT")
    return out


@pytest.mark.parametrize("name", ["memory_capacity", "narma10"])
def test_report_numbers_equal_separate_run(tmp_path, name):
    rep_dir, sep_dir = tmp_path / "r", tmp_path / "sep"
    summary = reproduce.main(["--out", str(rep_dir), "--only", name])
    separate = importlib.import_module(f"examples.{name}").main(["--out", str(sep_dir), "--quick"])

    sep_json = json.loads((sep_dir / "results.json").read_text())
    part_json = json.loads((rep_dir / name / "results.json").read_text())
    record = json.loads((rep_dir / "results.json").read_text())["parts"][name]
    assert list(summary["parts"]) == [name] and record["preset"] == "quick"
    assert sep_json["quick"] is True and _numbers(sep_json) > 50
    assert_headline_from_tables(sep_json)

    # the report's part record: tables and headline exactly those of the separate run
    assert record["result"]["tables"] == sep_json["tables"]
    assert record["result"]["headline"] == sep_json["headline"] == json.loads(
        json.dumps(separate["headline"]))
    # every number of the separate run's results.json equals the report run's (timing aside),
    # both in the part directory's results.json and in the report's results.json
    expected = _comparable(sep_json, sep_dir)
    assert _comparable(part_json, rep_dir / name) == expected
    assert _comparable(record["result"], rep_dir / name) == expected

    # report.md shows the separate run's tables and headline rows as report.py formats them
    text = (rep_dir / "report.md").read_text()
    for table in sep_json["tables"]:
        assert report.markdown_table(table["columns"], table["rows"]) in text
    for row in sep_json["headline"]:
        line = report.markdown_table(["part", "result", "value", "reference"],
                                     [[name, row["result"], row["value"], row["reference"]]])
        assert line.splitlines()[-1] in text
