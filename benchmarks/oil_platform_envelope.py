"""Establish the operating envelope of the oil-platform benchmark plant.

Runs 10-hour APRBS simulations of the PI-stabilised plant over a set of envelopes and seeds and
reports, per setting, the completion rate, the failure causes and times, the wall time per run,
the valve-saturation fraction and the output ranges of the completed runs. It also prints the
closed-loop eigenvalues at the nominal point (gas 1 kg/s, chokes 0.5) and at the envelope centre.

Usage::

    python benchmarks/oil_platform_envelope.py                    # default envelope, 20 seeds
    python benchmarks/oil_platform_envelope.py --seeds 30 --grid full --jobs 2
    python benchmarks/oil_platform_envelope.py --grid full --only pidnet --seeds 20

Each run starts at the steady state at the envelope centre with the first APRBS hold at the
centre; holds are uniform in [hold-min, hold-max] minutes, each channel switching independently.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
from joblib import Parallel, delayed

from rcpod.reservoir.oil_platform import DEFAULT_ENVELOPE, OilPlatform, aprbs, simulate
from rcpod.reservoir.oil_platform.dataset import PIDNET_INNER_ENVELOPE, envelope_bounds

BAR = 1e5


def settings_grid(grid):
    """Named settings: (regulatory, setpoint_filter_time, envelope dict)."""
    ref = dict(DEFAULT_ENVELOPE, dP_valve_top_sp=(1.0 * BAR, 4.0 * BAR))
    out = {
        "struc2 default envelope": ("struc2", None, dict(DEFAULT_ENVELOPE)),
        "struc2 reference envelope (top dp 1-4 bar)": ("struc2", None, ref),
    }
    if grid == "full":
        out["struc2 + 300 s set-point filter, reference envelope"] = ("struc2", 300.0, ref)
        out["struc2 wide (gas 0.7-1.8, wellhead dp 3-18 bar, top 1.5-5 bar)"] = (
            "struc2", None, dict(w_inj_A=(0.7, 1.8), w_inj_B=(0.7, 1.8), dP_valve_A_sp=(3 * BAR, 18 * BAR),
                                 dP_valve_B_sp=(3 * BAR, 18 * BAR), dP_valve_top_sp=(1.5 * BAR, 5 * BAR)))
        # this model's nominal annulus-top pressures are 85.58 / 89.45 bar, riser inlet 21.81 bar
        out["pidnet_inner (gas 0.9-1.2, annulus nominal +-2 bar, P_in 21.8-22.8 bar)"] = (
            "pidnet_inner", None, dict(w_inj_A=(0.9, 1.2), w_inj_B=(0.9, 1.2), P_at_A_sp=(83.6 * BAR, 87.6 * BAR),
                                       P_at_B_sp=(87.5 * BAR, 91.5 * BAR), P_in_sp=(21.8 * BAR, 22.8 * BAR)))
        out["pidnet_inner (reference ranges: annulus 88.6-92.6 / 92.4-96.4 bar)"] = (
            "pidnet_inner", None, dict(PIDNET_INNER_ENVELOPE))
        out["pidnet_inner + 1200 s set-point filter (reference ranges)"] = (
            "pidnet_inner", 1200.0, dict(PIDNET_INNER_ENVELOPE))
    return out


def one_run(regulatory, filt, bounds, x0, seed, hours, dt, hold):
    plant = OilPlatform(regulatory=regulatory, setpoint_filter_time=filt)
    T = int(round(hours * 3600 / dt))
    U = aprbs(T, bounds, hold[0], hold[1], random_state=seed, start=bounds.mean(axis=1))
    t = time.perf_counter()
    r = simulate(plant, U, dt, x0=x0, on_failure="ignore")
    wall = time.perf_counter() - t
    rng = (r.y.min(axis=0), r.y.max(axis=0)) if r.success else None
    return dict(seed=seed, success=r.success, status=r.status, t_fail=r.t_fail, message=r.message,
                wall=wall, sat=r.saturation_fraction, ranges=rng, n_rhs=r.n_rhs)


def eigen_report(plant, x, u, label):
    A, _ = plant.jacobian(x, u)
    ev = np.linalg.eigvals(A)
    ev = ev[np.argsort(-ev.real)]
    osc = ev[np.abs(ev.imag) > 1e-12]
    damp = np.min(-osc.real / np.abs(osc)) if osc.size else float("nan")
    print(f"  {label}: max Re = {ev.real.max():.3e} 1/s, least damping of complex pairs = {damp:.3f}")
    print("   eigenvalues:", np.array2string(ev, precision=5, max_line_width=120))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=20, help="seeds per setting (0..seeds-1)")
    ap.add_argument("--hours", type=float, default=10.0)
    ap.add_argument("--dt", type=float, default=60.0)
    ap.add_argument("--hold-min", type=float, default=10.0, help="minutes")
    ap.add_argument("--hold-max", type=float, default=60.0, help="minutes")
    ap.add_argument("--grid", choices=("default", "full"), default="default")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--only", default=None, help="run only settings whose name contains this text")
    args = ap.parse_args(argv)
    hold = (int(round(args.hold_min * 60 / args.dt)), int(round(args.hold_max * 60 / args.dt)))

    print("Closed-loop eigenvalues at the nominal point (gas 1/1 kg/s, chokes 0.5):")
    for reg in ("struc2", "pidnet_inner"):
        p = OilPlatform(regulatory=reg)
        eigen_report(p, p.nominal_state(), p.nominal_input(), reg)
    p = OilPlatform(regulatory=None)
    eigen_report(p, p.nominal_state(), p.nominal_input(), "open loop")

    summary = []
    for name, (reg, filt, env) in settings_grid(args.grid).items():
        if args.only and args.only not in name:
            continue
        plant = OilPlatform(regulatory=reg, setpoint_filter_time=filt)
        bounds = envelope_bounds(plant, env)
        center = bounds.mean(axis=1)
        x0 = plant.operating_point(center)
        print(f"\n=== {name}")
        print("  inputs:", ", ".join(f"{n} [{lo:.4g}, {hi:.4g}] {un}" for n, (lo, hi), un in
                                   zip(plant.input_names, bounds, plant.input_units)))
        print(f"  {args.seeds} seeds x {args.hours:g} h, dt = {args.dt:g} s, holds {args.hold_min:g}-{args.hold_max:g} min")
        eigen_report(plant, x0, center, "envelope centre")
        t0 = time.perf_counter()
        res = Parallel(n_jobs=args.jobs)(delayed(one_run)(reg, filt, bounds, x0, s, args.hours, args.dt, hold)
                                         for s in range(args.seeds))
        elapsed = time.perf_counter() - t0
        ok = [r for r in res if r["success"]]
        for r in res:
            if not r["success"]:
                print(f"  seed {r['seed']:3d}: {r['status']} at t = {r['t_fail']:.0f} s: {r['message']}")
        walls = np.array([r["wall"] for r in res])
        print(f"  completed {len(ok)}/{len(res)}; wall per run mean {walls.mean():.2f} s, median "
              f"{np.median(walls):.2f} s, max {walls.max():.2f} s (jobs={args.jobs}, total {elapsed:.1f} s)")
        if ok:
            sat = np.array([r["sat"] for r in ok])
            lo = np.min([r["ranges"][0] for r in ok], axis=0)
            hi = np.max([r["ranges"][1] for r in ok], axis=0)
            print(f"  valve-saturation fraction (completed runs): mean {sat.mean():.4f}, max {sat.max():.4f}")
            for n, u, a, b in zip(plant.output_names, plant.output_units, lo, hi):
                s = BAR if u == "Pa" else 1.0
                print(f"    {n:8s} [{a / s:9.3f}, {b / s:9.3f}] {'bar' if u == 'Pa' else u}")
        summary.append((name, len(ok), len(res), walls.mean()))
    print("\nSummary:")
    for name, k, n, w in summary:
        print(f"  {k:3d}/{n:<3d} completed, {w:5.2f} s/run  {name}")


if __name__ == "__main__":
    main()
