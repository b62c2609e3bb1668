"""Reproduce every benchmark of rcpod into one report directory.

    python examples/reproduce.py                 # quick preset (default), results/quick/
    python examples/reproduce.py --full          # the sizes of the published tables
    python examples/reproduce.py --only narma10  # one experiment (repeatable)
    rcpod-reproduce --quick                      # the same, as installed console command
    python -m rcpod.examples.report --readme results/full   # README section of a finished run

Each experiment is a script in examples/ with ``main(argv) -> dict`` taking ``--out DIR`` and
``--quick``; it writes ``results.json`` and its figures into ``DIR``. This runner calls them in
order, records the run time of each part, and writes ``report.md`` (a headline table, then the
tables and embedded figures of every part), the figures as PNG and all raw numbers as
``results.json``, with the package version, the git commit, the machine and the seeds.

A finished part leaves ``<part>/done.json``; an interrupted run resumes from the first
unfinished part. ``--fresh`` reruns the selected parts (all parts, or those named by ``--only``)
and leaves the other parts' results alone. With ``--only`` the report still includes every other
part that already finished with the same preset in the output directory (read from its
``done.json``, not rerun), in report order: ``--only speed`` at the end of a resumed full run
gives the complete report. Parts neither selected nor finished are absent from the report.
"""
from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import logging
import os
import platform
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path


from tqdm.auto import tqdm

from rcpod.benchmarks.machine import cpu_model
from rcpod.examples import _common
from rcpod.examples import report as report_md

log = logging.getLogger("rcpod.reproduce")

#: (name, module, title) in report order. Every module is examples/<module>.py.
EXPERIMENTS = [
    ("narma10", "rcpod.examples.narma10", "NARMA10 with echo state networks"),
    ("memory_capacity", "rcpod.examples.memory_capacity", "Memory capacity of ESNs"),
    ("reduction_narma10", "rcpod.examples.reduction_narma10", "Reduced ESNs on NARMA10"),
    ("reduction_tolerance", "rcpod.examples.reduction_tolerance",
     "Accuracy-driven reduction on NARMA10 (rcpod and reservoirpy ESNs)"),
    ("reduction_memory_capacity", "rcpod.examples.reduction_memory_capacity",
     "Memory capacity of reduced ESNs"),
    ("reduction_scale", "rcpod.examples.reduction_scale",
     "reduce() at scale: time and memory against N"),
    ("oil_platform", "rcpod.examples.oil_platform", "Oil platform identification with ESNs"),
    ("oil_platform_dask", "rcpod.examples.oil_platform_dask",
     "Fit and reduce on 200 oil-platform runs on a Dask cluster"),
    ("mpc_oil_platform", "rcpod.examples.mpc_oil_platform", "MPC of the oil platform with ESNs"),
    ("mpc_do_mpc", "rcpod.examples.mpc_do_mpc",
     "do-mpc's MPC next to TrackingMPC on the oil platform (reduced ESN)"),
    ("quantum_rc", "rcpod.examples.quantum_rc", "Quantum RNN/LSTM/GRU reservoirs"),
    ("quantum_benchmarks", "rcpod.examples.quantum_benchmarks",
     "Quantum reservoirs on memory capacity and NARMA10, 4 to 12 qubits"),
    ("speed", "rcpod.examples.speed", "Speed and memory against reservoirpy and PennyLane"),
]

#: Optional modules a part cannot run without, with the extra of setup.cfg that installs them.
#: (matplotlib, extra ``plot``, is optional for every part: without it figures are skipped.)
REQUIRES = {"oil_platform_dask": {"distributed": "dask"},
            "mpc_oil_platform": {"casadi": "mpc"},
            "mpc_do_mpc": {"casadi": "mpc", "do_mpc": "dompc"}}


class MissingExtraError(RuntimeError):
    """A selected part needs an optional dependency that is not installed.

    Examples
    --------
    >>> str(MissingExtraError("part 'x' needs casadi: pip install 'rcpod[mpc]'"))
    "part 'x' needs casadi: pip install 'rcpod[mpc]'"
    """


def check_extras(names, requires=None, find_spec=importlib.util.find_spec):
    """Raise :class:`MissingExtraError` naming every part of ``names`` whose extra is missing.

    Called before the first part runs, so a run never stops halfway for a missing extra.

    Parameters
    ----------
    names : iterable of str
        The parts about to run.
    requires : dict, optional
        ``{part: {module: extra}}``; default :data:`REQUIRES`.
    find_spec : callable, optional
        How a module is looked up without importing it (for tests).

    Examples
    --------
    >>> check_extras(["narma10"])           # needs nothing optional
    >>> try:
    ...     check_extras(["mpc"], {"mpc": {"no_such_module_xyz": "mpc"}})
    ... except MissingExtraError as err:
    ...     print(err)
    part 'mpc' needs no_such_module_xyz: pip install 'rcpod[mpc]' (or leave it out: --only PART ...)
    """
    requires = REQUIRES if requires is None else requires
    missing = [(name, module, extra) for name in names
               for module, extra in requires.get(name, {}).items() if find_spec(module) is None]
    if missing:
        parts = "; ".join(f"part {name!r} needs {module}: pip install 'rcpod[{extra}]'"
                          for name, module, extra in missing)
        raise MissingExtraError(parts + " (or leave it out: --only PART ...)")


