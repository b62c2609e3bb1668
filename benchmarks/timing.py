"""Timing under noise, shared by the speed benchmarks (bench_esn, bench_reduction, bench_quantum).

* :func:`interleaved_times` runs two or more callables in turns (A, B, A, B, ...) and returns the
  time of every repeat of each, so that a change of machine load hits all of them alike and every
  round gives one comparable pair;
* :func:`ratio_stats` turns two such lists into the statistics of the ratio: ``best`` (ratio of
  the best times, the number the benchmarks always reported), ``median`` and ``min`` / ``max`` of
  the per-round ratios (the spread);
* :func:`verdict` decides a goal "ratio >= goal" from that spread: ``MET`` only if every
  per-round ratio reaches the goal, ``NOT MET`` only if none does, otherwise
  ``NOT MEASURABLE (spread crosses the goal; load X)`` -- the machine was too noisy to tell;
* :func:`load_snapshot` records the load average (``os.getloadavg``) and the number of running
  processes, at the start and at the end of a benchmark;
* :class:`Stress` / :func:`add_stress_option` (``--stress N``) start N busy pure-Python processes
  for the duration of a benchmark, to show how it behaves on a loaded machine;
* :func:`peak_rss_mb` and :func:`run_fresh_python` measure the peak memory of a child process in
  a freshly exec'd interpreter from ``/proc/self/status`` ``VmHWM`` (per address space, starts
  afresh at exec), not from ``getrusage`` ``ru_maxrss``, which on Linux carries the high-water
  mark of the process the child was forked from across fork + exec.
"""
from __future__ import annotations

import atexit
import json
import math
import os
import subprocess
import sys
import time

#: A verdict is one of these, or starts with NOT_MEASURABLE.
MET, NOT_MET, NOT_MEASURABLE = "MET", "NOT MET", "NOT MEASURABLE"


# -- timing -------------------------------------------------------------------------------------
def interleaved_times(fns, repeats, *, warmup=True, min_sample_s=0.0, budget_s=None,
                      min_repeats=3, log=None):
    """Per-repeat wall times of callables run in turns: A, B, ..., A, B, ...

    Parameters
    ----------
    fns : dict
        Name -> callable without arguments, timed in this order within every round.
    repeats : int
        Number of rounds.
    warmup : bool or collection of str
        Call every callable (True), none (False) or the named ones once before timing (numba
        compilation, caches). A warmed-up callable with ``min_sample_s > 0`` is called
        ``ceil(min_sample_s / warm-up time)`` times per sample (the sample time is divided by
        that count), so that very short calls are not dominated by scheduler time slices.
    min_sample_s : float
        See ``warmup``.
    budget_s : float, optional
        Stop after the round in which this many seconds have passed, but not before
        ``min_repeats`` rounds.
    min_repeats : int
        See ``budget_s``.
    log : list, optional
        Receives the name of every timed call, in call order (for checks).

    Returns
    -------
    dict
        Name -> list of seconds per call, one entry per round (same length for every name).
    """
    if warmup is True:
        warm = set(fns)
    elif warmup is False or warmup is None:
        warm = set()
    else:
        warm = set(warmup)
    number = {}
    for name, fn in fns.items():
        number[name] = 1
        if name in warm:
            t0 = time.perf_counter()
            fn()
            dt = time.perf_counter() - t0
            if min_sample_s > 0:
                number[name] = max(1, math.ceil(min_sample_s / max(dt, 1e-9)))
    times = {name: [] for name in fns}
    start = time.perf_counter()
    for k in range(max(1, int(repeats))):
        for name, fn in fns.items():
            n = number[name]
            t0 = time.perf_counter()
            for _ in range(n):
                fn()
            times[name].append((time.perf_counter() - t0) / n)
            if log is not None:
                log.append(name)
        if (budget_s is not None and k + 1 >= min_repeats
                and time.perf_counter() - start > budget_s):
            break
    return times


def per_round_min(*lists):
    """Round-wise minimum of several per-round time lists (the faster candidate each round)."""
    return [min(values) for values in zip(*lists)]


def scaled(times, factor):
    """Every time of a per-round list multiplied by ``factor`` (e.g. per step, per window)."""
    return [t * factor for t in times]


