"""Turn experiment results into one markdown report (used by examples/reproduce.py).

An experiment's result dict may hold ``"tables"``: a list of ``{"title": str, "columns": [...],
"rows": [[...], ...]}`` rendered as markdown tables, ``"notes"``: a list of strings,
``"figures"``: PNG file names inside its directory, embedded in the report, and ``"headline"``:
1-4 rows ``{"result": str, "value": str, "reference": str}`` (the experiment's main numbers, taken
from its tables, and what they are compared to), gathered into the "Headline results" table at
the top of the report and in the README section. Everything else is kept in results.json only.

    python -m rcpod.examples.report --readme results/full   # print the README section of a run
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

#: Keys of one headline row, in column order.
HEADLINE_KEYS = ("result", "value", "reference")


def format_value(value):
    """A table cell as text: floats with 4 significant digits (scientific if tiny or huge).

    Examples
    --------
    >>> format_value(0.123456), format_value(1.5e-5), format_value(7), format_value("1.0x")
    ('0.1235', '1.500e-05', '7', '1.0x')
    """
    if isinstance(value, float):
        if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e5):
            return f"{value:.3e}"
        return f"{value:.4g}"
    return str(value)


def _cell(text):
    """Text safe inside a markdown table cell (no pipe, no line break)."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def markdown_table(columns, rows):
    """A markdown table from column names and rows of values."""
    lines = ["| " + " | ".join(_cell(c) for c in columns) + " |",
             "|" + "|".join("---" for _ in columns) + "|"]
    lines += ["| " + " | ".join(_cell(format_value(v)) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def headline_row(result, value, reference):
    """One headline row; ``value`` is formatted like a table cell if it is not a string.

    Examples
    --------
    >>> headline_row("NRMSE, N=500", 0.13851, "reservoirpy: 0.2271")
    {'result': 'NRMSE, N=500', 'value': '0.1385', 'reference': 'reservoirpy: 0.2271'}
    """
    return {"result": str(result), "value": format_value(value), "reference": str(reference)}


def _check_headline(name, rows):
    if not isinstance(rows, list):
        raise TypeError(f"part {name!r}: 'headline' must be a list of dicts, got "
                        f"{type(rows).__name__}")
    for row in rows:
        if not isinstance(row, dict) or set(row) != set(HEADLINE_KEYS):
            raise ValueError(f"part {name!r}: every headline row must be a dict with the keys "
                             f"{HEADLINE_KEYS}, got {row!r}")


def headline_rows(summary):
    """``[part, result, value, reference]`` rows of every part's headline, in report order.

    Raises
    ------
    TypeError, ValueError
        If a part's ``"headline"`` is not a list of ``{"result", "value", "reference"}`` dicts.
    """
    out = []
    for name, rec in summary["parts"].items():
        rows = (rec.get("result") or {}).get("headline", [])
        _check_headline(name, rows)
        out += [[name] + [row[k] for k in HEADLINE_KEYS] for row in rows]
    return out


def headline_table(summary):
    """The markdown "Headline results" table (empty string if no part has a headline)."""
    rows = headline_rows(summary)
    if not rows:
        return ""
    return markdown_table(["part", "result", "value", "reference"], rows)


def total_seconds(summary):
    """Run time of all parts of a summary (the sum of the parts' own run times)."""
    if summary.get("total_seconds") is not None:
        return summary["total_seconds"]
    return sum(rec["seconds"] for rec in summary["parts"].values())


def _duration(seconds):
    """``3725.0`` -> ``'1 h 02 min'``; ``95`` -> ``'1 min 35 s'``; ``9.2`` -> ``'9.2 s'``."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, sec = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes} min {sec:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def write_report(out_dir, summary):
    """Write ``out_dir/report.md`` from the runner's summary."""
    out_dir = Path(out_dir)
    m = summary["machine"]
    lines = [f"# rcpod benchmark report ({summary['preset']} preset)", "",
             f"rcpod {m['rcpod']} (commit {m.get('commit') or 'unknown'}), "
             f"Python {m['python']}, {m['platform']}",
             f"Machine: {m['cpu']}, {m['n_cpus']} CPUs.",
             f"Started {summary['started']}.",
             "Library versions: " + ", ".join(f"{k} {v}" for k, v in m["versions"].items() if v),
             ""]
    headline = headline_table(summary)
    if headline:
        lines += ["## Headline results", "", headline, ""]
    lines += ["| part | run time [s] |", "|---|---|"]
    lines += [f"| {name} | {rec['seconds']:.1f} |" for name, rec in summary["parts"].items()]
    for name, rec in summary["parts"].items():
        res = rec.get("result") or {}
        lines += ["", f"## {rec.get('title', name)}", ""]
        if res.get("command"):
            lines += [f"Command: `{res['command']}`", ""]
        if res.get("seeds") is not None:
            lines += [f"Seeds: {res['seeds']}", ""]
        for table in res.get("tables", []):
            lines += [f"**{table.get('title', '')}**", "",
                      markdown_table(table["columns"], table["rows"]), ""]
        for note in res.get("notes", []):
            lines += [f"- {note}"]
        for fig in res.get("figures", []):
            lines += ["", f"![{name} {Path(fig).stem}]({name}/{Path(fig).name})"]
    (out_dir / "report.md").write_text("\n".join(lines) + "\n")


def readme_section(summary, report_path=None):
    """Markdown for the README: "Results of the last full run" with the headline table.

    (The heading names the run's preset: "... last quick run" for a quick run.)

    Parameters
    ----------
    summary : dict
        The runner's summary (``results.json`` of a report directory).
    report_path : str, optional
        Where the reproduction writes the full report; default ``results/<preset>/report.md``.

    Returns
    -------
    str
        A level-2 section: date (start of the run), machine, preset, commit, total run time of
        the parts, the headline table and a pointer to the full report.

    Examples
    --------
    >>> summary = {"preset": "full", "started": "2025-01-02T03:04:05+00:00",
    ...            "machine": {"cpu": "Some CPU", "n_cpus": 2, "commit": "abc1234"},
    ...            "parts": {"narma10": {"seconds": 75.0, "result": {"headline": [
    ...                {"result": "NRMSE", "value": "0.14", "reference": "0.23"}]}}}}
    >>> print(readme_section(summary))  # doctest: +NORMALIZE_WHITESPACE
    ## Results of the last full run
    <BLANKLINE>
    Run started 2025-01-02T03:04:05+00:00 on Some CPU (2 CPUs); preset full, commit abc1234;
    total run time 1 min 15 s.
    <BLANKLINE>
    | part | result | value | reference |
    |---|---|---|---|
    | narma10 | NRMSE | 0.14 | 0.23 |
    <BLANKLINE>
    `python examples/reproduce.py --full` writes every table, figure and setting of this run to
    `results/full/report.md` (all numbers: `results.json` next to it).
    """
    m = summary["machine"]
    report_path = report_path or f"results/{summary['preset']}/report.md"
    lines = [f"## Results of the last {summary['preset']} run", "",
             f"Run started {summary['started']} on {m.get('cpu') or 'unknown CPU'} "
             f"({m.get('n_cpus')} CPUs); preset {summary['preset']}, commit "
             f"{m.get('commit') or 'unknown'};",
             f"total run time {_duration(total_seconds(summary))}.", ""]
    table = headline_table(summary)
    lines += [table if table else "(no part of this run reports headline results)", ""]
    lines += [f"`python examples/reproduce.py --{summary['preset']}` writes every table, figure "
              f"and setting of this run to",
              f"`{report_path}` (all numbers: `results.json` next to it)."]
    return "\n".join(lines) + "\n"


def main(argv=None):
    """``python -m rcpod.examples.report --readme DIR``: print the README section of DIR's run."""
    parser = argparse.ArgumentParser(description="Markdown from a report directory.")
    parser.add_argument("--readme", type=Path, required=True, metavar="DIR",
                        help="report directory holding results.json (written by reproduce.py)")
    args = parser.parse_args(argv)
    path = args.readme / "results.json"
    if not path.exists():
        parser.error(f"--readme: {path} does not exist (run examples/reproduce.py first)")
    summary = json.loads(path.read_text())
    text = readme_section(summary)
    print(text, end="")
    return text


if __name__ == "__main__":
    main()
