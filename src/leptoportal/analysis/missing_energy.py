r"""Missing-energy and missing-momentum yield of the leptophilic scalar for any beam and target.

The number of selected S -> chi chi-bar events for N_beam leptons on target is the track-length
formula of the e->mu paper's Eq. (29), restricted to the signal region::

    N(g) = N_beam eps  sum_N n_N  int dE T(E)  int_{x_cut(E)}^{1 - m_l/E} dx  dsigma_N/dx(E, x)  g_l^2  BR(S -> chi chi-bar)(g)

with T(E) the differential track length [cm/GeV per beam lepton] of the leptons that couple to S,
n_N the atom density of nucleus N, dsigma/dx per unit g_l^2 of l N -> l N S with the scalar
vertex (x = E_S/E), g_l the S coupling of the beam's flavour (g_e or g_mu of the NA64-mu paper's
Eq. 2.3 presets) and eps the efficiency of the rest of the selection (a number with its source).
The NA64-mu paper's Eq. (3.1) is the special case T(E) = 1/<dE/dy> on [E_beam - L <dE/dy>, E_beam].

Where the leptons' track lengths come from (:data:`PRODUCTION`, chosen from the setup):

``"beam-track"``  a muon beam: only the beam muon produces S.  With a ``[target]`` in the setup,
    Eq. (3.1): constant minimum-ionising loss <dE/dy> of the target material over its length
    (:func:`leptoportal.analysis.na64mu.min_ionising_dedx`); otherwise the active target (the
    setup's ECAL): E(z) from the mean loss <dE/dx>(E) of the medium
    (:func:`leptoportal.detector.muon_loss.mean_dedx`), the atom densities of its layers.
``"thin-foil"``   an electron beam on the setup's ``[target]``: continuous slowing down with the
    mean radiative loss dE/dz = -E/X_0, so T(E) = X_0/E on [E_beam e^{-L/X_0}, E_beam] and
    int T dE = L.  An approximation for L << X_0 (the LDMX 0.1 X_0 tungsten foil); refused for
    L > 0.3 X_0.  (The mean brems loss overstates the loss of the typical electron, whose
    energy stays at E_beam with probability ~ e^{-L/X_0 * 4/3}; the yield differs from the
    no-loss value L * sigma(E_beam) by less than the 5 % the cross section changes over the
    window for L = 0.1 X_0.)
``"shower"``      an electron beam on an active thick target (no ``[target]``): the e- and e+
    track lengths of the electromagnetic shower in the setup's ECAL
    (:func:`leptoportal.detector.track_lengths.track_lengths`, the cascade Monte Carlo of the
    e->mu chain), both charges producing S with the same cross section.

The signal region (:class:`Selection`) is a lower bound on E_S at the production energy E:
``x_min`` (E_S >= x_min E, the NA64-mu paper's x_min = 1/3), ``recoil_max_gev`` (the outgoing
lepton keeps at most this energy, E - E_S <= R: NA64-mu's p_mu < 80 GeV/c, LDMX's recoil
electron, M^3's outgoing muon) and ``missing_energy_min_gev`` (E_S >= this: the invisible-mode
NA64e box E_ECAL < E_beam - E_miss, everything but S being absorbed in the active target).
The efficiency of the other cuts (vetoes, tracking, trigger) is the number ``efficiency``.

dsigma/dx: the engine's WW (e->mu paper Eqs. 22-23; default), IWW (Eqs. A1-A2) or exact tree
level (Eq. 12) with the scalar vertex, the atomic-nuclear form factor by default (as the NA64-mu
paper's projection).  The result per mass is a :class:`ProductionGrid`: the S energies and
production depths of the quadrature nodes with their weights, so the coupling dependence
(g_l^2, BR and decays in flight) is applied at every trial coupling without recomputing the
cross sections.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError
from ..materials import get_material
from ..quadrature import gauss_legendre
from ..units import GEV2_TO_PB, PB_TO_CM2
from ..xsec import api
from ..xsec.etl import x_nodes

__all__ = ["PRODUCTION", "Selection", "ProductionGrid", "production_mode", "production_grid", "beam_coupling"]

PRODUCTION = ("beam-track", "thin-foil", "shower")
#: the cross-section engine's lowest beam energy [GeV] (xsec tables and dsigma/dx)
E_MIN_ENGINE = 1.0
#: thickest foil the thin-foil approximation accepts, in radiation lengths
THIN_FOIL_MAX_X0 = 0.3


def _nonneg(name, v, *, strict=False, upper=None):
    try:
        x = float(v)
    except (TypeError, ValueError):
        raise InputError(name, f"must be a number; got {v!r}") from None
    if not math.isfinite(x) or x < 0 or (strict and x == 0) or (upper is not None and x > upper):
        rng = f"{'>' if strict else '>='} 0" + (f" and <= {upper:g}" if upper is not None else "")
        raise InputError(name, f"must be a finite number {rng}; got {v!r}")
    return x


@dataclass(frozen=True)
class Selection:
    """Signal region as a lower bound on the S energy at production energy E (see the module doc).

    ``efficiency``: the fraction of produced events in the region that pass the other cuts.
    """

    x_min: float = 0.0
    recoil_max_gev: float | None = None
    missing_energy_min_gev: float | None = None
    efficiency: float = 1.0

    def __post_init__(self):
        _nonneg("provider.x_min", self.x_min, upper=1.0)
        if self.recoil_max_gev is not None:
            _nonneg("provider.recoil_max_gev", self.recoil_max_gev)
        if self.missing_energy_min_gev is not None:
            _nonneg("provider.missing_energy_min_gev", self.missing_energy_min_gev)
        _nonneg("provider.efficiency", self.efficiency, strict=True, upper=1.0)

    def es_min(self, E):
        """Smallest S energy in the signal region at production energy E [GeV]."""
        E = np.asarray(E, float)
        lo = self.x_min * E
        if self.recoil_max_gev is not None:
            lo = np.maximum(lo, E - self.recoil_max_gev)
        if self.missing_energy_min_gev is not None:
            lo = np.maximum(lo, self.missing_energy_min_gev)
        return lo

    def resolved(self) -> dict:
        out = {"x_min": self.x_min, "efficiency": self.efficiency}
        if self.recoil_max_gev is not None:
            out["recoil_max_gev"] = self.recoil_max_gev
        if self.missing_energy_min_gev is not None:
            out["missing_energy_min_gev"] = self.missing_energy_min_gev
        return out


@dataclass
class ProductionGrid:
    """Produced S in the signal region per beam lepton per unit g_l^2, on quadrature nodes.

    ``e_s`` [GeV] and ``z_cm`` (production depth in setup coordinates) per node; ``weight``: the
    node's share of sum_N n_N int T dE int dx dsigma/dx (per beam lepton, per unit g_l^2, before
    BR and efficiency).  :meth:`total` is the sum.
    """

    e_s: np.ndarray
    z_cm: np.ndarray
    weight: np.ndarray
    lepton: str  #: "e" or "mu": which coupling of the model produces S
    info: dict = field(default_factory=dict)

    def total(self) -> float:
        return float(np.sum(self.weight))


def production_mode(setup) -> str:
    """"beam-track" (muon beam), "thin-foil" (electron beam, setup has a [target]) or "shower"."""
    beam = str(setup.beam.particle)
    if beam in ("mu-", "mu+"):
        return "beam-track"
    if beam in ("e-", "e+"):
        return "thin-foil" if setup.target is not None else "shower"
    raise InputError("beam.particle", f"a missing-energy yield needs an e-, e+, mu- or mu+ beam; got {beam!r}")


def beam_coupling(model, lepton: str):
    """g_l of the model for the beam's flavour (g_e for electrons, g_mu for muons)."""
    return model.g_e if lepton == "e" else model.g_mu


