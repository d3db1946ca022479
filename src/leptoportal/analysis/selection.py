"""Event selection for NA64e (e->mu paper Sec. III B) and NA64-mu (NA64-mu paper Sec. 3.2).

Thresholds come from the ``[selection]`` table of the setup file and can be overridden by
keyword arguments.

NA64e, e->mu paper Eq. (28):
    E_miss = E_beam - E_ECAL - E_HCAL - E_mu,   E_mu = sqrt(p_measured^2 + m_mu^2)
cuts: (i) one and only one track "compatible with the trajectory expected for a mu-" in the MBPL
spectrometer (``p_measured`` finite, ``n_tracks == 1`` if given, and the charge measured from the
bend equal to ``muon_charge``, -1, when ``charge`` is given); (ii) every HCAL module and the VETO consistent with one MIP
(``hcal_mip_window_gev``, ``veto_max_mip``); (iii) E_miss > ``e_miss_min_gev`` (20 GeV).

NA64-mu (Sec. 3.2): one scattered muon with p_out <= ``p_out_max_gev`` (100 GeV) measured by
the trackers, no activity in the vetoes beyond the muon's own MIP (``veto_max_mip``), and
E_ECAL + E_HCAL <= ``calo_sum_max_gev`` (12 GeV); optionally p_in - p_out >= ``p_miss_min_gev``.
"""

from __future__ import annotations

import math

import numpy as np

from ..detector.setup import load_setup
from ..errors import InputError
from ..particles import M_MU

NA64E_CUTS = ("n_tracks", "hcal_mip_window_gev", "veto_max_mip", "e_miss_min_gev", "muon_charge")
NA64MU_CUTS = ("p_out_max_gev", "calo_sum_max_gev", "veto_max_mip", "p_miss_min_gev")


def _thresholds(setup, names, overrides, defaults):
    out = {}
    for k in overrides:
        if k not in names:
            raise InputError(k, f"unknown cut; valid: {', '.join(names)}")
    for k in names:
        v = overrides.get(k, setup.selection.get(k, defaults.get(k)))
        if v is None:
            raise InputError(k, f"missing in setup {setup.name!r} [selection] and not given")
        vals = list(v) if isinstance(v, (list, tuple, np.ndarray)) else [v]
        if any(isinstance(x, bool) or not isinstance(x, (int, float, np.floating, np.integer))
               or not math.isfinite(x) for x in vals):
            raise InputError(k, f"must be a finite number (or [low, high]); got {v!r}")
        out[k] = v
    return out


def _arr(name, a, n=None, ndim=1):
    a = np.asarray(a, dtype=float)
    if a.ndim != ndim:
        raise InputError(name, f"must be a {ndim}-d array; got shape {a.shape}")
    if n is not None and a.shape[0] != n:
        raise InputError(name, f"must have length {n}; got {a.shape[0]}")
    return a


