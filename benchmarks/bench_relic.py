"""Relic-line speed benchmark (a script, not a test): ``python benchmarks/bench_relic.py``.

Prints, in one run:

(a) wall time of a 50-mass relic line (g_mu giving Omega h^2 = 0.12, muon-specific,
    m_chi = m_S/3, m_S = 3 MeV .. 10 GeV) with the production path
    (``relic_coupling``: one Gondolo-Gelmini plan per mass with adaptive breakpoints, the
    g_mu^2 / width rescaling between root-finder steps, LSODA with analytic Jacobian),
    against the target of 10 s on one core;
(b) a naive baseline measured in the same run on ``--n-baseline`` of those masses:
    thermal average on a fixed uniform eps grid (2000 trapezoid nodes per x, no
    breakpoints), scipy ``solve_ivp`` BDF (pure-Python stiff solver; a non-stiff solver is
    hopeless here: the equilibration rate reaches ~1e13 per e-fold of x, RK45 would need
    ~1e13 steps), and a brentq root search recomputing everything per step;
    the per-mass time ratio naive / production is printed, with the relative coupling
    difference on the common masses;
(c) the same comparison near resonance (m_chi = m_S/(2 sqrt(1.1))), where the fixed grid
    also loses accuracy.

Pin to one core for the official number: ``taskset -c 0 python benchmarks/bench_relic.py``.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
import warnings
from pathlib import Path

import numpy as np

from leptoportal.models.leptophilic import LeptophilicScalar
from scipy.interpolate import CubicSpline
from scipy.optimize import brentq

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from leptoportal.constraints.relic import (  # noqa: E402
    annihilation_cross_section,
    relic_coupling,
    solve_freeze_out,
)
from scipy.special import kve  # noqa: E402

TARGET_S = 10.0


def naive_thermal_average(model, x, n=2000):
    """Trapezoid rule on a uniform eps grid up to eps = 40/x (no breakpoints, no mapping)."""
    m = float(model.m_chi)
    out = np.empty(len(x))
    for i, xi in enumerate(x):
        eps = np.linspace(0.0, 40.0 / xi, n)
        sq = np.sqrt(1.0 + eps)
        sig = annihilation_cross_section(model, 4 * m * m * (1.0 + eps))
        f = sig * eps * sq * kve(1, 2 * xi * sq) / kve(2, xi) ** 2 * np.exp(-2 * xi * eps / (sq + 1))
        out[i] = 4.0 * xi * np.trapezoid(f, eps)
    return out


def naive_omega(model):
    xg = np.logspace(0, 3, 64)
    sv = naive_thermal_average(model, xg)
    spl = CubicSpline(np.log(xg), np.log(np.maximum(sv, 1e-300)))
    return solve_freeze_out(float(model.m_chi), lambda x: np.exp(spl(np.log(x))), method="BDF",
                            rtol=1e-6, atol=1e-6).omega_h2


def naive_coupling(preset, m_S, **kw):
    f = lambda lg: math.log(naive_omega(LeptophilicScalar.from_preset(preset, m_S, math.exp(lg), **kw)) / 0.12)  # noqa: E731
    # the loose-tolerance BDF baseline overflows exp(ln Y) at the largest trial couplings
    with np.errstate(over="ignore", invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return math.exp(brentq(f, math.log(1e-7), math.log(3.0), xtol=1e-4))
        except ValueError:
            return float("nan")


def run(label, preset, masses, n_base, **kw):
    t0 = time.perf_counter()
    g = relic_coupling(preset, masses, **kw)
    t_prod = time.perf_counter() - t0
    idx = np.linspace(0, len(masses) - 1, n_base).round().astype(int)
    t0 = time.perf_counter()
    g_naive = np.array([naive_coupling(preset, float(masses[i]), **kw) for i in idx])
    t_naive = time.perf_counter() - t0
    per_prod = t_prod / len(masses)
    per_naive = t_naive / n_base
    dev = np.nanmax(np.abs(g_naive / g[idx] - 1.0))
    print(f"{label}: {len(masses)} masses in {t_prod:.2f} s ({per_prod * 1e3:.0f} ms/mass), "
          f"{np.isfinite(g).sum()} finite")
    print(f"    naive baseline ({n_base} masses): {per_naive * 1e3:.0f} ms/mass  -> speed-up x{per_naive / per_prod:.1f}; "
          f"max |g_naive/g - 1| = {dev:.2e}")
    return t_prod


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-baseline", type=int, default=5, help="masses for the naive baseline (default 5)")
    args = ap.parse_args(argv)
    masses = np.logspace(math.log10(0.003), 1.0, 50)
    relic_coupling("muon-specific", [1.0])  # warm-up (imports, table splines)
    t = run("(a,b) muon-specific, m_chi = m_S/3", "muon-specific", masses, args.n_baseline, mchi_ratio=3.0)
    print(f"    target: 50-mass line <= {TARGET_S:.0f} s on one core -> {'OK' if t <= TARGET_S else 'MISSED'} "
          f"({t:.2f} s)")
    run("(c) lepton-specific, resonance eps_R = 0.1", "lepton-specific", masses, args.n_baseline, eps_R=0.1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
