"""NA64-mu with the LFV scalar: mu N -> e N phi (the e->mu paper's "future work", Sec. V).

The muon beam crosses the active target (the setup's ECAL) losing energy at the mean rate
<dE/dx>(E) (:func:`leptoportal.detector.muon_loss.mean_dedx`); the produced phi per muon on target is,
as Eq. (29) of the e->mu paper with one track (dL = dz)::

    N_phi / MOT = sum_N n_N int_0^L dz sigma(mu N -> e N phi)(E(z)),

sigma from the engine (:func:`leptoportal.xsec.api.total_cross_section`, beam mu-, final e-,
the chiral vertex h e-bar P_R mu phi of Eq. 1; needs m_phi > m_mu - m_e).

Signature (our proposal; the papers give none for this channel): the outgoing *electron*
starts an EM shower in the active target, phi escapes.  There is no outgoing muon, so the NA64-mu
missing-momentum selection (which requires one) never fires; instead

* no track in the outgoing spectrometer, VETO below ``veto_max_mip``;
* E_miss = E_beam - (E_ECAL + E_HCAL) >= ``e_miss_min_gev`` (default 50 GeV = E_beam/3, the
  x_min = 1/3 of the NA64-mu paper's Eq. 3.1).

Shower containment: the longitudinal profile of PDG Eq. (34.35), dE/dt = E b (bt)^(a-1) e^(-bt)/Gamma(a),
b = 0.5, t_max = (a-1)/b = ln(E/E_c) - 0.5 (Eq. 34.36, electron-induced); the fraction beyond the
remaining ECAL depth leaks forward and is counted in the first HCAL (a simplification: the gap,
trackers and magnet in between are ignored, and leakage does not fire the VETO).  The incoming
muon's ionisation up to the vertex is deposited in the ECAL.  Backgrounds for this channel are
not estimated.
"""

from __future__ import annotations

import time

import numpy as np
from scipy.special import gammainc

from ..errors import InputError

#: the proposed selection (see module docstring)
MUE_CUTS = {"e_miss_min_gev": 50.0, "veto_max_mip": 0.5}


def contained_fraction(energy_gev, depth_x0, ecrit_gev):
    """Fraction of an electron shower's energy deposited within ``depth_x0`` radiation lengths.

    PDG Eq. (34.35) longitudinal profile with b = 0.5 and t_max = ln(E/E_c) - 0.5 (Eq. 34.36):
    a = 1 + b t_max; the contained fraction is the regularised incomplete gamma P(a, b t).
    """
    E = np.asarray(energy_gev, float)
    t = np.maximum(np.asarray(depth_x0, float), 0.0)
    b = 0.5
    tmax = np.maximum(np.log(np.maximum(E, 1e-12) / ecrit_gev) - 0.5, 0.0)
    a = 1.0 + b * tmax
    return gammainc(a, b * t)


