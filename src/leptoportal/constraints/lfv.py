r"""Constraints on the e->mu paper's lepton-flavour-violating scalar phi from muon physics.

The e->mu paper (Ponten et al., arXiv:2404.15931, Eq. 1) couples phi to the e-mu pair,

    L  >  - h e-bar P_R mu phi  -  h* mu-bar P_L e phi^dagger,

and its Fig. 8 shows only (g-2)_mu and a relic line.  Two further probes follow from the same vertex:

**mu -> e phi** (open for m_phi < m_mu - m_e).  M = -h u-bar(e) P_R u(mu); the spin sum
Tr[(p_e + m_e) P_R (p_mu + m_mu) P_L] = 2 p_e.p_mu (both mass terms die between opposite projectors), so
averaged over the muon spin |M|^2 = |h|^2 (m_mu^2 + m_e^2 - m_phi^2)/2 and

    Gamma(mu -> e phi) = |h|^2 (m_mu^2 + m_e^2 - m_phi^2) lambda^{1/2}(m_mu^2, m_e^2, m_phi^2) / (32 pi m_mu^3)

(two-body phase space |p|/(8 pi m_mu^2), |p| = lambda^{1/2}/(2 m_mu)); massless limit |h|^2 m_mu/(32 pi), half
the width of a pure scalar coupling h e-bar mu phi.  The bound is TWIST's (Bayes et al., PRD 91 (2015) 052020,
the e->mu paper's ref. [21]) on BR(mu+ -> e+ X0): :data:`TWIST_ABSTRACT_STEPS` (the abstract's numbers).

**Muonium -> antimuonium** (Mu = mu+ e-  ->  Mu-bar = mu- e+).  The transition annihilates mu+ and e- and
creates mu- and e+: both bilinears must be mu-bar P_L e (mu-bar annihilates mu+ / creates mu-, e annihilates
e- / creates e+), i.e. two insertions of the same vertex joined by <phi^dagger phi^dagger>.  For a complex phi
that carries the lepton-flavour charge (the paper: "carrying dark and leptonic quantum numbers")
<phi^dagger phi^dagger> = 0 and there is no tree-level conversion.  For a real phi (phi^dagger = phi),
integrating phi out gives L_eff = J^2 / (2 (m_phi^2 - q^2)) with J = -(h e-bar P_R mu + h* mu-bar P_L e), whose
Delta L_mu = -Delta L_e = 2 part is

    L_eff  >  (h*^2 / 2) (mu-bar P_L e)(mu-bar P_L e) / (m_phi^2 - q^2)  + h.c.,

an (S-P) x (S-P) operator in the local limit (its h.c. is the (e-bar P_R mu)(e-bar P_R mu) of the brief).
The two bilinears share the four external legs in two ways, with different momentum through phi (bound
state at rest, binding neglected):

* s-like: one bilinear annihilates (mu+ e-), the other creates (mu- e+): q^2 = (m_mu + m_e)^2;
* t-like: one bilinear turns mu+ into e+, the other e- into mu-: q^2 = (m_mu - m_e)^2.

The two orderings have different spin structures (the Fierz rearrangement of one into the other brings in
(S-P)x(S-P) and tensor pieces), so with the exact propagators the operator is not a pure local (S-P)x(S-P) and
its magnetic-field suppression is computed, not looked up: :func:`conversion_matrices` evaluates the operator
between the spin states of Mu and Mu-bar at rest in an explicit fermion Fock space (the sign of every
contraction follows from the anticommutation of the mode operators), and :func:`conversion_probability`
time-integrates the transition between the Breit-Rabi eigenstates of Mu and Mu-bar in the field of the PSI
MACS experiment (0.1 T), as Feinberg-Weinberg / Horikawa-Sasaki (PRD 53 (1996) 560) / Hou-Wong
(Phys. Lett. B (1995), hep-ph/9505300, doi:10.1016/0370-2693(95)00893-P) do:

    P = sum_i w_i sum_j 2 |<Mu-bar_j| H |Mu_i>|^2 / (Gamma_mu^2 + (E_i - E-bar_j)^2),
    <Mu-bar_j| H |Mu_i> = |psi(0)|^2 T_ji,   |psi(0)|^2 = (alpha m_red)^3 / pi,

with equal populations w_i = 1/4 of the four hyperfine states (**assumed**: unpolarised muonium, as the
structure-dependent factors of the literature are quoted; for a local operator with equal singlet and
triplet amplitudes, like (V-A)x(V-A) and the large-m_phi limit here, the result does not depend on it).
The bound is P(0.1 T) < 8.3e-11 (90% CL): Willmann et al., PRL 82 (1999) 49, as quoted by the PDG, which
for (V-A)x(V-A) corresponds to G_MMbar < 3.0e-3 G_F; the code reproduces that correspondence
(tests/test_lfv_constraints.py).
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from scipy import sparse

from ..domains import check_array
from ..errors import InputError
from ..fileio import read_headed_csv
from ..particles import M_E, M_MU
from ..units import ALPHA
from .decays.inputs import HBAR_GEV_S, TAU_MU

__all__ = [
    "A_E_HZ_PER_T",
    "A_MU_HZ_PER_T",
    "MMBAR_FIELD_T",
    "MMBAR_G_LIMIT_VA",
    "MMBAR_P_LIMIT",
    "NU_HFS_HZ",
    "PHI_FIELDS",
    "TWIST_ABSTRACT_STEPS",
    "br_limit_from_file",
    "br_mu_to_e_phi",
    "conversion_matrices",
    "conversion_probability",
    "conversion_states",
    "hyperfine_hamiltonians",
    "load_br_limit_file",
    "mu_to_e_phi_lower_edge",
    "muonium_lower_edge",
    "muonium_probability_real_phi",
    "spin_operator_z",
    "twist_br_limit",
    "width_mu_to_e_phi",
]

#: phi as a field: "complex" (carries the lepton-flavour charge; the e->mu paper's reading) or "real"
PHI_FIELDS = ("complex", "real")

# ----------------------------------------------------------------------------- inputs (sourced)
#: MACS (PSI) magnetic field at the muonium formation target: 0.1 T (Willmann et al., PRL 82 (1999) 49)
MMBAR_FIELD_T = 0.1
#: P(Mu -> Mu-bar) < 8.3e-11 at 90% CL in 0.1 T (Willmann et al., PRL 82 (1999) 49, as quoted by the
#: PDG 2024 listing "Limit on muonium -> antimuonium conversion"; the arXiv abstract hep-ex/9807011 says 8.2e-11)
MMBAR_P_LIMIT = 8.3e-11
#: the same result expressed for (V-A)x(V-A): G_MMbar/G_F < 0.0030 (90% CL; same sources)
MMBAR_G_LIMIT_VA = 3.0e-3
#: muonium ground-state hyperfine interval nu_hfs = 4463.302765 MHz (Liu et al., PRL 82 (1999) 711; CODATA)
NU_HFS_HZ = 4463.302765e6
#: spin-flip frequency per tesla of the free electron, g_e mu_B / h = 2.00231930436 x 13.996244936 GHz/T (CODATA 2018)
A_E_HZ_PER_T = 2.00231930436 * 13.996244936e9
#: muon spin precession frequency per tesla, gamma_mu / 2 pi = 135.5388 MHz/T (CODATA 2018: 2 mu_mu / h)
A_MU_HZ_PER_T = 135.538809e6

#: TWIST (Bayes et al., PRD 91 (2015) 052020, arXiv:1409.0638) abstract: "Branching ratio limits of order
#: 1e-5 are obtained for bosons with masses of 13 - 80 MeV/c^2 and with different decay asymmetries. For
#: bosons with masses less than 13 MeV/c^2 ... the 90% limit on the branching ratio varies up to 5.8e-5."
#: As a step function: (m_low GeV, m_high GeV, BR limit); "of order 1e-5" is taken as 1e-5 (**assumed**) and
#: below 13 MeV the weakest value 5.8e-5 is used for every mass.  The full curve is mass dependent (and depends
#: on the decay asymmetry); supply your own via a user file.
TWIST_ABSTRACT_STEPS = ((0.0, 0.013, 5.8e-5), (0.013, 0.080, 1.0e-5))
TWIST_SOURCE = ("TWIST, Bayes et al., PRD 91 (2015) 052020 (arXiv:1409.0638), abstract: BR(mu+ -> e+ X0) < ~1e-5 "
                "for 13-80 MeV, up to 5.8e-5 below 13 MeV (90% CL)")


def _lambda(a, b, c):
    return a * a + b * b + c * c - 2.0 * (a * b + a * c + b * c)


# ----------------------------------------------------------------------------- mu -> e phi
def width_mu_to_e_phi(h, m_phi):
    r"""Gamma(mu -> e phi) [GeV] for L = -h e-bar P_R mu phi + h.c. (e->mu paper Eq. 1):
    |h|^2 (m_mu^2 + m_e^2 - m^2) lambda^{1/2}(m_mu^2, m_e^2, m^2) / (32 pi m_mu^3) (derivation in the module
    docstring); 0 where the channel is closed (m_phi >= m_mu - m_e)."""
    m = np.asarray(m_phi, float)
    h2 = np.abs(np.asarray(h, complex)) ** 2
    lam = _lambda(M_MU ** 2, M_E ** 2, m * m)
    open_ = m < M_MU - M_E
    lam = np.where(open_, np.maximum(lam, 0.0), 0.0)
    return np.where(open_, h2 * (M_MU ** 2 + M_E ** 2 - m * m) * np.sqrt(lam) / (32.0 * math.pi * M_MU ** 3), 0.0)


def br_mu_to_e_phi(h, m_phi):
    """BR(mu -> e phi) = Gamma / (Gamma + Gamma_SM), Gamma_SM = hbar / tau_mu (PDG 2024)."""
    g = width_mu_to_e_phi(h, m_phi)
    return g / (g + HBAR_GEV_S / TAU_MU)


def twist_br_limit(m_phi):
    """The TWIST BR limit at each mass from :data:`TWIST_ABSTRACT_STEPS` (nan outside 0-80 MeV)."""
    m = np.asarray(m_phi, float)
    out = np.full(m.shape, np.nan)
    for lo, hi, lim in TWIST_ABSTRACT_STEPS:
        out = np.where((m >= lo) & (m < hi) if hi < TWIST_ABSTRACT_STEPS[-1][1] else (m >= lo) & (m <= hi), lim, out)
    return out


def mu_to_e_phi_lower_edge(m_phi, br_limit=None):
    """|h| above which BR(mu -> e phi) exceeds the limit (TWIST step function unless ``br_limit`` is given,
    a number or an array per mass); inf where no limit applies or the channel is closed.
    BR = G/(G + G_SM) = B  <=>  G = G_SM B/(1 - B), and G is |h|^2 times the unit-coupling width."""
    m = np.atleast_1d(np.asarray(m_phi, float))
    lim = twist_br_limit(m) if br_limit is None else np.broadcast_to(np.asarray(br_limit, float), m.shape)
    g1 = width_mu_to_e_phi(1.0, m)
    gsm = HBAR_GEV_S / TAU_MU
    ok = np.isfinite(lim) & (g1 > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        h = np.sqrt(gsm * lim / (1.0 - lim) / g1)
    return np.where(ok, h, np.inf)


# ----------------------------------------------------------------------------- Fock space at rest
def _dirac():
    s = [np.array([[0, 1], [1, 0]], complex), np.array([[0, -1j], [1j, 0]], complex), np.array([[1, 0], [0, -1]], complex)]
    z, one = np.zeros((2, 2), complex), np.eye(2, dtype=complex)
    g0 = np.block([[one, z], [z, -one]])
    gi = [np.block([[z, si], [-si, z]]) for si in s]
    g5 = 1j * g0 @ gi[0] @ gi[1] @ gi[2]
    return g0, gi, g5


def _spinors():
    """Rest-frame spinors with u^dagger u = 1 (non-relativistic normalisation), Dirac representation;
    v_s = i gamma^2 u_s^* (charge conjugate), so that d_s^dagger |0> has physical spin s (checked with the
    field's J_z in the tests)."""
    _, gi, _ = _dirac()
    u = [np.array([1, 0, 0, 0], complex), np.array([0, 1, 0, 0], complex)]
    v = [1j * gi[1] @ x.conj() for x in u]
    return u, v


@lru_cache(maxsize=1)
def _fock():
    """Annihilation operators of 8 fermion modes (Jordan-Wigner, 256 states): mu- (b, spins up/down),
    mu+ (d), e- (a), e+ (d_e)."""
    n = 8
    sz = np.diag([1.0, -1.0])
    # occupation basis per mode: index 0 = empty, 1 = filled; the annihilator maps filled -> empty
    lower = np.array([[0.0, 1.0], [0.0, 0.0]])
    ops = []
    for k in range(n):
        mats = [sz] * k + [lower] + [np.eye(2)] * (n - k - 1)
        out = sparse.csr_matrix(np.array([[1.0]]))
        for m in mats:
            out = sparse.kron(out, sparse.csr_matrix(m), format="csr")
        ops.append(out.astype(complex))
    # with sz = diag(+1, -1) on (empty, filled) the string gives (-1)^(number of filled modes before k)
    return ops


def _fields():
    """The zero-momentum parts of psi_mu and psi_e as 4-vectors of Fock operators: psi = sum_s (c_s u_s +
    c-bar_s^dagger v_s), split into the particle-annihilating and antiparticle-creating parts."""
    ops = _fock()
    u, v = _spinors()
    b, d_mu, a, d_e = ops[0:2], ops[2:4], ops[4:6], ops[6:8]

    def field(part, anti):
        ann = [sum(part[s] * u[s][k] for s in range(2)) for k in range(4)]
        cre = [sum(anti[s].T * v[s][k] for s in range(2)) for k in range(4)]
        return ann, cre

    return field(b, d_mu), field(a, d_e)


def _bilinear(bar_parts, psi_parts, gamma):
    """psi-bar gamma psi = sum_ab (psi^dagger)_a (gamma0 gamma)_ab psi_b for the given field parts."""
    g0, _, _ = _dirac()
    m = g0 @ gamma
    dim = bar_parts[0].shape[0]
    out = sparse.csr_matrix((dim, dim), dtype=complex)
    for i in range(4):
        for j in range(4):
            if m[i, j] != 0:
                out += m[i, j] * (bar_parts[i].conj().T @ psi_parts[j])
    return out


def conversion_states():
    """The Fock states |Mu; s_mu s_e> = d_mu^dagger a^dagger |0> and |Mu-bar; s_mu s_e> =
    b^dagger d_e^dagger |0> (product basis, index 2 s_mu + s_e with 0 = up), as state vectors."""
    ops = _fock()
    vac = np.zeros(256)
    vac[0] = 1.0
    mu = [ops[2 + s].T @ (ops[4 + t].T @ vac) for s in range(2) for t in range(2)]
    mubar = [ops[0 + s].T @ (ops[6 + t].T @ vac) for s in range(2) for t in range(2)]
    # real mode operators: .T is the adjoint
    return np.array(mu).T, np.array(mubar).T


@lru_cache(maxsize=1)
def conversion_matrices() -> dict:
    r"""Spin matrices T[j, i] = <Mu-bar_j| O |Mu_i> (product bases, index 2 s_mu + s_e, 0 = spin up; non-
    relativistic spinor normalisation; multiply by |psi(0)|^2 for the bound-state matrix element) of:

    ``"VA"``: (1/sqrt2) [mu-bar g^l (1 - g5) e][mu-bar g_l (1 - g5) e] (the MACS/PDG operator per unit G);
    ``"VA_VpA"``: (1/sqrt2) [mu-bar g^l (1 - g5) e][mu-bar g_l (1 + g5) e];
    ``"PP"``: [mu-bar g5 e][mu-bar g5 e];  ``"SS"``: [mu-bar e][mu-bar e];
    ``"TT_L"``: (mu-bar s^{mn} P_L e)(mu-bar s_{mn} P_L e);
    ``"SP_s"``, ``"SP_t"``: (mu-bar P_L e)(mu-bar P_L e) split by which legs each bilinear carries (s-like:
    annihilate mu+ e- / create mu- e+; t-like: mu+ -> e+ / e- -> mu-), so that each part can carry its own
    propagator; ``"SP"`` = their sum (the local operator).
    """
    g0, gi, g5 = _dirac()
    one = np.eye(4, dtype=complex)
    (mu_ann, mu_cre), (e_ann, e_cre) = _fields()
    # psi_mu = mu_ann (b u) + mu_cre (d^dagger v); psi-bar_mu built from its parts: the b^dagger part creates
    # mu-, the d part annihilates mu+
    mu_full = [x + y for x, y in zip(mu_ann, mu_cre)]
    e_full = [x + y for x, y in zip(e_ann, e_cre)]
    mu_state, mubar_state = conversion_states()

    def amp(op):
        return mubar_state.T @ (op @ mu_state)

    pl = (one - g5) / 2
    out = {}
    gl = [g0] + gi
    metric = [1.0, -1.0, -1.0, -1.0]
    va = sum(metric[k] * _bilinear(mu_full, e_full, gl[k] @ (one - g5)) @ _bilinear(mu_full, e_full, gl[k] @ (one - g5))
             for k in range(4)) / math.sqrt(2.0)
    vpa = sum(metric[k] * _bilinear(mu_full, e_full, gl[k] @ (one - g5)) @ _bilinear(mu_full, e_full, gl[k] @ (one + g5))
              for k in range(4)) / math.sqrt(2.0)
    out["VA"], out["VA_VpA"] = amp(va), amp(vpa)
    out["PP"] = amp(_bilinear(mu_full, e_full, g5) @ _bilinear(mu_full, e_full, g5))
    out["SS"] = amp(_bilinear(mu_full, e_full, one) @ _bilinear(mu_full, e_full, one))
    # s-like parts: (mu+ annihilated, e- annihilated) + (mu- created, e+ created)
    x_s = _bilinear(mu_cre, e_ann, pl) + _bilinear(mu_ann, e_cre, pl)
    # t-like parts: (mu+ annihilated, e+ created) + (mu- created, e- annihilated)
    x_t = _bilinear(mu_cre, e_cre, pl) + _bilinear(mu_ann, e_ann, pl)
    out["SP_s"], out["SP_t"] = amp(x_s @ x_s), amp(x_t @ x_t)
    full = _bilinear(mu_full, e_full, pl)
    out["SP"] = amp(full @ full)
    # tensor (mu-bar s^{mn} P_L e)(mu-bar s_{mn} P_L e), s^{mn} = (i/2)[g^m, g^n] (for the Fierz check)
    tt = None
    for a in range(4):
        for b in range(4):
            if a != b:
                sab = 0.5j * (gl[a] @ gl[b] - gl[b] @ gl[a])
                x = _bilinear(mu_full, e_full, sab @ pl)
                term = metric[a] * metric[b] * (x @ x)
                tt = term if tt is None else tt + term
    out["TT_L"] = amp(tt)
    return out


# Note on the parts: psi-bar = psi^dagger gamma0, and (psi_mu)^dagger of the b-part (b u) is b^dagger u^dagger: it
# CREATES mu-; of the d^dagger-part (d^dagger v) it is d v^dagger: it ANNIHILATES mu+.  Hence in _bilinear the
# "bar" argument mu_cre (= the d^dagger v part of psi_mu) gives the mu+-annihilating piece of psi-bar_mu, and
# mu_ann (the b u part) gives the mu--creating piece.  Likewise e_ann (a u) annihilates e-, e_cre creates e+.


def spin_operator_z(which: str) -> np.ndarray:
    """J_z of the zero-momentum mu (``"mu"``) or e (``"e"``) field, sum_k psi^dagger (Sigma_z/2) psi, as a Fock
    operator (for the test that d_s^dagger |0> carries physical spin s)."""
    _, gi, _ = _dirac()
    sig_z = 1j * gi[0] @ gi[1]  # Sigma^3 = i gamma^1 gamma^2 = diag(sigma_z, sigma_z)
    (mu_ann, mu_cre), (e_ann, e_cre) = _fields()
    parts = [x + y for x, y in zip(*((mu_ann, mu_cre) if which == "mu" else (e_ann, e_cre)))]
    dim = parts[0].shape[0]
    out = sparse.csr_matrix((dim, dim), dtype=complex)
    for i in range(4):
        for j in range(4):
            if sig_z[i, j] != 0:
                out += 0.5 * sig_z[i, j] * (parts[i].conj().T @ parts[j])
    return out


# ----------------------------------------------------------------------------- Breit-Rabi and time integration
def hyperfine_hamiltonians(field_tesla: float) -> tuple:
    """(H_Mu, H_Mu-bar) [Hz] in the product basis (index 2 s_mu + s_e, 0 = up): nu_hfs S_mu.S_e plus the
    Zeeman terms.  Mu: e- moment antiparallel to its spin (+a_e B S_ez), mu+ parallel (-a_mu B S_muz);
    Mu-bar: both signs reversed (e+ parallel, mu- antiparallel); same nu_hfs (CPT)."""
    sx = np.array([[0, 1], [1, 0]], complex) / 2
    sy = np.array([[0, -1j], [1j, 0]], complex) / 2
    sz = np.array([[1, 0], [0, -1]], complex) / 2
    one = np.eye(2)
    ss = sum(np.kron(s, s) for s in (sx, sy, sz))
    zee = A_E_HZ_PER_T * field_tesla * np.kron(one, sz) - A_MU_HZ_PER_T * field_tesla * np.kron(sz, one)
    return NU_HFS_HZ * ss + zee, NU_HFS_HZ * ss - zee


def _psi0_sq() -> float:
    """|psi_1s(0)|^2 = (alpha m_red)^3 / pi [GeV^3], m_red = m_e m_mu / (m_e + m_mu)."""
    m_red = M_E * M_MU / (M_E + M_MU)
    return (ALPHA * m_red) ** 3 / math.pi


def conversion_probability(t_matrix, field_tesla: float = MMBAR_FIELD_T, weights=None) -> float:
    r"""Time-integrated P(Mu -> Mu-bar) for the spin matrix ``t_matrix`` [GeV^-2: the operator's coefficient
    times a matrix of :func:`conversion_matrices`] in a field ``field_tesla`` [T]: sum_i w_i sum_j 2 |delta_ji|^2 /
    (Gamma_mu^2 + (E_i - E-bar_j)^2), delta = |psi(0)|^2 T in the Breit-Rabi eigenbases (first order in delta,
    delta << Gamma_mu).  ``weights``: populations of the Mu eigenstates in ascending energy (default 1/4 each)."""
    if not (isinstance(field_tesla, (int, float)) and math.isfinite(field_tesla) and 0 <= field_tesla <= 10):
        raise InputError("field_tesla", f"must be a number in [0, 10] T; got {field_tesla!r}")
    hm, hb = hyperfine_hamiltonians(float(field_tesla))
    em, vm = np.linalg.eigh(hm)
    eb, vb = np.linalg.eigh(hb)
    to_gev = 2.0 * math.pi * HBAR_GEV_S
    em, eb = em * to_gev, eb * to_gev
    delta = _psi0_sq() * (vb.conj().T @ np.asarray(t_matrix, complex) @ vm)  # [j, i]
    gamma = HBAR_GEV_S / TAU_MU
    w = np.full(4, 0.25) if weights is None else np.asarray(weights, float)
    p = 2.0 * np.abs(delta) ** 2 / (gamma ** 2 + (em[None, :] - eb[:, None]) ** 2)
    return float(np.sum(p.sum(axis=0) * w))


def _phi_coefficients(m_phi):
    """Per mass, the coefficients of the s-like and t-like parts of (mu-bar P_L e)^2 in H_eff per unit |h|^2:
    H = -L_eff, L_eff = (h*^2/2) [(..)(..)]_part / (m_phi^2 - q_part^2)."""
    m2 = np.asarray(m_phi, float) ** 2
    s, t = (M_MU + M_E) ** 2, (M_MU - M_E) ** 2
    with np.errstate(divide="ignore"):
        return -0.5 / (m2 - s), -0.5 / (m2 - t)


def muonium_probability_real_phi(h, m_phi, field_tesla: float = MMBAR_FIELD_T):
    """P(Mu -> Mu-bar) in ``field_tesla`` for a real phi of mass ``m_phi`` [GeV] and coupling ``h`` (arrays
    broadcast): exact propagators for the s-like and t-like contractions; proportional to |h|^4."""
    m = np.atleast_1d(np.asarray(m_phi, float))
    mats = conversion_matrices()
    cs, ct = _phi_coefficients(m)
    p1 = np.array([conversion_probability(a * mats["SP_s"] + b * mats["SP_t"], field_tesla) for a, b in zip(cs, ct)])
    return np.abs(np.asarray(h, complex)) ** 4 * (p1 if np.ndim(m_phi) else p1[0])


def muonium_lower_edge(m_phi, phi_field: str = "complex", p_limit: float = MMBAR_P_LIMIT,
                       field_tesla: float = MMBAR_FIELD_T):
    """|h| above which P(Mu -> Mu-bar) > ``p_limit`` in ``field_tesla``; inf for a complex phi (no tree-level
    conversion).  P = |h|^4 P(h=1), so |h|* = (p_limit / P(h=1))^(1/4); exactly at a pole of the propagator
    (m_phi = m_mu +- m_e, where the width of phi, not included, would regulate it) 0."""
    if phi_field not in PHI_FIELDS:
        raise InputError("phi_field", f"must be one of {', '.join(PHI_FIELDS)}; got {phi_field!r}")
    m = np.atleast_1d(check_array(m_phi, "any_mass", "m_phi")).astype(float)
    if phi_field == "complex":
        return np.full(m.shape, np.inf)
    with np.errstate(divide="ignore", invalid="ignore"):
        p1 = muonium_probability_real_phi(1.0, m, field_tesla)
        return np.where(np.isfinite(p1), (p_limit / p1) ** 0.25, 0.0)


# ----------------------------------------------------------------------------- a user's BR(m) limit
_BR_HEADER = ("source", "cl", "licence")


def load_br_limit_file(path, name: str = "br_file") -> tuple:
    """A user's BR(mu -> e X) limit curve: CSV with '# source:', '# cl:', '# licence:' header lines and columns
    ``mass_gev,br_limit`` (masses strictly increasing, 0 < BR < 1) -> (masses, limits, header)."""
    p, header, rows = read_headed_csv(path, name, _BR_HEADER, _BR_HEADER)
    if not rows or rows[0][1] != ["mass_gev", "br_limit"]:
        raise InputError(name, f"{p}: columns must be mass_gev,br_limit")
    data = []
    for n, cells in rows[1:]:
        try:
            m, b = (float(c) for c in cells)
        except ValueError:
            raise InputError(name, f"{p}, line {n}: needs two numbers mass_gev,br_limit") from None
        if not (math.isfinite(m) and 0 < m < M_MU - M_E):
            raise InputError(name, f"{p}, line {n}: mass_gev must be in (0, m_mu - m_e = {M_MU - M_E:.6g}) GeV")
        if not (0 < b < 1):
            raise InputError(name, f"{p}, line {n}: br_limit must be in (0, 1)")
        data.append((m, b))
    a = np.array(data, float).reshape(-1, 2)
    if len(a) < 2 or np.any(np.diff(a[:, 0]) <= 0):
        raise InputError(name, f"{p}: needs >= 2 rows with strictly increasing mass_gev")
    return a[:, 0], a[:, 1], header


def br_limit_from_file(path, m_phi):
    """The user's BR limit at each mass (log-log interpolation; nan outside the file's masses)."""
    mf, bf, _ = load_br_limit_file(path)
    m = np.atleast_1d(np.asarray(m_phi, float))
    inside = (m >= mf[0]) & (m <= mf[-1])
    val = np.exp(np.interp(np.log(m), np.log(mf), np.log(bf)))
    return np.where(inside, val, np.nan)