def ratio_stats(num_times, den_times):
    """Statistics of ``num / den`` over rounds (e.g. reference time / our time = speed-up).

    Returns
    -------
    dict
        ``best`` = min(num) / min(den) (ratio of the best times), ``median``, ``min`` and
        ``max`` of the per-round ratios ``num[i] / den[i]``, ``n`` rounds and the ``ratios``.

    Examples
    --------
    >>> s = ratio_stats([4.0, 6.0, 5.0], [1.0, 1.0, 2.0])
    >>> s["best"], s["median"], s["min"], s["max"], s["n"]
    (4.0, 4.0, 2.5, 6.0, 3)
    """
    if len(num_times) != len(den_times) or not num_times:
        raise ValueError("ratio_stats needs two non-empty lists of the same length, got "
                         f"{len(num_times)} and {len(den_times)}")
    ratios = [a / b for a, b in zip(num_times, den_times)]
    srt = sorted(ratios)
    k = len(srt)
    median = srt[k // 2] if k % 2 else 0.5 * (srt[k // 2 - 1] + srt[k // 2])
    return {"best": min(num_times) / min(den_times), "median": median, "min": srt[0],
            "max": srt[-1], "n": k, "ratios": ratios}


def single_stats(value):
    """Ratio statistics of one number (no repeats): best = median = min = max = value."""
    return {"best": value, "median": value, "min": value, "max": value, "n": 1,
            "ratios": [value]}


# -- verdicts -----------------------------------------------------------------------------------
def _spread(ratios):
    if isinstance(ratios, dict):
        return ratios["min"], ratios["max"]
    values = [float(r) for r in ratios]
    return (min(values), max(values)) if values else (math.nan, math.nan)


def verdict(ratios, goal, load=None, strict=False):
    """The verdict on "ratio >= goal" (``strict``: "ratio > goal") from per-round ratios.

    Parameters
    ----------
    ratios : sequence of float or dict
        The per-round ratios, or a :func:`ratio_stats` dict (its ``min`` and ``max`` are used).
    goal : float
    load : float or str, optional
        The 1-minute load average quoted in a NOT MEASURABLE verdict (a float, or a text such
        as :func:`verdict_load` gives); default: now.
    strict : bool

    Returns
    -------
    str
        ``"MET"`` if the whole spread (the smallest ratio) reaches the goal, ``"NOT MET"`` if the
        whole spread (the largest ratio) is below it, otherwise
        ``"NOT MEASURABLE (spread crosses the goal; load X)"``.

    Examples
    --------
    >>> verdict([9.1, 9.5, 10.2], 8.0), verdict([6.0, 7.9], 8.0)
    ('MET', 'NOT MET')
    >>> verdict([7.5, 8.4, 9.0], 8.0, load=2.5)
    'NOT MEASURABLE (spread crosses the goal; load 2.50)'
    """
    lo, hi = _spread(ratios)
    if math.isnan(lo) or math.isnan(hi):
        return f"{NOT_MEASURABLE} (no repeats)"
    if (lo > goal) if strict else (lo >= goal):
        return MET
    if (hi <= goal) if strict else (hi < goal):
        return NOT_MET
    if load is None:
        load = load_average()[0] if load_average() else math.nan
    if not isinstance(load, str):
        load = f"{load:.2f}"
    return f"{NOT_MEASURABLE} (spread crosses the goal; load {load})"


def combine(verdicts):
    """One verdict for "all of these": NOT MET if any is, MET if all are, else NOT MEASURABLE.

    Examples
    --------
    >>> combine(["MET", "MET"]), combine(["MET", "NOT MET", "NOT MEASURABLE (x)"])
    ('MET', 'NOT MET')
    >>> combine(["MET", "NOT MEASURABLE (x)"])
    'NOT MEASURABLE (x)'
    """
    verdicts = list(verdicts)
    if not verdicts:
        return f"{NOT_MEASURABLE} (nothing measured)"
    if any(v == NOT_MET for v in verdicts):
        return NOT_MET
    if all(v == MET for v in verdicts):
        return MET
    return next(v for v in verdicts if v not in (MET, NOT_MET))


def _decimals(value, digits):
    if not math.isfinite(value) or value <= 0:
        return digits
    if value >= 100:
        return 0
    if value >= 1:
        return digits
    return max(digits, 1 - math.floor(math.log10(value)))  # 2 significant digits below 1


def fmt_x(value, digits=1, rounding=None):
    """A ratio as text: ``12.345`` -> ``'12.3x'``; none from 100x on, 2 significant below 1x.

    ``rounding="down"`` / ``"up"`` rounds towards -inf / +inf at the shown precision, so that a
    shown spread (min down, max up) always contains the measured one: a smallest ratio of 7.97
    is shown as 7.9x, never as 8.0x next to a goal of 8x.

    Examples
    --------
    >>> fmt_x(12.345), fmt_x(7.97, rounding="down"), fmt_x(7.91, rounding="up"), fmt_x(0.087)
    ('12.3x', '7.9x', '8.0x', '0.087x')
    """
    d = _decimals(value, digits)
    if rounding in ("down", "up") and math.isfinite(value):
        scale = 10.0 ** d
        value = (math.floor(value * scale + 1e-9) if rounding == "down"
                 else math.ceil(value * scale - 1e-9)) / scale
    return f"{value:.{d}f}x"


def spread_text(stats, digits=1):
    """``'median 9.8x, 9.1-10.4x'``: median and range (min rounded down, max up) of the
    per-round ratios; empty for one round or a ratio of a time to itself."""
    if stats is None or stats.get("n", 1) <= 1 or stats["min"] == stats["max"]:
        return ""
    lo = fmt_x(stats["min"], digits, "down").rstrip("x")
    return f"median {fmt_x(stats['median'], digits)}, {lo}-{fmt_x(stats['max'], digits, 'up')}"


def ratio_cell(best_text, stats, digits=1):
    """A table cell: the best ratio as before, then median and spread when there were repeats."""
    extra = spread_text(stats, digits)
    return f"{best_text} ({extra})" if extra else best_text


def goal_entry(key, label, stats, goal, *, strict=False, load=None, digits=2):
    """One row of a goals table: a ratio's statistics against its goal, with the verdict
    (the spread shown with min rounded down and max rounded up)."""
    return {"key": key, "label": label, "goal": goal, "strict": strict,
            "best": stats["best"], "median": stats["median"], "min": stats["min"],
            "max": stats["max"], "n": stats["n"],
            "verdict": verdict(stats, goal, load=load, strict=strict),
            "cells": [fmt_x(stats["best"], digits), fmt_x(stats["median"], digits),
                      f"{fmt_x(stats['min'], digits, 'down')} - "
                      f"{fmt_x(stats['max'], digits, 'up')}", stats["n"],
                      (">" if strict else ">=") + f" {goal:g}x"]}


def goals_from_entries(entries):
    """Goal key -> combined verdict of all its entries (in first-seen order)."""
    keys = list(dict.fromkeys(e["key"] for e in entries))
    return {k: combine(e["verdict"] for e in entries if e["key"] == k) for k in keys}


GOALS_COLUMNS = ["goal", "ratio (best)", "median ratio", "spread (min - max of per-round ratios)",
                 "rounds", "target", "verdict"]

VERDICT_RULE = ("Each ratio comes from interleaved repeats (the two sides timed in turns); best = "
                "ratio of the best times, median and spread = of the per-round ratios. A goal is "
                "MET only if the whole spread reaches it, NOT MET only if the whole spread is "
                "below it, otherwise NOT MEASURABLE: the machine's load made the spread cross "
                "the goal (rerun on a quieter machine). The load average at start and end is "
                "given with every goals table: compare it with the number of CPUs (the end "
                "value includes the benchmark's own threads and worker processes).")


def goals_table(title, entries, before, after):
    """A report table of goal entries, with the load average at start and end in its title."""
    return {"title": f"{title} (load average {load_text(before)} at start, {load_text(after)} "
                     "at end)",
            "columns": GOALS_COLUMNS,
            "rows": [[e["label"]] + e["cells"] + [e["verdict"]] for e in entries]}


def markdown_table(table):
    """A report table (``{"title", "columns", "rows"}``) as markdown text with its title."""
    cols = table["columns"]
    lines = [f"**{table['title']}**", "", "| " + " | ".join(str(c) for c in cols) + " |",
             "|" + "|".join("---" for _ in cols) + "|"]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in table["rows"]]
    return "\n".join(lines)


