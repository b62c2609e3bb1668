"""Speed and memory of rcpod against reservoirpy and PennyLane: the three speed benchmarks.

    python examples/speed.py                 # full presets of the three benchmarks
    python examples/speed.py --quick         # their --quick presets (a few minutes in all)
    python examples/speed.py --out DIR       # output directory (default results/speed)
    python examples/speed.py --quick --stress 2   # with 2 busy processes: see verdicts under load

Runs, in order and each in a fresh Python process of its own (so that nothing an earlier part of
a long run left behind -- a fragmented heap, thread pools, imported libraries' settings -- enters
the timings: the command printed with each benchmark reruns it alone in the same conditions),

* ``benchmarks/bench_esn.py``: rcpod's ESN against reservoirpy 0.4 on the same reservoirs (one
  series, 32 series, fit + predict) and the peak memory of a long fit (measured in freshly
  exec'd subprocesses of that script, each reading its own ``VmHWM``: not the ``ru_maxrss``
  they would inherit from this process);
* ``benchmarks/bench_quantum.py``: the fast exact quantum reservoirs against PennyLane QNodes;
* ``benchmarks/bench_reduction.py``: per-step cost of a POD-DEIM reduced ESN against the full ESN
  and of CasADi rollouts with Jacobians;

and collects their tables, their goal verdicts, the machine, the load average and the command
that reruns each benchmark alone into one result dict, written to ``results.json``.

Timings are wall clock on the machine of the run. Each benchmark times the two sides of a ratio in
turns (interleaved repeats) and shows the ratio of the best times with the median and the spread
(min - max) of the per-round ratios. A goal is MET only if the whole spread reaches it, NOT MET
only if the whole spread is below it, and otherwise NOT MEASURABLE: the machine's load (recorded
at the start and end of every benchmark) made the spread cross the goal, and the run says so
instead of flipping the verdict.
"""
from __future__ import annotations

import json
import logging
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path


from rcpod.benchmarks import timing as _timing
from rcpod.examples import _common
from rcpod.examples.report import headline_row

log = logging.getLogger("rcpod.examples.speed")

#: (name, module, title prefix) of the benchmarks, in run order.
BENCHMARKS = [
    ("esn", "rcpod.benchmarks.bench_esn", "ESN vs reservoirpy"),
    ("quantum", "rcpod.benchmarks.bench_quantum", "Quantum reservoirs vs PennyLane"),
    ("reduction", "rcpod.benchmarks.bench_reduction", "POD-DEIM reduction"),
]


def _run_here(module_name, argv):
    import importlib
    module = importlib.import_module(module_name)
    t0 = time.perf_counter()
    result = module.main(argv)
    if not isinstance(result, dict):
        raise TypeError(f"{module_name}.main must return a dict, got {type(result).__name__}")
    return result, time.perf_counter() - t0


