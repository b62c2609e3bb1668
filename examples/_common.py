"""Helpers shared by the example scripts: argument parsing, output directory, JSON and figures.

Every example exposes ``main(argv=None) -> dict`` taking ``--out DIR`` and ``--quick``, writes
``results.json`` (and figures, when matplotlib is installed) into ``DIR`` and returns the result
dict (keys understood by examples/report.py: ``tables``, ``notes``, ``figures``, ``command``,
``seeds`` and ``headline``, the 1-4 main numbers as ``report.headline_row`` dicts).
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

log = logging.getLogger("rcpod.examples")


def make_parser(description, default_out):
    """An ``argparse`` parser with the common ``--out`` and ``--quick`` options."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--out", type=Path, default=Path(default_out),
                        help=f"output directory (default {default_out})")
    parser.add_argument("--quick", action="store_true",
                        help="small sizes, for a fast check or the quick report")
    return parser


def add_seeds_option(parser):
    """``--seeds K``: use only the first K seeds of the preset (see :func:`preset`)."""
    parser.add_argument("--seeds", type=int, default=None, metavar="K",
                        help="use only the first K seeds of the preset")
    return parser


def preset(args, full, quick, smoke):
    """A copy of the settings the flags select (``--smoke``, ``--quick``, default full), with
    ``seeds`` cut to the first ``--seeds`` K."""
    settings = dict(smoke if args.smoke else quick if args.quick else full)
    if args.seeds is not None:
        if args.seeds < 1:
            raise ValueError(f"--seeds must be >= 1, got {args.seeds}.")
        settings["seeds"] = tuple(settings["seeds"][:args.seeds])
    return settings


def setup_logging():
    """INFO logging to stderr for scripts (no-op if the root logger is configured already)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")


def output_dir(path):
    """Create (if needed) and return the output directory as a Path."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    return path


def command_line(script, argv):
    """The command that reproduces a run, for the report."""
    args = list(sys.argv[1:] if argv is None else argv)
    return " ".join(["python", f"examples/{script}"] + [str(a) for a in args])


def _json_default(obj):
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def progress(iterable, desc):
    """``iterable`` with a tqdm progress bar on a terminal; plain iteration in logs and CI."""
    return tqdm(iterable, desc=desc, disable=None, leave=False)


def save_json(path, obj):
    """Write ``obj`` as indented JSON (numpy scalars and arrays converted)."""
    path = Path(path)
    path.write_text(json.dumps(obj, indent=1, default=_json_default))
    return path


def pyplot():
    """``matplotlib.pyplot`` with the non-interactive Agg backend, or None if not installed."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        log.info("matplotlib is not installed: figures are skipped (pip install matplotlib).")
        return None
    return plt


def save_figure(fig, path):
    """Save and close a figure; returns the file name (relative to its directory)."""
    path = Path(path)
    fig.savefig(path, dpi=120, bbox_inches="tight")
    import matplotlib.pyplot as plt
    plt.close(fig)
    log.info("figure written to %s", path)
    return path.name


def format_table(columns, rows):
    """Plain-text table for printing."""
    cells = [[str(c) for c in columns]] + [[_fmt(v) for v in row] for row in rows]
    widths = [max(len(r[j]) for r in cells) for j in range(len(columns))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _fmt(v):
    if isinstance(v, (float, np.floating)):
        return f"{v:.4g}"
    return str(v)


def finish(out, result):
    """Write ``out/results.json``, print the result's tables and notes, and return ``result``."""
    save_json(Path(out) / "results.json", result)
    for table in result.get("tables", []):
        print(f"\n{table['title']}")
        print(format_table(table["columns"], table["rows"]))
    print()
    for note in result.get("notes", []):
        print("- " + note)
    seconds = result.get("seconds")
    print(f"results written to {out}" + (f" ({seconds:.1f} s)" if seconds is not None else ""))
    return result