def _dsigma_dx(proc, E, m_S, x, order):
    """dsigma/dx [GeV^-2] per unit g^2 of l N -> l N S at one beam energy (0 where not finite)."""
    with np.errstate(all="ignore"):
        d = np.asarray(api._evaluate(proc, "dsigma_dx", float(E), float(m_S), x, order), float)
    return np.nan_to_num(d, nan=0.0, posinf=0.0, neginf=0.0)


def _nodes_for(proc, E, dL, z, m_S, sel: Selection, n_x, order, n_atoms):
    """(e_s, z, weight) of the x nodes at one production energy E with track length dL [cm]."""
    m_l = proc.beam.mass
    if E <= m_l + m_S or E < E_MIN_ENGINE:
        return None
    xlo = max(float(sel.es_min(E)) / E, m_S / E)
    xhi = 1.0 - m_l / E
    if xhi <= xlo:
        return None
    xs, wx = x_nodes(xlo, xhi, n_x)
    w = n_atoms * dL * wx * _dsigma_dx(proc, E, m_S, xs, order) * (GEV2_TO_PB * PB_TO_CM2)
    return xs * E, np.full(xs.size, float(z)), w


def _collect(parts, lepton, info):
    parts = [p for p in parts if p is not None]
    if not parts:
        return ProductionGrid(np.zeros(0), np.zeros(0), np.zeros(0), lepton, info)
    e_s, z, w = (np.concatenate(a) for a in zip(*parts))
    return ProductionGrid(e_s, z, w, lepton, info)