def na64e_selection(e_ecal, hcal_deposits, p_measured, setup="na64e", *, veto=None, n_tracks=None,
                    e_beam=None, charge=None, **cuts) -> dict:
    """Eq. (28) and cuts (i)-(iii) of the e->mu paper for n events.

    e_ecal: (n,) measured ECAL energy [GeV]; hcal_deposits: (n, n_hcal) calibrated HCAL signals
    [GeV] (e.g. from :func:`leptoportal.detector.response.hcal_response`); p_measured: (n,)
    muon momentum from the MBPL spectrometer [GeV] (nan = no track); veto: (n,) VETO signal in
    MIP units (optional); n_tracks: (n,) number of tracks (optional; default 1 where p is
    finite); e_beam: beam energy (scalar or (n,), default setup.beam.energy_gev); charge: (n,)
    charge measured from the spectrometer bend (optional; then cut (i) requires ``muon_charge``).
    Cut overrides: n_tracks_required, hcal_mip_window_gev=(lo, hi), veto_max_mip, e_miss_min_gev,
    muon_charge.

    Returns a dict with ``mask`` (all cuts), ``e_miss``, ``e_mu``, ``cut_i``, ``cut_ii``,
    ``cut_iii``, ``cut_charge`` (bool arrays; cut_i includes the charge) and ``thresholds``.
    """
    setup = load_setup(setup)
    if "n_tracks_required" in cuts:
        cuts["n_tracks"] = cuts.pop("n_tracks_required")
    th = _thresholds(setup, NA64E_CUTS, cuts, {"n_tracks": 1, "veto_max_mip": math.inf, "muon_charge": -1})
    e_ecal = _arr("e_ecal", e_ecal)
    n = e_ecal.size
    h = _arr("hcal_deposits", hcal_deposits, n, ndim=2)
    p = _arr("p_measured", p_measured, n)
    eb = np.broadcast_to(np.asarray(setup.beam.energy_gev if e_beam is None else e_beam, float), (n,))
    lo, hi = th["hcal_mip_window_gev"]
    has_track = np.isfinite(p) & (p > 0)
    ntr = np.where(has_track, 1, 0) if n_tracks is None else _arr("n_tracks", n_tracks, n)
    cut_charge = np.ones(n, bool) if charge is None else _arr("charge", charge, n) == th["muon_charge"]
    cut_i = has_track & (ntr == th["n_tracks"]) & cut_charge
    e_mu = np.where(has_track, np.sqrt(np.where(has_track, p, 0.0) ** 2 + M_MU ** 2), 0.0)
    cut_ii = np.all((h >= lo) & (h <= hi), axis=1)
    if veto is not None:
        cut_ii &= _arr("veto", veto, n) <= th["veto_max_mip"]
    e_miss = eb - e_ecal - h.sum(axis=1) - e_mu
    cut_iii = e_miss > th["e_miss_min_gev"]
    return {"mask": cut_i & cut_ii & cut_iii, "e_miss": e_miss, "e_mu": e_mu, "cut_i": cut_i,
            "cut_ii": cut_ii, "cut_iii": cut_iii, "cut_charge": cut_charge, "thresholds": th}


def na64mu_selection(p_in, p_out, e_ecal, hcal, setup="na64mu", *, veto=None, **cuts) -> dict:
    """Missing-momentum selection of the NA64-mu paper Sec. 3.2 for n events.

    p_in: (n,) measured incoming momentum [GeV]; p_out: (n,) measured outgoing muon momentum
    (nan = not reconstructed); e_ecal: (n,) [GeV]; hcal: (n,) or (n, n_hcal) calibrated HCAL energy
    [GeV]; veto: (n,) or (n, n_veto) signals in MIP units (optional).
    Returns ``mask``, ``p_miss`` (= p_in - p_out), ``calo_sum`` and the individual cuts.
    """
    setup = load_setup(setup)
    th = _thresholds(setup, NA64MU_CUTS, cuts, {"veto_max_mip": math.inf, "p_miss_min_gev": 0.0})
    p_out = _arr("p_out", p_out)
    n = p_out.size
    p_in = np.broadcast_to(np.asarray(p_in, float), (n,))
    e_ecal = _arr("e_ecal", e_ecal, n)
    hc = np.asarray(hcal, float)
    hsum = hc.sum(axis=1) if hc.ndim == 2 else hc
    if hsum.shape != (n,):
        raise InputError("hcal", f"must have shape (n,) or (n, n_hcal) with n = {n}")
    track = np.isfinite(p_out) & (p_out > 0)
    pout = np.where(track, p_out, np.inf)
    cut_track = track & (pout <= th["p_out_max_gev"])
    calo = e_ecal + hsum
    cut_calo = calo <= th["calo_sum_max_gev"]
    if veto is None:
        cut_veto = np.ones(n, bool)
    else:
        v = np.asarray(veto, float)
        v = v[:, None] if v.ndim == 1 else v
        cut_veto = np.all(v <= th["veto_max_mip"], axis=1)
    p_miss = np.where(track, p_in - np.where(track, p_out, 0.0), np.nan)
    cut_pmiss = np.where(track, p_miss >= th["p_miss_min_gev"], False)
    mask = cut_track & cut_calo & cut_veto & cut_pmiss
    return {"mask": mask, "p_miss": p_miss, "calo_sum": calo, "cut_track": cut_track, "cut_calo": cut_calo,
            "cut_veto": cut_veto, "cut_pmiss": cut_pmiss, "thresholds": th}