# -- machine load -------------------------------------------------------------------------------
def load_average():
    """``[1 min, 5 min, 15 min]`` load average, or None where the OS has none."""
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except (OSError, AttributeError):
        return None


def load_snapshot():
    """Load average, running / total processes (``/proc/loadavg``), CPUs and the time."""
    snap = {"loadavg": load_average(), "running": None, "nproc": os.cpu_count(),
            "time": time.time()}
    try:
        with open("/proc/loadavg") as fh:
            snap["running"] = int(fh.read().split()[3].split("/")[0])
    except (OSError, ValueError, IndexError):
        pass
    return snap


def load_text(snap):
    """``'1.52 0.80 0.41 (3 running, 2 CPUs)'``."""
    if not snap or snap.get("loadavg") is None:
        return "unknown"
    text = " ".join(f"{v:.2f}" for v in snap["loadavg"])
    extra = [f"{snap['running']} running" if snap.get("running") is not None else "",
             f"{snap['nproc']} CPUs" if snap.get("nproc") else ""]
    extra = ", ".join(e for e in extra if e)
    return f"{text} ({extra})" if extra else text


def verdict_load(before, after):
    """``'0.87 at start, 2.40 at end'``: the 1-minute load averages quoted in a verdict.

    The start value is the machine before the benchmark; the end value also counts the
    benchmark's own threads and worker processes.
    """
    parts = [f"{s['loadavg'][0]:.2f} at {where}" for s, where in ((before, "start"),
                                                                  (after, "end"))
             if s and s.get("loadavg")]
    return ", ".join(parts) or "unknown"


