"""Long validations of leptoportal.constraints.decays (not part of the test suite; ~1 min on one core).

1. Quadrature convergence: every unit-coupling width at the default Gauss-Legendre orders vs doubled orders.
2. An independent integrator: flat sequential-two-body Monte Carlo of the same |M|^2 (for the lepton decays the
   unintegrated four-body |M|^2, so the nu nu-bar tensor integral is checked too) vs the nested quadrature.
3. The tables quoted in docs/constraints.md (lower edges per mass, the paper comparisons).
4. (needs sympy) The symbolic derivation of X_V, X_A of Z -> f f-bar S by the trace theorems, compared with
   zdecays.z_ffs_traces at random invariants -- the derivation behind the closed forms in the code.

Run: PYTHONPATH=src python benchmarks/validate_decays.py
"""

from __future__ import annotations

import math
import time

import numpy as np

from leptoportal.constraints.decays import (
    DECAY_BOUNDS,
    br_k_mu_nu_s,
    fermi,
    inputs,
    kaon,
    zdecays,
)
from leptoportal.constraints.decays.phasespace import mdot
from leptoportal.constraints.g2 import coupling_central
from leptoportal.models.leptophilic import LeptophilicScalar


def _iso(n, rng):
    c = rng.uniform(-1, 1, n)
    ph = rng.uniform(0, 2 * np.pi, n)
    s = np.sqrt(1 - c * c)
    return np.stack([s * np.cos(ph), s * np.sin(ph), c], -1)


def _boost(p, parent):
    m = np.sqrt(mdot(parent, parent))
    b = parent[:, 1:] / parent[:, :1]
    g = parent[:, 0] / m
    bp = np.sum(b * p[:, 1:], -1)
    b2 = np.sum(b * b, -1)
    coef = np.where(b2 > 0, (g - 1) * bp / np.where(b2 > 0, b2, 1), 0.0)
    return np.concatenate([(g * (p[:, 0] + bp))[:, None], p[:, 1:] + (coef + g * p[:, 0])[:, None] * b], -1)


def _decay(parent, m1, m2, rng):
    """Isotropic two-body decay; returns p1, p2 and Phi_2 = |p| / (4 pi sqrt s) (solid angle sampled)."""
    M = np.sqrt(mdot(parent, parent))
    lam = np.clip((M ** 2 - (m1 + m2) ** 2) * (M ** 2 - (m1 - m2) ** 2), 0, None)
    k = np.sqrt(lam) / (2 * M)
    n = _iso(len(M), rng)
    p1 = np.concatenate([np.sqrt(k * k + m1 * m1)[:, None], k[:, None] * n], -1)
    p2 = np.concatenate([np.sqrt(k * k + m2 * m2)[:, None], -k[:, None] * n], -1)
    return _boost(p1, parent), _boost(p2, parent), k / (4 * math.pi * M)


def mc_width(process, m_S, n=1_000_000, seed=1, **kw):
    """Flat MC: dPhi_n = prod dR_i^2/(2 pi) Phi_2 ..., R^2 sampled uniformly."""
    rng = np.random.default_rng(seed)
    if process == "k":
        M, m = kaon.M_K, kaon.M_MU
        P = np.tile([M, 0, 0, 0.0], (n, 1))
        r2 = rng.uniform(m ** 2, (M - m_S) ** 2, n)
        q, r, f1 = _decay(P, m_S, np.sqrt(r2), rng)
        p, k, f2 = _decay(r, m, 0.0, rng)
        w = ((M - m_S) ** 2 - m ** 2) / (2 * math.pi) * f1 * f2
        amp = kaon.amp2_k_mu_nu_s(P, p, k, q, g_mu=1.0, m_S=m_S)
        vals = w * amp / (2 * M)
    elif process == "z":
        M, m = inputs.M_Z, zdecays._MASS["tau"]
        P = np.tile([M, 0, 0, 0.0], (n, 1))
        r2 = rng.uniform(4 * m * m, (M - m_S) ** 2, n)
        q, r, f1 = _decay(P, m_S, np.sqrt(r2), rng)
        p1, p2, f2 = _decay(r, m, m, rng)
        w = ((M - m_S) ** 2 - 4 * m * m) / (2 * math.pi) * f1 * f2
        d1 = mdot(p1 + q, p1 + q) - m * m
        d2 = mdot(p2 + q, p2 + q) - m * m
        vals = w * zdecays.amp2_z_ffs(d1, d2, m, m_S, 1.0) / 3 / (2 * M)
    else:
        parent, daughter = process
        M, m = fermi.LEPTON_MASS[parent], fermi.LEPTON_MASS[daughter]
        P = np.tile([M, 0, 0, 0.0], (n, 1))
        r1 = rng.uniform(m ** 2, (M - m_S) ** 2, n)
        q, R1, f1 = _decay(P, m_S, np.sqrt(r1), rng)
        hi = (np.sqrt(r1) - m) ** 2
        r2 = rng.uniform(0, 1, n) * hi
        pf, R2, f2 = _decay(R1, m, np.sqrt(r2), rng)
        k1, k2, f3 = _decay(R2, 0.0, 0.0, rng)
        w = ((M - m_S) ** 2 - m ** 2) / (2 * math.pi) * hi / (2 * math.pi) * f1 * f2 * f3
        vals = w * fermi.amp2_fermi_s(P, pf, q, k1, k2, M=M, m=m, m_S=m_S, **kw) / (2 * M)
    return vals.mean(), vals.std() / math.sqrt(n)


