"""Track-length tables of the EM shower in the ECAL (active target), cached on disk.

The signal yield of the e->mu paper, Eq. (29), is ``N = N_EOT (rho N_A / A) sum_k sigma(E_k) dL_k``.
:func:`track_lengths` runs the cascade Monte Carlo of :mod:`.shower` once per medium, beam
energy and settings, stores the *differential track length* ``L_s(E, z)`` (cm per primary, per
energy x depth bin) of s in {e-, e+, gamma} as a :class:`TrackLengthTable` in the cache, and the
table samples production vertices (E, z) from ``L_s(E, z) x w(E)``.  Rossi's approximation A
(:func:`approx_a_track_length_coefficients`) is the analytic reference of the depth-integrated
track lengths.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from .. import cache as _cache
from ..errors import InputError
from .media import ShowerMedium, pb_sc_medium
from .shower import SPECIES, cascade

#: schema of cached shower tables; bump when the meaning of the numbers changes
SCHEMA = 2

# ----------------------------------------------------------------------------- track-length table


@dataclass
class TrackLengthTable:
    """Differential track length of a shower: ``hist[species]`` [cm per primary] per (energy, depth) bin.

    ``energy_edges`` [GeV] (log-uniform), ``depth_edges`` [cm from the front of the
    medium].  Within an energy bin the track length is taken uniform in ln E (for
    :meth:`dl_de` and :meth:`sample`); within a depth bin, uniform in z.
    """

    species: tuple
    energy_edges: np.ndarray
    depth_edges: np.ndarray
    hist: dict
    medium: ShowerMedium
    primary: str
    energy_gev: float
    n_showers: int
    meta: dict = dataclasses.field(default_factory=dict)
    edep: np.ndarray | None = None  #: deposited energy per depth bin [GeV per primary]

    def _sp(self, species):
        if species not in self.hist:
            raise InputError("species", f"must be one of {', '.join(self.species)}; got {species!r}")
        return self.hist[species]

    def total_cm(self, species, e_min: float = 0.0) -> float:
        """Track length [cm per primary] of ``species`` above ``e_min`` (uniform-in-ln E within the bin)."""
        h = self._sp(species).sum(axis=1)
        lo, hi = self.energy_edges[:-1], self.energy_edges[1:]
        frac = np.clip(np.log(hi / np.maximum(np.maximum(lo, e_min), 1e-300)) / np.log(hi / lo), 0.0, 1.0)
        return float(np.sum(h * frac))

    def dl_de(self, species, E):
        """dL/dE [cm/GeV per primary] at E (piecewise, uniform in ln E within a bin: (L_bin / ln(hi/lo)) / E)."""
        h = self._sp(species).sum(axis=1)
        E = np.asarray(E, float)
        edges = self.energy_edges
        i = np.searchsorted(edges, E, side="right") - 1
        inside = (i >= 0) & (i < h.size)
        ic = np.clip(i, 0, h.size - 1)
        dens = h[ic] / np.log(edges[ic + 1] / edges[ic]) / np.where(E > 0, E, 1.0)
        return np.where(inside, dens, 0.0)

    def _subgrid(self, e_min, e_max, n_sub=8):
        edges = self.energy_edges
        lo = np.log(edges[:-1])[:, None]
        w = np.log(edges[1:] / edges[:-1])[:, None]
        u = (np.arange(n_sub) + 0.5) / n_sub
        lnE = lo + w * u[None, :]  # (nE, n_sub) mid-points of sub-bins in ln E
        E = np.exp(lnE)
        inside = (E >= e_min) & (E <= e_max)
        return E, inside, w / n_sub

    def integral(self, species, weight_fn=None, *, e_min=0.0, e_max=np.inf, n_sub=8) -> float:
        """int dE dL/dE w(E) [cm x w per primary]: mid-point rule with ``n_sub`` sub-bins per bin in ln E."""
        h = self._sp(species).sum(axis=1)
        E, inside, dl = self._subgrid(e_min, e_max, n_sub)
        w = np.ones_like(E) if weight_fn is None else np.asarray(weight_fn(E.ravel()), float).reshape(E.shape)
        dens = h[:, None] / (dl * n_sub)  # dL/dlnE in the bin
        return float(np.sum(np.where(inside, dens * dl * w, 0.0)))

    def sample(self, species, n, rng, *, e_min=0.0, e_max=np.inf, weight_fn=None, n_sub=8):
        """Draw ``n`` vertices (E [GeV], z [cm]) from L(E, z) x w(E); returns (E, z_cm, integral).

        ``integral`` = sum over bins of L x w (cm x w per primary), the normalisation of
        the drawn density (for w = sigma x n_atoms it is the yield per primary).  The
        energy within a bin is drawn on ``n_sub`` sub-bins (mid-point weights), log-
        uniform within a sub-bin; depth uniform within its bin.
        """
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
            raise InputError("n", f"must be an integer >= 0; got {n!r}")
        H = self._sp(species)  # (nE, nT)
        E, inside, dl = self._subgrid(e_min, e_max, n_sub)
        w = np.ones_like(E) if weight_fn is None else np.asarray(weight_fn(E.ravel()), float).reshape(E.shape)
        if np.any(~np.isfinite(w)) or np.any(w < 0):
            raise InputError("weight_fn", "must return finite values >= 0")
        wsub = np.where(inside, w * (1.0 / n_sub), 0.0)  # (nE, n_sub), fraction of the bin's track length
        cell = H[:, None, :] * wsub[:, :, None]  # (nE, n_sub, nT)
        total = float(cell.sum())
        if n == 0 or total <= 0:
            return np.empty(0), np.empty(0), total
        cdf = np.cumsum(cell.ravel())
        pick = np.searchsorted(cdf, rng.random(n) * cdf[-1], side="right")
        pick = np.minimum(pick, cdf.size - 1)
        iE, rem = np.divmod(pick, cell.shape[1] * cell.shape[2])
        iS, iT = np.divmod(rem, cell.shape[2])
        lo = np.log(self.energy_edges[iE]) + dl[iE, 0] * iS
        Ev = np.exp(lo + dl[iE, 0] * rng.random(n))
        Ev = np.clip(Ev, max(e_min, 0.0), e_max)
        z = self.depth_edges[iT] + (self.depth_edges[iT + 1] - self.depth_edges[iT]) * rng.random(n)
        return Ev, z, total


#: the source files whose bytes determine a track-length table (this module and every module it
#: imports that computes; tests/test_layers.py checks the list against the import graph)
SOURCES = ("detector/track_lengths.py", "detector/shower.py", "detector/em_physics.py", "detector/media.py",
           "detector/setup.py", "units.py", "materials.py", "particles.py")


def _setup_medium_and_energy(setup, beam_energy):
    """(ShowerMedium of the ECAL, beam energy) from a setup name/object, a medium, or None (default Pb/Sc)."""
    if setup is None:
        med = pb_sc_medium()
        E = 100.0 if beam_energy is None else beam_energy
        return med, E
    if isinstance(setup, ShowerMedium):
        return setup, (100.0 if beam_energy is None else beam_energy)
    if isinstance(setup, str):
        from .setup import load_setup

        setup = load_setup(setup)
    med = setup.ecal.shower_medium()
    E = beam_energy
    if E is None:
        E = float(setup.beam.energy_gev)
    return med, E


def track_lengths(setup=None, *, beam: str = "e-", energy: float | None = None, n_showers: int = 200,
                  seed: int = 0, cache: bool = True, e_cut: float = 0.01, k_cut: float | None = None,
                  lpm: bool = False, bins_per_decade: int = 25, depth_bin_x0: float = 0.25,
                  e_min_table: float | None = None) -> TrackLengthTable:
    """Track-length table of the shower started by ``beam`` (e-, e+, gamma) in the ECAL of ``setup``.

    ``setup``: a setup name/object (its ``ecal`` element gives medium and thickness), a
    :class:`ShowerMedium`, or None (NA64-like 40 X0 Pb/Sc shashlik, 100 GeV).  ``energy``
    defaults to the setup's beam energy.  The table is cached on disk, keyed by every input
    (medium, energy, beam, n_showers, seed, cuts, LPM, binning, sources of this module).
    """
    med, E0 = _setup_medium_and_energy(setup, energy)
    if beam not in SPECIES:
        raise InputError("beam", f"must be one of {', '.join(SPECIES)}; got {beam!r}")
    if not (isinstance(E0, (int, float, np.floating)) and math.isfinite(E0) and E0 > 0):
        raise InputError("energy", f"beam energy must be > 0 GeV; got {E0!r}")
    if isinstance(n_showers, bool) or not isinstance(n_showers, (int, np.integer)) or n_showers < 1:
        raise InputError("n_showers", f"must be an integer >= 1; got {n_showers!r}")
    k_cut = e_cut if k_cut is None else k_cut
    e_lo = e_cut if e_min_table is None else e_min_table
    n_dec = math.log10(E0 / e_lo)
    nE = max(1, int(math.ceil(n_dec * bins_per_decade)))
    e_edges = e_lo * (E0 / e_lo) ** (np.arange(nE + 1) / nE)
    e_edges[-1] = E0 * (1 + 1e-12)
    L = med.length_x0
    nT = max(1, int(math.ceil(L / depth_bin_x0 - 1e-9)))
    t_edges = np.linspace(0.0, L, nT + 1)
    key_inputs = {"schema": SCHEMA, "medium": med.key(), "beam": beam, "energy": repr(float(E0)),
                  "n_showers": int(n_showers), "seed": int(seed), "e_cut": repr(float(e_cut)),
                  "k_cut": repr(float(k_cut)), "lpm": bool(lpm), "bins_per_decade": int(bins_per_decade),
                  "depth_bin_x0": repr(float(depth_bin_x0)), "e_min_table": repr(float(e_lo)),
                  "source": _cache.source_hash(SOURCES)}
    key = _cache.cache_key(key_inputs)
    path = _cache.cache_dir("shower_tables") / f"shower_{beam}_{key[:32]}.npz"
    X0 = med.X0_cm
    meta = {"cache_file": str(path) if cache else None, "from_cache": False, "key": key, "key_inputs": key_inputs}
    d = _cache.load_npz(path, key, ("hist", "edep", "leak")) if cache else None
    if d is not None and d["hist"].shape == (len(SPECIES), nE, nT):
        leak = float(d["leak"])
        meta["from_cache"] = True
        meta["leak_gev"] = leak
        h = d["hist"]
        return TrackLengthTable(SPECIES, e_edges, t_edges * X0, {s: h[i] for i, s in enumerate(SPECIES)},
                                med, beam, float(E0), int(n_showers), meta, d["edep"])
    rng = np.random.default_rng(np.random.SeedSequence(int(seed)))
    res = cascade(med, beam, float(E0), int(n_showers), rng, energy_edges=e_edges, depth_edges_x0=t_edges,
                  e_cut=e_cut, k_cut=k_cut, lpm=lpm)
    h = res.hist * X0  # X0 -> cm
    meta["leak_gev"] = res.leak_gev
    if cache:
        _cache.save_npz(path, key, hist=h, edep=res.edep, leak=np.array(res.leak_gev))
    return TrackLengthTable(SPECIES, e_edges, t_edges * X0, {s: h[i] for i, s in enumerate(SPECIES)}, med, beam,
                            float(E0), int(n_showers), meta, res.edep)


# ----------------------------------------------------------------------------- analytic references


def approx_a_track_length_coefficients(xi: float = 0.0):
    """Rossi approximation A: depth-integrated track lengths pi(E) = c_e E0/E^2, gamma(E) = c_g E0/E^2 (E << E0).

    Derivation (Rossi & Greisen, Rev. Mod. Phys. 13 (1941) 240; Rossi, High-Energy
    Particles (1952) Sec. 5): integrating the cascade equations over depth, their Mellin
    transforms obey A(s) Pi - B(s) Gamma = 1, -C(s) Pi + sigma0 Gamma = 0 (electron
    primary), with, for the spectra above,
    A(s) = int phi(v)[1 - (1-v)^s] dv, B(s) = 2 int psi(u) u^s du, C(s) = int phi(v) v^s dv,
    sigma0 = int psi(u) du.  D(s) = A sigma0 - B C vanishes at s = 1 (energy conservation),
    and the pole there gives pi(E) ~ sigma0/D'(1) E0/E^2, gamma(E) ~ C(1)/D'(1) E0/E^2.
    For xi = 0 (Rossi's cross sections without the 1/9 term) this gives the classic
    0.437 and 0.572.  Returns (c_e, c_g) for e+ plus e- together, and photons.
    """
    from scipy.integrate import quad

    a = 4.0 / 3.0 + xi / 9.0
    c = a

    def phi_v(v):  # v * phi(v) (finite at v -> 0)
        return a * (1 - v) + v * v

    def psi(u):
        return 1 - c * u * (1 - u)

    sigma0 = quad(psi, 0, 1)[0]
    # A'(1) = -int phi(v) (1-v) ln(1-v) dv ; B'(1) = 2 int psi u ln u ; C(1) = int v phi ; C'(1) = int v phi ln v
    dA = quad(lambda v: -phi_v(v) / v * (1 - v) * math.log1p(-v) if v > 0 else 0.0, 0, 1, limit=200)[0]
    B1 = 2 * quad(lambda u: psi(u) * u, 0, 1)[0]
    dB = 2 * quad(lambda u: psi(u) * u * math.log(u) if u > 0 else 0.0, 0, 1, limit=200)[0]
    C1 = quad(phi_v, 0, 1)[0]
    dC = quad(lambda v: phi_v(v) * math.log(v) if v > 0 else 0.0, 0, 1, limit=200)[0]
    dD = dA * sigma0 - dB * C1 - B1 * dC
    return sigma0 / dD, C1 / dD