# -- load generator (--stress) ------------------------------------------------------------------
_SPIN = ("import os, sys, time\n"
         "ppid, end = int(sys.argv[1]), time.monotonic() + float(sys.argv[2])\n"
         "n = 0\n"
         "while True:\n"
         "    n += 1\n"
         "    if n % 100000 == 0 and (time.monotonic() > end or os.getppid() != ppid):\n"
         "        break\n")


class Stress:
    """``n`` busy processes (pure-Python spin loops) while the ``with`` block runs.

    Each stops by itself after ``seconds`` or when its parent is gone, and is terminated when
    the block ends (or at interpreter exit).

    Examples
    --------
    >>> with Stress(1, seconds=5) as s:
    ...     len(s.procs)
    1
    """

    def __init__(self, n, seconds=900.0):
        self.n, self.seconds, self.procs = int(n or 0), float(seconds), []

    def start(self):
        for _ in range(self.n):
            self.procs.append(subprocess.Popen(
                [sys.executable, "-S", "-c", _SPIN, str(os.getpid()), str(self.seconds)],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        if self.procs:
            atexit.register(self.stop)
            time.sleep(0.3)  # let them start spinning
        return self

    def stop(self):
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
        for p in self.procs:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        if self.procs:
            atexit.unregister(self.stop)
        self.procs = []

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False


def add_stress_option(parser):
    """``--stress N`` (busy processes during the run) and ``--stress-seconds``."""
    parser.add_argument("--stress", type=int, default=0, metavar="N",
                        help="start N busy pure-Python processes for the duration of the run, "
                             "to see the benchmark (spreads, verdicts) on a loaded machine")
    parser.add_argument("--stress-seconds", type=float, default=900.0,
                        help="each --stress process stops by itself after this many seconds "
                             "(default 900)")
    return parser


# -- memory of a fresh process ------------------------------------------------------------------
def _status_kb(field):
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


def peak_rss_mb():
    """Peak resident memory of this process's address space (``VmHWM``), in MB.

    ``VmHWM`` starts afresh at exec, so in a freshly exec'd child it is the child's own peak.
    Where ``/proc`` is missing, falls back to ``ru_maxrss`` (which may include the parent's
    high-water mark) and says so in :func:`memory_report`.
    """
    kb = _status_kb("VmHWM")
    if kb is None:
        import resource
        kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / 1024


def current_rss_mb():
    """Current resident memory (``VmRSS``) in MB, or nan where ``/proc`` is missing."""
    kb = _status_kb("VmRSS")
    return math.nan if kb is None else kb / 1024


def memory_report():
    """This process's memory: ``peak_rss_mb`` (VmHWM), its source, and ``ru_maxrss`` for
    contrast (``ru_maxrss_mb``: not used, it can hold the forking parent's high-water mark)."""
    import resource
    source = "VmHWM" if _status_kb("VmHWM") is not None else "ru_maxrss"
    return {"peak_rss_mb": peak_rss_mb(), "peak_rss_source": source,
            "ru_maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def run_fresh_python(args, timeout=None):
    """Run ``python *args`` in a freshly exec'd interpreter; return its last stdout JSON line.

    The child is expected to print one JSON object as its last line (e.g. including
    :func:`memory_report`). On failure returns ``{"error": <end of stderr>}``.
    """
    done = subprocess.run([sys.executable, *args], capture_output=True, text=True,
                          check=False, timeout=timeout)
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        return {"error": (done.stderr.strip() or f"exit code {done.returncode}")[-2000:]}
    return json.loads(lines[-1])
