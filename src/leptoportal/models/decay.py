r"""Decays in flight of a produced scalar: lab decay length, decay probabilities, and the fraction
of produced scalars that still give a missing-energy event.

NA64-mu paper (Chen, Kozaczuk, Zhong, arXiv:1807.03790), Fig. 2 and Sec. 3.1: the missing-momentum
signal is (a) S -> chi chi-bar anywhere, plus (b) S -> l+ l- or gamma gamma *outside* the detector.
The widths are those of Eq. (2.5) (:class:`leptoportal.models.leptophilic.LeptophilicScalar`:
Gamma(S -> l l) and Gamma(S -> chi chi-bar) from its first term, Gamma(S -> gamma gamma) from its
second, the lepton loop of Eq. (2.4) with F_1/2 of App. A).

Formulas (relativistic kinematics and the exponential decay law; PDG Review, "Kinematics")::

    L   = beta gamma c tau = (p / m) hbar c / Gamma_total        p = sqrt(E^2 - m^2)     (lab decay length)
    P(z1 < z < z2) = exp(-z1/L) - exp(-z2/L) = -exp(-z1/L) expm1(-(z2 - z1)/L)                (decay in [z1, z2])
    kept = BR_inv + BR_vis exp(-d/L) = (Gamma_inv + Gamma_vis exp(-d/L)) / (Gamma_inv + Gamma_vis)

with z measured from the production point and d the distance from the production point to where a
visible decay stops vetoing the event (for NA64-mu: the downstream end of the last calorimeter).
Internally the exponent is written d/L = u Gamma_total / (hbar c) with the *proper distance*
u = d m / p = d / (beta gamma): it is finite for every valid input (Gamma = 0: a stable scalar,
L = inf, u Gamma = 0; E = m: p = 0, u = inf, the scalar decays where it is made), so no NaN or inf
reaches the result.  ``expm1`` keeps P accurate to a few ulp when L >> z2 - z1 (P ~ (z2 - z1)/L),
and exp(-z1/L) underflows cleanly to 0 when L << z1.

Everything broadcasts (NumPy rules): arrays of couplings (through the widths) against arrays of
energies, e.g. widths of shape (n_g, 1) with energies of shape (n_E,).
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from ..units import HBARC_GEV_CM

__all__ = ["decay_length_cm", "decay_probability", "survival_probability", "kept_fraction", "mean_kept_fraction",
           "proper_distance_cm", "missing_energy_fraction"]

#: exp(-x) is exactly 0.0 in IEEE double for x > 745.2: terms beyond it are skipped (bit-identical sums)
_EXP_ZERO = 746.0
#: at most this many exponentials per block in :func:`mean_kept_fraction` (bounds the memory: 16 MB)
_BLOCK = 2_000_000


def _array(name: str, value, *, lo: float = 0.0, strict: bool = False, allow_inf: bool = False) -> np.ndarray:
    try:
        a = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise InputError(name, f"must be a real number or array; got {value!r}") from None
    if a.size == 0:
        raise InputError(name, "empty array")
    bad = np.isnan(a) | ((a <= lo) if strict else (a < lo))
    if not allow_inf:
        bad |= np.isinf(a)
    if np.any(bad):
        rng = f"({lo:g}, inf{']' if allow_inf else ')'}" if strict else f"[{lo:g}, inf{']' if allow_inf else ')'}"
        raise InputError(name, f"must be in {rng}; got {np.atleast_1d(a)[np.atleast_1d(bad)][0]!r}")
    return a


def _momentum(mass: np.ndarray, energy: np.ndarray) -> np.ndarray:
    """p = sqrt((E - m)(E + m)) (no cancellation in E^2 - m^2 near threshold); E >= m checked."""
    if np.any(energy < mass):
        e, m = np.broadcast_arrays(energy, mass)
        i = np.flatnonzero((e < m).ravel())[0]
        raise InputError("energy_gev", f"must be >= the scalar mass (E >= m); got E = {e.ravel()[i]!r} GeV "
                         f"for m = {m.ravel()[i]!r} GeV")
    return np.sqrt((energy - mass) * (energy + mass))


def proper_distance_cm(mass_gev, energy_gev, distance_cm) -> np.ndarray:
    """u = d m / p = d / (beta gamma) [cm]: a lab distance d in the scalar's rest frame, so that
    d / L = u Gamma_total / (hbar c).  inf where p = 0 and d > 0; 0 where d = 0."""
    m = _array("mass_gev", mass_gev, strict=True)
    E = _array("energy_gev", energy_gev, strict=True)
    d = _array("distance_cm", distance_cm)
    p = _momentum(m, E)
    with np.errstate(divide="ignore", invalid="ignore"):
        u = np.where(d == 0.0, 0.0, d * m / p)
    return u[()]


def decay_length_cm(mass_gev, energy_gev, width_gev) -> np.ndarray:
    """Lab decay length L = beta gamma c tau = (p/m) hbar c / Gamma [cm] of a particle of mass m
    and energy E >= m with total width Gamma >= 0 (GeV); inf for Gamma = 0 (stable), 0 for E = m."""
    m = _array("mass_gev", mass_gev, strict=True)
    E = _array("energy_gev", energy_gev, strict=True)
    w = _array("width_gev", width_gev)
    p = _momentum(m, E)
    with np.errstate(divide="ignore", invalid="ignore"):
        L = np.where(w == 0.0, np.inf, (p / m) * HBARC_GEV_CM / w)
    return L[()]


def _scaled(z: np.ndarray, L: np.ndarray) -> np.ndarray:
    """z / L with 0/0 (z = 0 at L = 0) read as 0 and z/inf = 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(z == 0.0, 0.0, z / L)


