"""Turn experiment results into one markdown report (used by examples/reproduce.py).

An experiment's result dict may hold ``"tables"``: a list of ``{"title": str, "columns": [...],
"rows": [[...], ...]}`` rendered as markdown tables, ``"notes"``: a list of strings, and
``"figures"``: PNG file names inside its directory, embedded in the report. Everything else is
kept in results.json only.
"""
from __future__ import annotations

from pathlib import Path


def _fmt(value):
    if isinstance(value, float):
        if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e5):
            return f"{value:.3e}"
        return f"{value:.4g}"
    return str(value)


def markdown_table(columns, rows):
    """A markdown table from column names and rows of values."""
    lines = ["| " + " | ".join(map(str, columns)) + " |",
             "|" + "|".join("---" for _ in columns) + "|"]
    lines += ["| " + " | ".join(_fmt(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def write_report(out_dir, summary):
    """Write ``out_dir/report.md`` from the runner's summary."""
    out_dir = Path(out_dir)
    m = summary["machine"]
    lines = [f"# rcpod benchmark report ({summary['preset']} preset)", "",
             f"rcpod {m['rcpod']}, Python {m['python']}, {m['platform']}",
             f"Machine: {m['cpu']}, {m['n_cpus']} CPUs.",
             f"Started {summary['started']}.",
             "Library versions: " + ", ".join(f"{k} {v}" for k, v in m["versions"].items() if v),
             "", "| part | run time [s] |", "|---|---|"]
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
