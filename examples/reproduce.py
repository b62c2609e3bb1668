"""Reproduce every benchmark of rcpod into one report directory.

    python examples/reproduce.py                 # quick preset (default), results/quick/
    python examples/reproduce.py --full          # the sizes of the published tables
    python examples/reproduce.py --only narma10  # one experiment (repeatable)
    rcpod-reproduce --quick                      # the same, as installed console command

Each experiment is a script in examples/ with ``main(argv) -> dict`` taking ``--out DIR`` and
``--quick``; it writes ``results.json`` and its figures into ``DIR``. This runner calls them in
order, records the run time of each part, and writes ``report.md`` (tables and embedded
figures), the figures as PNG and all raw numbers as ``results.json``, with the package version,
the machine and the seeds. A finished part leaves ``<part>/done.json``; an interrupted run resumes
from the first unfinished part (``--fresh`` starts over).
"""
from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import platform
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from examples import _common  # noqa: E402
from examples import report as report_md  # noqa: E402

log = logging.getLogger("rcpod.reproduce")

#: (name, module, title) in report order. Every module is examples/<module>.py.
EXPERIMENTS = [
    ("narma10", "examples.narma10", "NARMA10 with echo state networks"),
    ("memory_capacity", "examples.memory_capacity", "Memory capacity of ESNs"),
    ("reduction_narma10", "examples.reduction_narma10", "Reduced ESNs on NARMA10"),
    ("reduction_memory_capacity", "examples.reduction_memory_capacity",
     "Memory capacity of reduced ESNs"),
    ("oil_platform", "examples.oil_platform", "Oil platform identification with ESNs"),
    ("mpc_oil_platform", "examples.mpc_oil_platform", "MPC of the oil platform with ESNs"),
    ("quantum_rc", "examples.quantum_rc", "Quantum RNN/LSTM/GRU reservoirs"),
    ("speed", "examples.speed", "Speed and memory against reservoirpy and PennyLane"),
]


def machine_info():
    """What the numbers were measured on."""
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = {}
    for mod in ("numpy", "scipy", "sklearn", "numba", "reservoirpy", "pennylane", "casadi"):
        try:
            versions[mod] = importlib.import_module(mod).__version__
        except Exception:  # optional dependency missing or broken: say so, don't fail
            versions[mod] = None
    import reservoir
    return {"rcpod": reservoir.__version__, "python": platform.python_version(),
            "platform": platform.platform(), "cpu": cpu, "n_cpus": os.cpu_count(),
            "versions": versions}


def run_part(name, module, preset, out_dir, extra_args=()):
    """Run one experiment into ``out_dir/name`` unless it already finished with this preset."""
    part_dir = out_dir / name
    done = part_dir / "done.json"
    if done.exists():
        record = json.loads(done.read_text())
        if record.get("preset") == preset:
            log.info("%s: already done (%.1f s), skipping", name, record["seconds"])
            return record
    part_dir.mkdir(parents=True, exist_ok=True)
    argv = ["--out", str(part_dir)] + (["--quick"] if preset == "quick" else []) + list(extra_args)
    log.info("%s: running %s %s", name, module, " ".join(argv))
    t0 = time.perf_counter()
    result = importlib.import_module(module).main(argv)
    record = {"name": name, "preset": preset, "seconds": time.perf_counter() - t0,
              "result": result}
    tmp = done.with_suffix(".tmp")
    _common.save_json(tmp, record)
    tmp.replace(done)  # atomic: an interrupted write never looks finished
    return record


def main(argv=None, experiments=None):
    """Run the experiments (default :data:`EXPERIMENTS`) and write the report."""
    experiments = EXPERIMENTS if experiments is None else experiments
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    preset = parser.add_mutually_exclusive_group()
    preset.add_argument("--quick", action="store_true", help="small sizes (default)")
    preset.add_argument("--full", action="store_true", help="the sizes of the published tables")
    parser.add_argument("--only", action="append", choices=[e[0] for e in experiments],
                        help="run only this experiment (repeatable)")
    parser.add_argument("--out", type=Path, default=None,
                        help="output directory (default results/<preset>)")
    parser.add_argument("--fresh", action="store_true", help="ignore finished parts")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    name_preset = "full" if args.full else "quick"
    out_dir = args.out or Path("results") / name_preset
    out_dir.mkdir(parents=True, exist_ok=True)
    if args.fresh:
        for done in out_dir.glob("*/done.json"):
            done.unlink()
    records = []
    started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    for name, module, title in experiments:
        if args.only and name not in args.only:
            continue
        record = run_part(name, module, name_preset, out_dir)
        record["title"] = title
        records.append(record)
    info = machine_info()
    summary = {"preset": name_preset, "started": started, "machine": info,
               "parts": {r["name"]: r for r in records}}
    _common.save_json(out_dir / "results.json", summary)
    report_md.write_report(out_dir, summary)
    print(f"report written to {out_dir / 'report.md'}")
    return summary


if __name__ == "__main__":
    main()