def survival_probability(distance_cm, decay_length_cm) -> np.ndarray:
    """exp(-d/L): the probability that the particle has not decayed within a distance d of where it
    was made (L = inf: 1; L = 0 and d > 0: 0)."""
    d = _array("distance_cm", distance_cm)
    L = _array("decay_length_cm", decay_length_cm, allow_inf=True)
    return np.exp(-_scaled(d, L))[()]


def decay_probability(z1_cm, z2_cm, decay_length_cm) -> np.ndarray:
    """P(z1 < z < z2) = exp(-z1/L) - exp(-z2/L), 0 <= z1 <= z2 measured from the production point.

    Written as -exp(-z1/L) expm1(-(z2 - z1)/L): for L >> z2 - z1 it is (z2 - z1)/L exp(-z1/L) to
    a few ulp (the difference of two exponentials near 1 would lose every digit), for L << z1 the
    first factor underflows to 0.  L = inf gives 0, L = 0 gives 1 for z1 = 0 < z2 and 0 otherwise."""
    z1 = _array("z1_cm", z1_cm)
    z2 = _array("z2_cm", z2_cm)
    L = _array("decay_length_cm", decay_length_cm, allow_inf=True)
    if np.any(z2 < z1):
        raise InputError("z2_cm", "must be >= z1_cm (an interval downstream of the production point)")
    a = _scaled(z1, L)
    with np.errstate(divide="ignore", invalid="ignore"):
        b = np.where(z2 == z1, 0.0, (z2 - z1) / L)
    return (-np.exp(-a) * np.expm1(-b))[()]