def _child(module_name, argv, out_path):
    """The fresh process's side of :func:`run_benchmark`: the result or the error, as JSON."""
    try:
        result, seconds = _run_here(module_name, argv)
        record = {"result": result, "seconds": seconds}
    except Exception as exc:  # noqa: BLE001 -- handed to the parent, which raises it
        record = {"error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()}
    _common.save_json(out_path, record)


def run_benchmark(module_name, argv):
    """``(result dict, seconds)`` of ``module_name``'s ``main(argv)``, run in a fresh Python
    process (same interpreter and ``sys.path``); its output goes to this process's stdout /
    stderr. A failure inside it raises :class:`RuntimeError` here, with its traceback."""
    with tempfile.TemporaryDirectory() as tmp:
        out_path = Path(tmp) / "result.json"
        # this sys.path, as multiprocessing's spawn hands it on (rcpod from a checkout, ...)
        code = ("import json, sys; sys.path[:] = json.loads(sys.argv[1]); "
                "from rcpod.examples.speed import _child; "
                "_child(sys.argv[2], sys.argv[4:], sys.argv[3])")
        sys.stdout.flush()
        sys.stderr.flush()
        done = subprocess.run([sys.executable, "-c", code, json.dumps(sys.path), module_name,
                               str(out_path), *argv], check=False)
        if not out_path.exists():
            raise RuntimeError(f"{module_name} exited with status {done.returncode} before "
                               "writing its result (see its output above).")
        record = json.loads(out_path.read_text())
    if "error" in record:
        raise RuntimeError(f"{module_name} failed: {record['error']}\n{record['traceback']}")
    return record["result"], record["seconds"]


def verdict_text(value):
    """A goal's verdict as text: benchmarks give "MET" / "NOT MET" / "NOT MEASURABLE (...)"
    strings (older results: True / False); None is "not evaluated"."""
    if value is None:
        return "not evaluated"
    if isinstance(value, str):
        return value
    return "MET" if value else "NOT MET"


def _goal(raw, name, key, text):
    """``text`` with the verdict of benchmark ``name``'s goal ``key`` (or 'not evaluated')."""
    return f"{text} ({verdict_text(raw.get(name, {}).get('goals', {}).get(key))})"


def _column(table, name, default):
    """Index of the column ``name`` of a report table (``default`` if it has none)."""
    columns = table.get("columns", [])
    return columns.index(name) if name in columns else default


def make_headline(raw):
    """Headline rows: the speed-up cells of the benchmark tables that the goals are about.

    Parameters
    ----------
    raw : dict
        Benchmark name -> its result dict (``tables``, ``goals``, ``rows``) or ``{"error": ...}``.

    Returns
    -------
    list of dict
        ``{"result", "value", "reference"}`` rows; a failed benchmark gives one ``FAILED`` row.
    """
    out = []
    for name, _module, title in BENCHMARKS:
        if "error" in raw.get(name, {"error": "not run"}):
            out.append(headline_row(f"{title}: speed-up", "FAILED", "see the notes"))
    if "tables" in raw.get("esn", {}):
        by_n = {row[0]: row for row in raw["esn"]["tables"][0]["rows"]}
        if 100 in by_n:
            out.append(headline_row("ESN run, one series, N=100: reservoirpy time / rcpod time",
                                    by_n[100][5], _goal(raw, "esn", "single_N100_>=3x",
                                                        "goal >= 3x")))
        if 500 in by_n:
            out.append(headline_row("ESN run, 32 series, N=500: throughput ratio to reservoirpy",
                                    by_n[500][9], _goal(raw, "esn", "batch32_N500_>=8x",
                                                        "goal >= 8x")))
    if "tables" in raw.get("quantum", {}):
        rows, cells = raw["quantum"]["rows"], raw["quantum"]["tables"][0]["rows"]
        fast = [i for i, r in enumerate(rows) if r[1].startswith("fast") or ": fast" in r[1]]
        if fast:
            i = min(fast, key=lambda k: rows[k][4])
            case = next((rows[k][0] for k in range(i, -1, -1) if rows[k][0]), "")
            out.append(headline_row("Quantum reservoirs: smallest speed-up of the fast backend "
                                    f"over PennyLane default.qubit ({case}, {cells[i][1]})",
                                    cells[i][3],
                                    _goal(raw, "quantum", "fast_faster_than_pennylane_everywhere",
                                          "goal > 1x in every case")))
    if "tables" in raw.get("reduction", {}):
        table = raw["reduction"]["tables"][0]
        col = _column(table, "ratio", 2)
        for row in table["rows"]:
            if str(row[0]).startswith("POD-DEIM r="):
                out.append(headline_row(f"{row[0]} run() per step vs the full ESN", row[col],
                                        _goal(raw, "reduction", "pod_deim_per_step_>=20x",
                                              "goal >= 20x")))
    return out


def _machine():
    from rcpod.examples.reproduce import machine_info
    info = machine_info()
    info["load_start"] = _timing.load_snapshot()
    info["load_average_start"] = info["load_start"]["loadavg"]
    return info


def main(argv=None):
    """Run the three speed benchmarks; returns the result dict (also written to results.json)."""
    parser = _common.make_parser(__doc__.split("\n\n")[0], "results/speed")
    parser.add_argument("--stress", type=int, default=0, metavar="N",
                        help="pass --stress N to every benchmark: N busy processes run alongside "
                             "(to see the spreads and verdicts on a loaded machine)")
    args = parser.parse_args(argv)
    _common.setup_logging()
    out = _common.output_dir(args.out)
    bench_argv = (["--quick"] if args.quick else []) + (
        ["--stress", str(args.stress)] if args.stress else [])
    machine = _machine()
    t_start = time.perf_counter()

    tables, notes, raw, seconds = [], [], {}, {}
    notes.append(f"Machine: {machine['cpu']}, {machine['n_cpus']} CPUs, {machine['platform']}; "
                 f"load average at start {_timing.load_text(machine['load_start'])}"
                 + (f"; --stress {args.stress}: {args.stress} busy processes ran during each "
                    "benchmark" if args.stress else "") + ".")
    notes.append(_timing.VERDICT_RULE)
    for name, module, title in BENCHMARKS:
        log.info("speed: running %s %s", module, " ".join(bench_argv))
        try:
            result, secs = run_benchmark(module, list(bench_argv))
        except Exception as exc:  # report the failure, run the other benchmarks
            log.error("speed: %s failed: %s", module, exc)
            raw[name] = {"error": traceback.format_exc()}
            notes.append(f"{title}: FAILED ({type(exc).__name__}: {exc}); rerun alone: "
                         f"python benchmarks/{module.split('.')[-1]}.py "
                         + " ".join(bench_argv))
            continue
        raw[name], seconds[name] = result, secs
        for table in result.get("tables", []):
            tables.append(dict(table, title=f"{title}: {table['title']}"))
        goals = result.get("goals", {})
        met = "; ".join(f"{k}: {verdict_text(v)}" for k, v in goals.items())
        load = (f" Load average at start {_timing.load_text(result['load_before'])}, at end "
                f"{_timing.load_text(result['load_after'])}." if result.get("load_before")
                else "")
        notes.append(f"{title} ({secs:.0f} s): goals {met or 'none stated'}.{load} "
                     f"Rerun alone: `{result.get('command', '')}`.")
        notes += [f"{title}: {n}" for n in result.get("notes", [])
                  if not n.startswith(tuple(f"{k}: " for k in goals))
                  and n != _timing.VERDICT_RULE and not n.startswith("Load average at start")]

    result = dict(command=_common.command_line("speed.py", argv), seeds=[0],
                  quick=bool(args.quick), tables=tables, notes=notes, figures=[],
                  headline=make_headline(raw),
                  machine=machine, load_end=_timing.load_snapshot(), stress=args.stress,
                  benchmarks=raw, benchmark_seconds=seconds,
                  seconds=time.perf_counter() - t_start)
    return _common.finish(out, result)


if __name__ == "__main__":
    main()
