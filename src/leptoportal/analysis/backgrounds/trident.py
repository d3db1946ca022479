"""Muon trident mu N -> mu N mu+ mu- for NA64-mu in the equivalent-photon approximation (EPA).

Background statement checked: NA64-mu paper Sec. 3 -- the dominant background of the muon
missing-momentum search is the trident with a soft, missed mu- and a hard pair mu+ collinear with
the scattered mu+, at <~ 1e-12 per MOT (Gninenko, Krasnikov, Matveev, PRD 91 (2015) 095015),
and the "1 vs 2" MIP method (Kahn, Krnjaic, Tran, Whitbeck, JHEP 09 (2018) 153) can suppress it
by ~1e-4 for ~100 photoelectrons per MIP.

Model (leading order in the EPA):
* the beam muon radiates a quasi-real photon with energy fraction y and virtuality Q^2,
      d^2N/dy dQ^2 = alpha/(2 pi) [ (1 + (1-y)^2) / (y Q^2) - 2 m^2 y / Q^4 ],
      Q^2_min = m^2 y^2 / (1 - y),  Q^2_max = k m_mu^2,
  (Frixione, Mangano, Nason, Ridolfi, Phys. Lett. B 319 (1993) 339, improved WW spectrum for a lepton of
  mass m; Budnev et al., Phys. Rep. 15 (1975) 181).  The scale k (default 4: the pair
  threshold (2 m_mu)^2, beyond which sigma(gamma* N -> mu mu N) falls) is the main model
  uncertainty; :func:`sigma_trident_pb` exposes it;
* the photon converts with the Bethe-Heitler muon-pair cross section incl. atomic and nuclear
  form factors of :mod:`.dimuon` ([BKK02]); pair kinematics from the same generator;
* the scattered muon takes transverse momentum q_T, q_T^2 = (1-y) Q^2 - y^2 m^2.
Independent check: the Landau-Lifshitz leading-log formula for pair production by a heavy
charged particle off a point nucleus, sigma_LL = 28/(27 pi) (Z alpha)^2 r_mu^2 ln^3(E/m_mu)
(Landau & Lifshitz, Phys. Z. Sowjetunion 6 (1934) 244), which has no nuclear form factor and
no screening and is therefore an upper bound of the same order.

Fake-signal model (deliberately simple, parameters documented), following the paper's
description of the dangerous configuration: (1) the pair mu- is soft (E < ``e_soft_gev``) and
lost, (2) the pair mu+ is within ``theta_merge`` of the scattered mu+ so that both make one track,
(3) the energy of that single track (the harder mu+) is in the signal window
(<= ``e_track_max_gev``, the paper's 100 GeV); optionally (4) the "1 vs 2" MIP test fails (two
MIPs taken for one), :func:`one_vs_two_mip_misid`, from Poisson photoelectron statistics.
Calorimeter and veto deposits of the soft mu- are not modelled.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from ...errors import InputError
from ...particles import M_MU
from ...units import ALPHA, AVOGADRO, GEV2_TO_PB, PB_TO_CM2
from . import dimuon


def photon_density(y, q2, m=M_MU):
    """d^2N/(dy dQ^2) of a lepton of mass m [GeV^-2] (FMNR 1993, see module docstring)."""
    y = np.asarray(y, float)
    q2 = np.asarray(q2, float)
    return ALPHA / (2.0 * np.pi) * ((1.0 + (1.0 - y) ** 2) / (y * q2) - 2.0 * m * m * y / (q2 * q2))


def photon_flux_y(y, q2max, m=M_MU):
    """dN/dy integrated over Q^2 in [m^2 y^2/(1-y), q2max] (analytic)."""
    y = np.asarray(y, float)
    q2min = m * m * y * y / (1.0 - y)
    ok = q2max > q2min
    q2min_s = np.where(ok, q2min, q2max)
    val = ALPHA / (2.0 * np.pi) * ((1.0 + (1.0 - y) ** 2) / y * np.log(q2max / q2min_s)
                                    - 2.0 * m * m * y * (1.0 / q2min_s - 1.0 / q2max))
    return np.where(ok, val, 0.0)


def sigma_trident_pb(energy, Z=82, A=207.2, *, q2max_factor: float = 4.0, n: int = 200):
    """sigma(mu Z -> mu Z mu+ mu-) [pb] in the EPA: int dy dN/dy sigma_BH(y E) (quadrature)."""
    E = float(energy)
    if not (math.isfinite(E) and E > 5 * M_MU):
        raise InputError("energy", f"muon energy must exceed {5 * M_MU:.3f} GeV; got {energy}")
    if not (math.isfinite(q2max_factor) and q2max_factor > 0):
        raise InputError("q2max_factor", f"must be > 0; got {q2max_factor}")
    ylo, yhi = 4.0 * M_MU / E * (1 + 1e-9), 1.0 - M_MU / E
    from ...quadrature import panel_nodes

    y, w = panel_nodes(ylo, yhi, max(n // 5, 2), breaks=[2 * ylo, 10 * ylo, 0.1, 0.5], log=True)
    f = photon_flux_y(y, q2max_factor * M_MU**2) * dimuon.sigma_pb(y * E, Z, A)
    return float(np.sum(w * f))


def sigma_landau_lifshitz_pb(energy, Z=82) -> float:
    """Leading-log point-nucleus pair production by a muon, 28/(27 pi) (Z alpha)^2 r_mu^2 ln^3(E/m)."""
    E = float(energy)
    L = math.log(E / M_MU)
    return 28.0 / (27.0 * math.pi) * (Z * ALPHA) ** 2 * dimuon.r_mu_sq_gev2() * L**3 * GEV2_TO_PB


def one_vs_two_mip_misid(n_pe: float = 150.0, n_layers: int = 1, cut: float = 1.5) -> tuple[float, float]:
    """"1 vs 2" MIP test with Poisson photoelectron statistics (Kahn et al. 2018).

    Per layer a MIP gives Poisson(n_pe) photoelectrons; the summed count over ``n_layers``
    is compared with ``cut`` x n_pe x n_layers.  Returns (P(two MIPs pass as one),
    P(one MIP rejected)) -- the background misidentification and the signal loss.  Landau
    fluctuations of the deposit are neglected (optimistic).
    """
    if not (n_pe > 0 and n_layers >= 1 and 1.0 < cut < 2.0):
        raise InputError("n_pe/n_layers/cut", "need n_pe > 0, n_layers >= 1, 1 < cut < 2")
    mu1 = n_pe * n_layers
    k = math.floor(cut * mu1)
    return float(stats.poisson.cdf(k, 2 * mu1)), float(stats.poisson.sf(k, mu1))


@dataclass
class TridentResult:
    """Per-MOT rates (events per muon on target) with the MC statistical uncertainty."""

    sigma_pb: float
    inclusive_per_mot: float
    fake_per_mot: float
    fake_per_mot_err: float
    fake_per_mot_1vs2: float
    misid_1vs2: float
    n_events: int
    q2max_factor: float
    notes: str


def simulate_trident(*, energy_gev: float = 150.0, target: str = "Pb", length_cm: float = 20.0,
                     n_events: int = 200_000, seed: int = 1, q2max_factor: float = 4.0,
                     e_soft_gev: float = 5.0, theta_merge: float = 2e-4, e_track_max_gev: float = 100.0,
                     n_pe: float = 150.0, n_layers: int = 1) -> TridentResult:
    """Weighted EPA Monte Carlo of tridents in a thin target and the fake-signal rate per MOT.

    Energy loss in the target is neglected (150 GeV beam, 20 cm Pb: < 0.3 GeV by ionisation).
    """
    from ...materials import get_material

    mat = get_material(target)
    if not (math.isfinite(length_cm) and length_cm > 0):
        raise InputError("length_cm", f"must be > 0 cm; got {length_cm}")
    if not (isinstance(n_events, (int, np.integer)) and n_events >= 100):
        raise InputError("n_events", f"must be an integer >= 100; got {n_events}")
    E = float(energy_gev)
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    n_atoms = mat.density * AVOGADRO / mat.A
    sig = sigma_trident_pb(E, mat.Z, mat.A, q2max_factor=q2max_factor)
    inclusive = n_atoms * length_cm * sig * PB_TO_CM2
    # importance sampling: ln y uniform, ln Q^2 uniform
    ylo, yhi = 4.0 * M_MU / E * (1 + 1e-6), 1.0 - M_MU / E
    q2max = q2max_factor * M_MU**2
    u = rng.random(n_events)
    y = ylo * (yhi / ylo) ** u
    q2min = M_MU**2 * y * y / (1.0 - y)
    good = q2min < q2max
    v = rng.random(n_events)
    q2 = np.where(good, q2min * (q2max / np.where(good, q2min, q2max)) ** v, q2max)
    jac = math.log(yhi / ylo) * y * np.where(good, np.log(q2max / np.where(good, q2min, q2max)), 0.0) * q2
    w = np.where(good, photon_density(y, q2) * jac * dimuon.sigma_pb(y * E, mat.Z, mat.A), 0.0) / n_events
    w_rate = w * n_atoms * length_cm * PB_TO_CM2  # events per MOT per MC event
    keep = w_rate > 0
    y, q2, w_rate = y[keep], q2[keep], w_rate[keep]
    m = y.size
    qt = np.sqrt(np.maximum((1.0 - y) * q2 - y * y * M_MU**2, 0.0))
    phi = 2.0 * np.pi * rng.random(m)
    e_scat = (1.0 - y) * E
    th_s = qt / e_scat
    gdir = np.column_stack([-qt / (y * E) * np.cos(phi), -qt / (y * E) * np.sin(phi), np.ones(m)])
    pairs = dimuon.sample_pairs(y * E, rng, mat.Z, mat.A, direction=gdir)
    sdir = np.column_stack([th_s * np.cos(phi), th_s * np.sin(phi), np.ones(m)])
    sdir /= np.linalg.norm(sdir, axis=1, keepdims=True)
    pdir = pairs.p4_plus[:, 1:] / np.linalg.norm(pairs.p4_plus[:, 1:], axis=1, keepdims=True)
    opening = np.arccos(np.clip(np.sum(sdir * pdir, axis=1), -1.0, 1.0))
    e_track = np.maximum(e_scat, pairs.p4_plus[:, 0])
    fake = (pairs.p4_minus[:, 0] < e_soft_gev) & (opening < theta_merge) & (e_track <= e_track_max_gev)
    rate = float(np.sum(w_rate[fake]))
    err = float(np.sqrt(np.sum(w_rate[fake] ** 2)))
    misid, _ = one_vs_two_mip_misid(n_pe, n_layers)
    notes = (f"EPA (FMNR 1993) x Bethe-Heitler [BKK02]; Q2max = {q2max_factor:g} m_mu^2; fake: E(mu-) < "
             f"{e_soft_gev:g} GeV, angle(mu+,mu+) < {theta_merge:g} rad, track E <= {e_track_max_gev:g} GeV; "
             f"1-vs-2: {n_pe:g} p.e./MIP x {n_layers} layer(s), Poisson only")
    return TridentResult(sig, inclusive, rate, err, rate * misid, misid, int(n_events), q2max_factor, notes)