def production_grid(setup, mass: float, selection: Selection, *, method: str = "ww",
                    form_factor: str = "atomic-nuclear", order: int = 1, n_energy: int = 8, n_x: int = 16,
                    n_showers: int = 200, shower_seed: int = 0) -> ProductionGrid:
    """Produced S in the signal region per beam lepton per unit g_l^2 (see the module doc).

    ``setup``: a :class:`leptoportal.detector.setup.Setup`, name or path.  ``n_energy``: energy
    nodes of the beam track or foil (Gauss-Legendre); the shower uses 4 sub-bins per bin of the
    track-length table.  ``n_showers``/``shower_seed``: the shower Monte Carlo (cached on disk).
    """
    from ..detector.setup import load_setup

    st = load_setup(setup)
    m_S = _nonneg("mass", mass, strict=True)
    mode = production_mode(st)
    beam = str(st.beam.particle)
    E0 = float(st.beam.energy_gev)
    lepton = "mu" if beam.startswith("mu") else "e"
    info = {"production": mode, "beam": beam, "energy_gev": E0}
    xg, wg = gauss_legendre(n_energy)
    parts = []
    if mode == "beam-track" and st.target is not None:
        from .na64mu import min_ionising_dedx

        tgt = st.target
        dedy = min_ionising_dedx(tgt.material)
        L = float(tgt.length_cm)
        e_lo = E0 - L * dedy
        proc = api.make_process(beam, beam, tgt.material, method, form_factor, "scalar")
        n_at = get_material(tgt.material).atoms_per_cm3
        z0 = _target_z(st)
        for xi, wi in zip(xg, wg):
            E = e_lo + (E0 - e_lo) * xi
            dL = (E0 - e_lo) * wi / dedy
            parts.append(_nodes_for(proc, E, dL, z0 + (E0 - E) / dedy, m_S, selection, n_x, order, n_at))
        info.update(target=tgt.material, target_length_cm=L, dedy_gev_per_cm=dedy, nuclei=[tgt.material])
    elif mode == "beam-track":
        from ..detector.muon_loss import mean_dedx
        from .signal import production_nuclei

        ecal = st.ecal
        L, rho = float(ecal.thickness_cm), float(ecal.medium.density)
        dz = L / n_energy
        dens = ecal.shower_medium().nuclei()
        nuclei = production_nuclei(ecal.shower_medium())
        procs = {n: api.make_process(beam, beam, n, method, form_factor, "scalar") for n in nuclei}
        E = E0
        for k in range(n_energy):  # mean loss, midpoint rule (as the NA64-mu detector chain)
            loss = float(mean_dedx(E, ecal.medium)) * rho * dz
            Em = E - 0.5 * loss
            for n in nuclei:
                parts.append(_nodes_for(procs[n], Em, dz, float(ecal.z_start_cm) + (k + 0.5) * dz, m_S, selection,
                                        n_x, order, dens[n]))
            E -= loss
        info.update(active_target=ecal.name, active_target_length_cm=L, e_exit_gev=E, nuclei=list(nuclei))
    elif mode == "thin-foil":
        tgt = st.target
        mat = get_material(tgt.material)
        L, X0 = float(tgt.length_cm), float(mat.X0_cm)
        if L > THIN_FOIL_MAX_X0 * X0:
            raise InputError("target.length_cm", f"{L:g} cm of {tgt.material} is {L / X0:.3g} X0: the thin-foil "
                             f"yield holds for <= {THIN_FOIL_MAX_X0:g} X0; for a thick electron target describe it "
                             "as the setup's active ECAL (no [target] table)")
        proc = api.make_process(beam, beam, tgt.material, method, form_factor, "scalar")
        t = L / X0
        z0 = _target_z(st)
        for xi, wi in zip(xg, wg):  # T(E) dE = X0 dlnE on [E0 e^{-t}, E0]
            lnE = math.log(E0) - t * (1.0 - xi)
            parts.append(_nodes_for(proc, math.exp(lnE), X0 * t * wi, z0 + X0 * (math.log(E0) - lnE), m_S,
                                    selection, n_x, order, mat.atoms_per_cm3))
        info.update(target=tgt.material, target_length_cm=L, target_x0=t, nuclei=[tgt.material])
    else:  # shower
        from ..detector.track_lengths import track_lengths
        from .signal import production_nuclei

        tab = track_lengths(st, beam=beam, energy=E0, n_showers=n_showers, seed=shower_seed)
        med = tab.medium
        dens = med.nuclei()
        nuclei = production_nuclei(med)
        e_lo = max(E_MIN_ENGINE, m_S, float(selection.missing_energy_min_gev or 0.0))
        edges = tab.energy_edges
        n_sub = 4
        z_front = float(st.ecal.z_start_cm)
        for i in range(edges.size - 1):
            lo, hi = max(edges[i], e_lo), min(edges[i + 1], E0)
            if hi <= lo:
                continue
            dln = math.log(hi / lo) / n_sub
            Es = np.exp(math.log(lo) + dln * (np.arange(n_sub) + 0.5))
            for sp in ("e-", "e+"):
                h = tab.hist[sp][i]  # track length per depth bin in this energy bin
                if h.sum() <= 0:
                    continue
                z = z_front + float(np.sum(h * 0.5 * (tab.depth_edges[:-1] + tab.depth_edges[1:])) / h.sum())
                procs = {n: api.make_process(sp, sp, n, method, form_factor, "scalar") for n in nuclei}
                for E in Es:
                    dL = float(tab.dl_de(sp, E)) * E * dln
                    for n in nuclei:
                        parts.append(_nodes_for(procs[n], E, dL, z, m_S, selection, n_x, order, dens[n]))
        info.update(active_target=st.ecal.name, n_showers=n_showers, nuclei=list(nuclei))
    return _collect(parts, lepton, info)


def _target_z(st) -> float:
    """Front of the thin target: the active target's front (setup coordinates start there)."""
    return float(st.ecal.z_start_cm) if st.elements else 0.0