def derive_z_ffs_symbolic():
    """X_V, X_A of zdecays.py from the trace theorems: Tr[a1 ... a2n] = 4 sum_pairings sign prod (ai.aj), the
    polarisation sum e^mu f^nu -> -g^{mu nu} + P^mu P^nu / M^2 applied to the two polarisation slots."""
    import sympy as sp

    m, mS, M, D1, D2 = sp.symbols("m m_S M D1 D2")

    def dot(a, b):
        a, b = sorted((a, b))
        return sp.Symbol(f"d_{a}_{b}")

    def pairings(idx):
        if not idx:
            yield 1, []
            return
        for k in range(1, len(idx)):
            for s_, pr in pairings(idx[1:k] + idx[k + 1:]):
                yield (-1) ** (k - 1) * s_, [(idx[0], idx[k])] + pr

    def trace(mono):
        if len(mono) % 2:
            return 0
        return 4 * sum(s_ * sp.Mul(*[dot(mono[i], mono[j]) for i, j in pr]) for s_, pr in pairings(tuple(range(len(mono)))))

    def slash(*names):
        return [(1, (n,)) for n in names]

    def scal(c):
        return [(c, ())]

    def mul(*fs):
        out = [(1, ())]
        for f in fs:
            out = [(c1 * c2, t1 + t2) for c1, t1 in out for c2, t2 in f]
        return out

    def tr(f):
        return sum(c * trace(t) for c, t in f)

    k1, k2 = slash("p1", "q"), slash("p2", "q")
    neg_k2 = [(-c, t) for c, t in k2]
    E, F = slash("e"), slash("f")
    gv = mul(k1 + scal(m), E, scal(1 / D1)) + mul(E, neg_k2 + scal(m), scal(1 / D2))
    gvb = mul(F, k1 + scal(m), scal(1 / D1)) + mul(neg_k2 + scal(m), F, scal(1 / D2))
    ga = mul(k1 + scal(m), E, scal(1 / D1)) + mul(E, k2 + scal(m), scal(1 / D2))
    gab = mul(F, k1 + scal(m), scal(1 / D1)) + mul(k2 + scal(m), F, scal(1 / D2))
    xv = sp.expand(tr(mul(slash("p1") + scal(m), gv, slash("p2") + scal(-m), gvb)))
    xa = sp.expand(tr(mul(slash("p1") + scal(m), ga, slash("p2") + scal(m), gab)))

    def polsum(expr):
        out = 0
        for term in sp.Add.make_args(expr):
            if dot("e", "f") in term.free_symbols:
                out += term.subs(dot("e", "f"), -3)          # -g.g + P.P/M^2 = -4 + 1
                continue
            de = next(x for x in term.free_symbols if "e" in x.name.split("_")[1:])
            df = next(x for x in term.free_symbols if "f" in x.name.split("_")[1:])
            x = next(v for v in de.name.split("_")[1:] if v != "e")
            y = next(v for v in df.name.split("_")[1:] if v != "f")

            def Pd(v):
                return dot("p1", v) + dot("p2", v) + dot("q", v)
            out += term / (de * df) * (-dot(x, y) + Pd(x) * Pd(y) / M ** 2)
        return out

    s1, s2 = D1 + m ** 2, D2 + m ** 2
    sub = {dot("p1", "p1"): m ** 2, dot("p2", "p2"): m ** 2, dot("q", "q"): mS ** 2,
           dot("p1", "q"): (s1 - m ** 2 - mS ** 2) / 2, dot("p2", "q"): (s2 - m ** 2 - mS ** 2) / 2,
           dot("p1", "p2"): (M ** 2 - s1 - s2 + mS ** 2) / 2}
    fv = sp.lambdify((D1, D2, m, mS, M), polsum(xv).subs(sub), "numpy")
    fa = sp.lambdify((D1, D2, m, mS, M), polsum(xa).subs(sub), "numpy")
    rng = np.random.default_rng(4)
    args = (rng.uniform(0.1, 50, 20), rng.uniform(0.1, 50, 20), 1.777, rng.uniform(0.01, 20, 20), inputs.M_Z)
    xv_c, xa_c = zdecays.z_ffs_traces(args[0], args[1], args[2], args[3], args[4])
    print(f"  X_V: max rel. diff symbolic vs code {np.max(np.abs(fv(*args) / xv_c - 1)):.1e}")
    print(f"  X_A: max rel. diff symbolic vs code {np.max(np.abs(fa(*args) / xa_c - 1)):.1e}")