def kept_fraction(width_invisible_gev, width_visible_gev, mass_gev, energy_gev, distance_cm) -> np.ndarray:
    """Fraction of scalars giving missing energy: BR_inv + BR_vis exp(-d/L), i.e. every invisible
    decay plus the visible decays beyond the distance d from the production point.

    = (Gamma_inv + Gamma_vis exp(-u Gamma/hbar c)) / Gamma, Gamma = Gamma_inv + Gamma_vis, u = d m/p
    (module docstring).  A scalar with Gamma = 0 never decays: 1.  Broadcasts over all inputs."""
    gi = _array("width_invisible_gev", width_invisible_gev)
    gv = _array("width_visible_gev", width_visible_gev)
    u = np.asarray(proper_distance_cm(mass_gev, energy_gev, distance_cm), float)
    gt = gi + gv
    with np.errstate(invalid="ignore", over="ignore"):
        x = np.where(gt == 0.0, 0.0, u * (gt / HBARC_GEV_CM))
        f = np.where(gt == 0.0, 1.0, (gi + gv * np.exp(-x)) / np.where(gt == 0.0, 1.0, gt))
    return f[()]


def mean_kept_fraction(width_invisible_gev, width_visible_gev, proper_distance, weights=None) -> np.ndarray:
    """The weighted mean of :func:`kept_fraction` over a sample of produced scalars, for every
    coupling of a width array::

        <kept> = BR_inv + BR_vis sum_i w_i exp(-u_i Gamma / hbar c) / sum_i w_i

    ``width_*_gev``: scalars or arrays of one shape (e.g. one entry per coupling); ``proper_distance``:
    1-d array of u_i = d_i m / p_i [cm] (:func:`proper_distance_cm`; inf allowed: decays at once);
    ``weights``: 1-d array w_i >= 0 with a positive sum (default: all equal).  Returns the widths'
    shape.  Exponentials are evaluated only where they can be non-zero (u_i Gamma/hbar c < 746)
    and where BR_vis > 0, in blocks of at most 2e6."""
    gi = _array("width_invisible_gev", width_invisible_gev)
    gv = _array("width_visible_gev", width_visible_gev)
    gi, gv = np.broadcast_arrays(gi, gv)
    u = _array("proper_distance", proper_distance, allow_inf=True).ravel()
    w = np.ones(u.size) if weights is None else _array("weights", weights).ravel()
    if w.size != u.size:
        raise InputError("weights", f"needs one weight per scalar ({u.size}); got {w.size}")
    wsum = float(np.sum(w))
    if not wsum > 0:
        raise InputError("weights", "must have a positive sum")
    gt = (gi + gv).ravel()
    lam = gt / HBARC_GEV_CM  # 1/cm in the rest frame
    order = np.argsort(u, kind="stable")
    us, ws = u[order], w[order] / wsum
    surv = np.zeros(gt.size)
    need = np.flatnonzero((gv.ravel() > 0) & (lam * us[0] < _EXP_ZERO))
    if need.size:
        # events beyond u_max(lambda) = 746/lambda contribute exactly 0.0: sum only the prefix
        n_terms = np.searchsorted(us, _EXP_ZERO / lam[need], side="left")
        step = max(1, _BLOCK // max(int(n_terms.max()), 1))
        for s in range(0, need.size, step):
            idx = need[s:s + step]
            k = int(n_terms[s:s + step].max())
            e = np.exp(-np.outer(lam[idx], us[:k]))
            surv[idx] = e @ ws[:k]
    safe = np.where(gt == 0.0, 1.0, gt)  # Gamma = 0: a stable scalar never decays, kept = 1
    f = np.where(gt == 0.0, 1.0, (gi.ravel() + gv.ravel() * surv) / safe)
    return f.reshape(gi.shape)[()]


def missing_energy_fraction(model, energy_gev, distance_cm) -> np.ndarray:
    """:func:`kept_fraction` of a :class:`~leptoportal.models.leptophilic.LeptophilicScalar`:
    BR(S -> chi chi-bar) + BR(S -> l l, gamma gamma) exp(-d/L) with the widths of Eq. (2.5) of the
    NA64-mu paper at the model's (array) couplings; broadcasts with ``energy_gev`` and ``distance_cm``."""
    return kept_fraction(model.width_chichi(), model.width_visible(), model.m_S, energy_gev, distance_cm)