def simulate_signal_mu_to_e(setup="na64mu", mass=0.3, coupling=1e-4, *, events: int = 100000, seed: int = 1,
                            method: str = "ww", nuclei=None, n_z: int = 8, cuts: dict | None = None):
    """mu N -> e N phi at NA64-mu (mu+ -> e+ for the mu+ beam): yield per MOT, efficiency of the
    proposed selection.

    Returns a :class:`leptoportal.analysis.signal.SignalResult` (``yield_per_eot`` means per muon
    on target; ``yield_per_eot_positron`` = 0).  ``coupling`` is h of the e->mu paper's Eq. (1).
    """
    from ..detector import response
    from ..detector.setup import load_setup
    from ..generate import sample_events
    from ..models.lfv import LFVScalar
    from ..particles import M_E, M_MU
    from .signal import (SignalResult, beam_track_production, check_float, sample_track_vertices,
                         weighted_efficiency)

    t0 = time.perf_counter()
    st = load_setup(setup)
    beam = str(st.beam.particle)
    if beam not in ("mu-", "mu+"):
        raise InputError("setup", f"mu -> e phi needs a muon beam; the setup {st.name!r} has {beam!r}")
    final = "e-" if beam == "mu-" else "e+"  # mu+ -> e+ phi: the charge conjugate, same cross section
    mass = check_float("mass", mass)
    if mass <= M_MU - M_E:
        raise InputError("mass", f"mu -> e phi production needs m_phi > m_mu - m_e = {M_MU - M_E:.6f} GeV")
    coupling = check_float("coupling", coupling)
    if isinstance(events, bool) or int(events) != events or events < 1:
        raise InputError("events", f"must be an integer >= 1; got {events!r}")
    th = dict(MUE_CUTS)
    for k, v in (cuts or {}).items():
        if k not in th:
            raise InputError("cuts", f"unknown cut {k!r}; valid: {', '.join(th)}")
        th[k] = float(v)
    model = LFVScalar(mass, coupling)
    ecal = st.ecal
    i_ecal = st.element_index(ecal.name)
    hidx = list(st.hcal_indices)
    L = float(ecal.thickness_cm)
    x0_cm = float(ecal.medium.X0_cm)
    ecrit = float(ecal.shower_medium().ecrit_gev)
    E0 = float(st.beam.energy_gev)
    dz, z_mid, E_mid, sig_z, by = beam_track_production(st, model, beam, final, nuclei, method, "elastic", n_z)
    y_tot = sum(by.values())
    t_tab = time.perf_counter()
    ss = np.random.SeedSequence(int(seed))
    rng_vtx, rng_gen, rng_resp = (np.random.default_rng(s) for s in ss.spawn(3))
    if not y_tot > 0:
        raise InputError("mass", f"no mu -> e phi production at m_phi = {mass:g} GeV with a {E0:g} GeV beam")
    E_v, z_v, lep, w_ev = [], [], [], []
    for b, nuc, n_k, zv, Ev in sample_track_vertices(rng_vtx, events, dz, z_mid, E_mid, sig_z, by):
        ev = sample_events(model, Ev, n_k, rng_gen, target=nuc, method=method, beam=b, final=final)
        E_v.append(Ev)
        z_v.append(zv)
        lep.append(np.asarray(ev.lep, float))
        w_ev.append(np.asarray(ev.weight, float))
    E_v, z_v, lep, w_ev = (np.concatenate(a) for a in (E_v, z_v, lep, w_ev))
    t_gen = time.perf_counter()
    E_e = lep[:, 0]
    frac = contained_fraction(E_e, (L - z_v) / x0_cm, ecrit)
    dep = np.zeros((E_v.size, len(st.elements)))
    dep[:, i_ecal] = (E0 - E_v) + frac * E_e
    if hidx:
        dep[:, hidx[0]] = (1.0 - frac) * E_e
    e_ecal = response.ecal_smear(dep[:, i_ecal], st, rng_resp)
    # leaked EM energy seen by the first HCAL module with the ECAL's relative resolution (approximation)
    hcal = dep[:, hidx] if hidx else np.zeros((E_v.size, 0))
    calo = e_ecal + hcal.sum(axis=1)
    e_miss = E0 - calo
    cut_emiss = e_miss >= th["e_miss_min_gev"]
    cut_track = np.ones(E_v.size, bool)  # no charged track leaves the target: the electron showers
    cut_veto = np.ones(E_v.size, bool)   # leakage assumed not to reach the VETO (see docstring)
    mask = cut_emiss & cut_track & cut_veto
    eff, eff_err, cutflow = weighted_efficiency(w_ev, mask, {"cut_emiss": cut_emiss})
    cutflow["contained_mean"] = float(np.mean(frac))
    t_end = time.perf_counter()
    arrays = {"species": np.full(E_v.size, beam), "e_vertex": E_v, "z_cm": z_v, "e_electron": E_e,
              "e_ecal": e_ecal, "hcal": hcal, "e_miss": e_miss, "mask": mask, "weight": w_ev}
    notes = [f"muon beam ({beam}, {E0:g} GeV): mu N -> e N phi with h = {coupling:g} (chiral vertex, e->mu paper Eq. 1); "
             "yields per muon on target",
             f"selection (proposed): no outgoing track, E_miss >= {th['e_miss_min_gev']:g} GeV; backgrounds not estimated"]
    return SignalResult(st.name, mass, coupling, method, int(events), int(seed), y_tot, 0.0, 0.0, eff, eff_err,
                        y_tot * eff, by, cutflow, arrays, notes,
                        {"table_s": t_tab - t0, "generate_s": t_gen - t_tab, "selection_s": t_end - t_gen,
                         "total_s": t_end - t0})