def machine_info():
    """What the numbers were measured on."""
    cpu = cpu_model()
    versions = {}
    for mod in ("numpy", "scipy", "sklearn", "numba", "reservoirpy", "pennylane", "casadi"):
        try:
            versions[mod] = importlib.import_module(mod).__version__
        except Exception:  # optional dependency missing or broken: say so, don't fail
            versions[mod] = None
    import rcpod
    return {"rcpod": rcpod.__version__, "commit": git_commit(),
            "python": platform.python_version(), "platform": platform.platform(), "cpu": cpu,
            "n_cpus": os.cpu_count(), "versions": versions}


def _git(root, *args):
    """Stdout of ``git -C root *args``, or None if git is missing or the command fails."""
    try:
        done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                              timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):  # no git executable, hung git, ...
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def git_commit(root=None):
    """Short commit hash of the rcpod checkout, with ``-dirty`` if tracked files changed.

    Parameters
    ----------
    root : path-like, optional
        The checkout; default the repository holding this file.

    Returns
    -------
    str or None
        ``"<hash>"`` or ``"<hash>-dirty"`` (uncommitted changes to tracked files, as
        ``git describe --dirty``; untracked files such as results/ do not count), or None when
        git is not installed or ``root`` is not the top of a git work tree (e.g. an installed
        copy of rcpod).

    Examples
    --------
    >>> c = git_commit()
    >>> c is None or len(c.split("-")[0]) >= 4
    True
    """
    root = Path(__file__).resolve().parent.parent if root is None else Path(root)
    top = _git(root, "rev-parse", "--show-toplevel")
    if top is None or Path(top).resolve() != root.resolve():
        return None  # not a checkout, or a copy inside some other repository
    commit = _git(root, "rev-parse", "--short", "HEAD")
    if not commit:
        return None
    status = _git(root, "status", "--porcelain", "--untracked-files=no")
    return commit + ("-dirty" if status else "")


def finished_part(out_dir, name, preset):
    """The record of part ``name`` if it finished in ``out_dir`` with ``preset``, else None."""
    done = Path(out_dir) / name / "done.json"
    if not done.exists():
        return None
    record = json.loads(done.read_text())
    return record if record.get("preset") == preset else None


def run_part(name, module, preset, out_dir, extra_args=()):
    """Run one experiment into ``out_dir/name`` unless it already finished with this preset."""
    part_dir = out_dir / name
    done = part_dir / "done.json"
    record = finished_part(out_dir, name, preset)
    if record is not None:
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
                        help="run only this experiment (repeatable); the report also shows "
                             "the other parts already finished with this preset in --out")
    parser.add_argument("--out", type=Path, default=None,
                        help="output directory (default results/<preset>)")
    parser.add_argument("--fresh", action="store_true",
                        help="rerun the selected parts even if they finished")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    name_preset = "full" if args.full else "quick"
    out_dir = args.out or Path("results") / name_preset
    out_dir.mkdir(parents=True, exist_ok=True)
    selected = {e[0] for e in experiments if not args.only or e[0] in args.only}
    if args.fresh:  # only the selected parts start over
        for name in selected:
            done = out_dir / name / "done.json"
            if done.exists():
                done.unlink()
    check_extras(name for name, _, _ in experiments if name in selected)
    records = []
    started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    bar = tqdm(total=len(selected), desc="rcpod-reproduce", unit="part",
               disable=None)  # None: no bar when stderr is not a terminal (logs, CI)
    for name, module, title in experiments:
        if name in selected:
            bar.set_postfix_str(name)
            record = run_part(name, module, name_preset, out_dir)
            bar.update()
        else:  # not selected: in the report only if it finished before with this preset
            record = finished_part(out_dir, name, name_preset)
            if record is None:
                continue
            log.info("%s: not selected, finished before: included in the report", name)
        record["title"] = title
        records.append(record)
    bar.close()
    info = machine_info()
    summary = {"preset": name_preset, "started": started, "machine": info,
               "total_seconds": sum(r["seconds"] for r in records),
               "parts": {r["name"]: r for r in records}}
    _common.save_json(out_dir / "results.json", summary)
    report_md.write_report(out_dir, summary)
    print(f"report written to {out_dir / 'report.md'}")
    return summary


def cli(argv=None, experiments=None):
    """The console command ``rcpod-reproduce``: :func:`main`, with an exit status.

    Returns 0 when the report was written; on failure it prints one line naming the reason to
    stderr and returns 1 (2 for a missing optional extra, 130 when interrupted; an interrupted
    run resumes where it stopped when started again). ``python -m rcpod.examples.reproduce``
    runs :func:`main` directly and shows the full traceback of a failure.

    Parameters
    ----------
    argv : list of str, optional
        Command-line arguments (default ``sys.argv[1:]``).
    experiments : list, optional
        Passed to :func:`main` (default :data:`EXPERIMENTS`).

    Returns
    -------
    int
        The exit status.

    Examples
    --------
    >>> cli(["--only", "no_such_part"])    # a usage error: argparse explains it on stderr
    2
    """
    try:
        main(argv, experiments)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2), already printed
        return exc.code if isinstance(exc.code, int) else 1
    except MissingExtraError as exc:
        print(f"rcpod-reproduce: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("rcpod-reproduce: interrupted; run the same command again to resume.",
              file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 -- the console shows one line, not a traceback
        print(f"rcpod-reproduce: failed: {type(exc).__name__}: {exc} (python -m "
              f"rcpod.examples.reproduce with the same arguments shows the traceback)",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    main()
