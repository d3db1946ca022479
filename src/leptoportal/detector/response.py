"""Detector response: ECAL energy resolution, HCAL/VETO MIP response, beam momentum measurement.

Parameters live in the ``[response]`` table of the setup file (each with its source there).

* ECAL: sigma_E/E = sqrt((a/sqrt(E/GeV))^2 + b^2 + (c/E)^2) (the standard stochastic (+) constant
  (+) noise parametrisation of the PDG RPP "Calorimetry" review).
* HCAL, muons: the true energy lost by the muon in a module (from the transport, :mod:`.muon`) is
  converted to the calibrated HCAL scale with a factor c = hcal_mip_peak_gev / Delta E_ref, where
  Delta E_ref is the *mean ionisation loss* of a reference muon (energy
  hcal_mip_reference_energy_gev) crossing the module (Bethe,
  :func:`leptoportal.detector.muon_loss.electronic_dedx`).  hcal_mip_peak_gev = 2.5 GeV
  is the MIP signal quoted in the e->mu paper Sec. III A.  The physical loss of a 10 GeV muon in
  an NA64 HCAL module is ~1.9 GeV, i.e. the quoted 2.5 GeV is on the (hadron/electron) calibrated
  scale; c ~ 1.3 plays the role of 1/(e/mip)-type calibration ratios of sampling calorimeters.
  The fluctuation of the light yield is Poisson in the number of photoelectrons, N_pe = n_pe_per_mip
  * (signal / mip_peak) (NA64-mu paper Sec. 3.2: 150-200 p.e. per MIP per module), on top of the
  Landau/radiative fluctuations of the deposit itself (simulated in the transport).
* HCAL, hadronic showers: sigma_E/E = hcal_stochastic/sqrt(E/GeV) (:func:`hcal_smear_shower`).
* VETO: signal in units of the mean MIP deposit of a reference muon in the VETO, with Poisson
  photoelectron smearing.
"""

from __future__ import annotations


import numpy as np

from ..errors import InputError
from .setup import RESPONSE_DEFAULTS



def param(setup, key):
    return float(setup.response.get(key, RESPONSE_DEFAULTS[key]))


def ecal_resolution(e_gev, setup):
    """sigma_E [GeV] of the ECAL at energy E (stochastic (+) constant (+) noise)."""
    e = np.maximum(np.asarray(e_gev, dtype=float), 0.0)
    a, b, c = param(setup, "ecal_stochastic"), param(setup, "ecal_constant"), param(setup, "ecal_noise_gev")
    return np.sqrt(a * a * e + (b * e) ** 2 + c * c)


def ecal_smear(e_gev, setup, rng):
    """Measured ECAL energy: Gaussian smearing with :func:`ecal_resolution`, clipped at 0."""
    e = np.asarray(e_gev, dtype=float)
    return np.maximum(e + ecal_resolution(e, setup) * rng.standard_normal(e.shape), 0.0)


def hcal_smear_shower(e_gev, setup, rng):
    """Measured HCAL energy of hadronic/EM showers: sigma/E = hcal_stochastic/sqrt(E)."""
    e = np.asarray(e_gev, dtype=float)
    s = param(setup, "hcal_stochastic") * np.sqrt(np.maximum(e, 0.0))
    return np.maximum(e + s * rng.standard_normal(e.shape), 0.0)


def mip_reference_loss(setup, index) -> float:
    """Mean ionisation loss [GeV] of the reference muon crossing element ``index`` (Bethe, per layer)."""
    from .muon_loss import electronic_dedx

    el = setup.elements[index]
    E = param(setup, "hcal_mip_reference_energy_gev")
    a = sum(w * float(electronic_dedx(np.array([E]), s)[0]) for s, w in el.medium.mass_fractions)
    return a * el.medium.density * el.thickness_cm


def hcal_calibration(setup, index) -> float:
    """Calibration factor c (calibrated GeV per GeV lost by a muon) of HCAL module ``index``."""
    return param(setup, "hcal_mip_peak_gev") / mip_reference_loss(setup, index)


def _photostat(signal_mip, n_pe_per_mip, rng):
    npe = rng.poisson(np.maximum(signal_mip, 0.0) * n_pe_per_mip)
    return npe / n_pe_per_mip


def hcal_response(deposits, setup, rng):
    """Calibrated HCAL signals [GeV], shape (n, n_hcal), from true muon deposits (n, n_hcal) [GeV].

    ``deposits`` are the columns of :attr:`MuonTrack.deposit` for ``setup.hcal_indices`` (in order).
    """
    d = np.asarray(deposits, dtype=float)
    hidx = setup.hcal_indices
    if d.ndim != 2 or d.shape[1] != len(hidx):
        raise InputError("deposits", f"must have shape (n, {len(hidx)}) (one column per HCAL module)")
    peak = param(setup, "hcal_mip_peak_gev")
    npe = param(setup, "hcal_photoelectrons_per_mip")
    out = np.empty_like(d)
    for j, i in enumerate(hidx):
        sig = d[:, j] * hcal_calibration(setup, i)
        out[:, j] = _photostat(sig / peak, npe, rng) * peak
    return out


def veto_response(deposit, setup, rng, index=None):
    """VETO signal in MIP units from the true deposit [GeV] (Poisson photoelectron smearing)."""
    idx = setup.veto_indices[0] if index is None else index
    mip = mip_reference_loss(setup, idx)
    return _photostat(np.asarray(deposit, float) / mip, param(setup, "veto_photoelectrons_per_mip"), rng)


def measure_beam_momentum(p_true, setup, rng):
    """Incoming momentum measured upstream with sigma(p)/p = setup.beam.momentum_resolution_rel."""
    p = np.asarray(p_true, dtype=float)
    r = setup.beam.momentum_resolution_rel
    return p * (1.0 + r * rng.standard_normal(p.shape))


def smear_calorimeters(setup, e_ecal_true, hcal_true, rng):
    """Measured (ECAL, HCAL) for n events: ECAL Gaussian resolution (:func:`ecal_smear`) and the HCAL
    MIP response of muon deposits (:func:`hcal_response`; ``hcal_true`` (n, n_hcal) true deposits).

    Returns ``(e_ecal_measured (n,), hcal_measured (n, n_hcal))``.
    """
    return ecal_smear(e_ecal_true, setup, rng), hcal_response(hcal_true, setup, rng)