def main():
    t0 = time.time()
    print("1. quadrature convergence (default vs doubled orders), relative difference")
    for m_S in (1e-3, 0.02, 0.1, 0.3):
        a = kaon.width_k_mu_nu_s_unit(m_S)
        b = kaon.width_k_mu_nu_s_unit(m_S, orders=(48, 48))
        print(f"  K -> mu nu S   m_S = {m_S:<6} {a:.6e}  {abs(a / b - 1):.1e}")
    for (p, d), masses in ((("mu", "e"), (1e-3, 0.02, 0.08)), (("tau", "mu"), (1e-3, 0.02, 0.5, 1.5))):
        for m_S in masses:
            for g in ((1.0, 0.0), (0.0, 1.0), (1.0, 1.0)):
                a = fermi.width_fermi_s(p, d, m_S, *g)
                b = fermi.width_fermi_s(p, d, m_S, *g, orders=(48, 48, 48))
                print(f"  {p} -> {d} nu nu S m_S = {m_S:<6} g = {g}  {a:.6e}  {abs(a / b - 1):.1e}")
    for m_S in (1e-3, 0.02, 1.0, 10.0, 60.0):
        a = zdecays.width_z_ffs_unit(m_S)
        b = zdecays.width_z_ffs_unit(m_S, orders=(48, 48))
        print(f"  Z -> tau tau S m_S = {m_S:<6} {a:.6e}  {abs(a / b - 1):.1e}")

    print("2. flat Monte Carlo of the same |M|^2 vs quadrature: (MC - quad)/sigma_MC")
    for m_S in (0.05, 0.2):
        mc, err = mc_width("k", m_S)
        q = kaon.width_k_mu_nu_s_unit(m_S)
        print(f"  K -> mu nu S   m_S = {m_S}: quad {q:.5e} MC {mc:.5e} +- {err / mc:.1e}  pull {(mc - q) / err:+.1f}")
    for m_S in (1.0, 20.0):
        mc, err = mc_width("z", m_S)
        q = zdecays.width_z_ffs_unit(m_S)
        print(f"  Z -> tau tau S m_S = {m_S}: quad {q:.5e} MC {mc:.5e} +- {err / mc:.1e}  pull {(mc - q) / err:+.1f}")
    for (p, d), m_S, g in ((("mu", "e"), 0.03, (1.0, 0.5)), (("tau", "mu"), 0.3, (3.0, 1.0)), (("tau", "mu"), 0.05, (0.0, 1.0))):
        mc, err = mc_width((p, d), m_S, g_i=g[0], g_f=g[1])
        q = fermi.width_fermi_s(p, d, m_S, *g)
        print(f"  {p} -> {d} nu nu S m_S = {m_S} g = {g}: quad {q:.5e} MC {mc:.5e} +- {err / mc:.1e}  "
              f"pull {(mc - q) / err:+.1f}")

    print("3. lower edges g_mu* (g_chi = 1, m_chi = m_S/3)")
    masses = np.array([0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 1.5])
    zmasses = np.array([0.02, 0.1, 0.2, 1.0, 3.0, 5.0, 8.0, 9.0, 10.0, 12.0, 20.0, 50.0])
    for bid, b in DECAY_BOUNDS.items():
        mm = zmasses if bid.startswith("z-") else masses
        for preset in b.presets:
            edge = b.lower_edge(preset, mm)
            print(f"  {bid:12s} {preset:16s} " + " ".join(f"{m:g}:{e:.3g}" for m, e in zip(mm, edge)))
    m = np.array([0.005, 0.01, 0.02, 0.05, 0.1, 0.2])
    g = coupling_central(m, kind="diagonal")
    br = br_k_mu_nu_s(LeptophilicScalar.from_preset("muon-specific", m, g))
    print("  BR(K -> mu nu S) at the g-2 central coupling: " + " ".join(f"{a:g}:{c:.2g}" for a, c in zip(m, br)))
    print("4. symbolic trace-theorem derivation of X_V, X_A (Z -> f f-bar S)")
    try:
        derive_z_ffs_symbolic()
    except ImportError:
        print("  sympy not installed: skipped")
    print(f"done in {time.time() - t0:.1f} s")


if __name__ == "__main__":
    main()
