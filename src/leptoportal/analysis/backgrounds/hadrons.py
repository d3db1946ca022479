"""In-flight muonic decays of the beam's hadron admixture (pi-, K-) between the SRD and the ECAL.

Source of the scenario: e->mu paper, Sec. III A (pi/e < 1e-2, K ~ 3 % of pi, SRD electron
identification leaving a hadron contamination "at the level of ~2e-5") and Sec. III C (decay
between SRD and ECAL with probabilities 0.04 % (pi), 0.32 % (K); survival after cuts
9.6e-5 (pi), 5.6e-5 (K); total 1.9e-11 per EOT).  With those numbers the paper's total is
reproduced as (pi/e) x SRD x (s_pi + (K/pi) s_K) = 1e-2 x 2e-5 x (9.6e-5 + 0.03 x 5.6e-5)
= 1.95e-11 per EOT, i.e. the "2e-5" acts as a suppression factor of the hadron admixture --
that reading is the default here (``srd_suppression``) and is configurable.

Physics:
* masses and lifetimes (c tau) from the `particle` package (PDG);
* decay probability between the SRD (distance ``d_srd`` upstream of the ECAL front) and the
  ECAL front for momentum p: P = 1 - exp(-d/lambda), lambda = p c tau / m (the survival up to
  the SRD is part of the admixture figure);
* branching ratios (the `particle` package carries no decay tables): PDG 2022 Review of
  Particle Physics, pi+- and K+- listings: BR(pi -> mu nu) = 0.9998770,
  BR(K -> mu nu) = 0.6356, BR(K -> pi0 mu nu) = 0.03352;
* two-body pi/K -> mu nu: isotropic in the rest frame, p* = (M^2 - m_mu^2)/(2M), boosted;
  in the ultra-relativistic limit x = E_mu/E_h is uniform on [m_mu^2/M^2, 1];
* K_mu3 (K -> pi0 mu nu): Dalitz-plot density of the V-A matrix element with form factors,
  PDG review "Form factors for semileptonic K decays" (Chounet, Gaillard & Gaillard,
  Phys. Rep. 4 (1972) 199, Eq. for rho(E_pi, E_mu)):
      rho ~ f+^2(t) [A + B xi(t) + C xi(t)^2],
      A = M (2 E_mu E_nu - M E'_pi) + m_mu^2 (E'_pi/4 - E_nu),
      B = m_mu^2 (E_nu - E'_pi/2),   C = m_mu^2 E'_pi / 4,
      E'_pi = (M^2 + m_pi^2 - m_mu^2)/(2M) - E_pi,   t = (p_K - p_pi)^2,
      xi = f-/f+ = (f0/f+ - 1)(M^2 - m_pi^2)/t,
  with f+(t) = 1 + lambda'_+ t/m_pi^2 + lambda''_+/2 (t/m_pi^2)^2, f0(t) = 1 + lambda_0 t/m_pi^2
  and lambda'_+ = 0.0248, lambda''_+ = 0.0016, lambda_0 = 0.0134 (PDG K_l3 quadratic fit,
  FlaviaNet average).  Sampled uniformly on the Dalitz plot (E_pi, E_mu) and accepted by
  rejection; the pi0 energy is counted as deposited in the ECAL.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from particle import Particle

from ...errors import InputError
from ...particles import M_MU

# --- PDG 2022 branching ratios (Review of Particle Physics, PTEP 2022 083C01, listings) -------
BR_PI_MUNU = 0.9998770
BR_K_MUNU = 0.6356
BR_K_PI0MUNU = 0.03352
# K_l3 form-factor slopes (PDG review "Form factors for semileptonic K decays", quadratic fit)
KL3_LAMBDA_PLUS_1 = 0.0248
KL3_LAMBDA_PLUS_2 = 0.0016
KL3_LAMBDA_0 = 0.0134


def _pdg(pid):
    p = Particle.from_pdgid(pid)
    return p.mass / 1000.0, (p.ctau / 10.0 if p.ctau is not None else math.inf)  # GeV, cm


M_PI, CTAU_PI_CM = _pdg(-211)
M_K, CTAU_K_CM = _pdg(-321)
M_PI0, _ = _pdg(111)

SPECIES = {"pi-": (M_PI, CTAU_PI_CM), "K-": (M_K, CTAU_K_CM)}


def decay_length_cm(species: str, momentum_gev) -> np.ndarray:
    """lambda = p c tau / m  [cm]."""
    if species not in SPECIES:
        raise InputError("species", f"unknown hadron {species!r}; valid: {', '.join(SPECIES)}")
    m, ctau = SPECIES[species]
    p = np.asarray(momentum_gev, float)
    if np.any(~np.isfinite(p)) or np.any(p <= 0):
        raise InputError("momentum_gev", "must be finite and > 0 GeV")
    return p * ctau / m


def decay_probability(species: str, momentum_gev, distance_cm) -> np.ndarray:
    """P(decay within ``distance_cm``) = 1 - exp(-d/lambda)."""
    d = np.asarray(distance_cm, float)
    if np.any(~np.isfinite(d)) or np.any(d < 0):
        raise InputError("distance_cm", "must be finite and >= 0 cm")
    return -np.expm1(-d / decay_length_cm(species, momentum_gev))


# ------------------------------------------------------------------ kinematics -------------
def _isotropic(n, rng):
    c = 2.0 * rng.random(n) - 1.0
    s = np.sqrt(1.0 - c * c)
    ph = 2.0 * np.pi * rng.random(n)
    return np.column_stack([s * np.cos(ph), s * np.sin(ph), c])


def _boost_z(p4, gamma, beta_gamma):
    """Boost rest-frame four-vectors along +z (parent momentum along +z)."""
    E = gamma * p4[:, 0] + beta_gamma * p4[:, 3]
    pz = beta_gamma * p4[:, 0] + gamma * p4[:, 3]
    return np.column_stack([E, p4[:, 1], p4[:, 2], pz])


def two_body_decay(parent_mass, parent_momentum, m1, m2, rng: np.random.Generator):
    """Parent (along +z, momentum array) -> 1 + 2, isotropic in the rest frame.

    Returns the lab four-vectors (n,4) of daughters 1 and 2.
    """
    P = np.asarray(parent_momentum, float).ravel()
    M = float(parent_mass)
    if not M >= m1 + m2:
        raise InputError("parent_mass", f"{M} GeV below the threshold m1 + m2 = {m1 + m2} GeV")
    pstar = math.sqrt((M * M - (m1 + m2) ** 2) * (M * M - (m1 - m2) ** 2)) / (2.0 * M)
    d = _isotropic(P.size, rng)
    e1, e2 = math.sqrt(pstar**2 + m1**2), math.sqrt(pstar**2 + m2**2)
    q1 = np.column_stack([np.full(P.size, e1), pstar * d])
    q2 = np.column_stack([np.full(P.size, e2), -pstar * d])
    gamma = np.sqrt(P * P + M * M) / M
    bg = P / M
    return _boost_z(q1, gamma, bg), _boost_z(q2, gamma, bg)


def kl3_weight(e_pi, e_mu, M=M_K, m_pi=M_PI0, m_l=M_MU):
    """Dalitz density rho(E_pi, E_mu) of K_l3 (PDG review; see module docstring)."""
    e_nu = M - e_pi - e_mu
    e_pi_p = (M * M + m_pi * m_pi - m_l * m_l) / (2.0 * M) - e_pi
    t = M * M + m_pi * m_pi - 2.0 * M * e_pi
    tn = t / (M_PI * M_PI)  # slopes are defined in units of the charged pion mass
    fp = 1.0 + KL3_LAMBDA_PLUS_1 * tn + 0.5 * KL3_LAMBDA_PLUS_2 * tn * tn
    f0 = 1.0 + KL3_LAMBDA_0 * tn
    xi = (f0 / fp - 1.0) * (M * M - m_pi * m_pi) / t
    A = M * (2.0 * e_mu * e_nu - M * e_pi_p) + m_l * m_l * (e_pi_p / 4.0 - e_nu)
    B = m_l * m_l * (e_nu - e_pi_p / 2.0)
    C = m_l * m_l * e_pi_p / 4.0
    return fp * fp * (A + B * xi + C * xi * xi)


def dalitz_cos(e_pi, e_mu, M=M_K, m_pi=M_PI0, m_l=M_MU):
    """cos(angle between pi and mu) in the K rest frame for given energies (|cos| <= 1 inside)."""
    e_nu = M - e_pi - e_mu
    p_pi = np.sqrt(np.maximum(e_pi**2 - m_pi**2, 0.0))
    p_mu = np.sqrt(np.maximum(e_mu**2 - m_l**2, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        return (e_nu**2 - p_pi**2 - p_mu**2) / (2.0 * p_pi * p_mu)


_KL3_WMAX = None


def _kl3_wmax():
    global _KL3_WMAX
    if _KL3_WMAX is None:
        ep = np.linspace(M_PI0, (M_K**2 + M_PI0**2 - M_MU**2) / (2 * M_K), 801)
        em = np.linspace(M_MU, (M_K**2 + M_MU**2 - M_PI0**2) / (2 * M_K), 801)
        EP, EM = np.meshgrid(ep, em)
        inside = np.abs(dalitz_cos(EP, EM)) <= 1.0
        _KL3_WMAX = 1.1 * float(np.max(np.where(inside, kl3_weight(EP, EM), 0.0)))
    return _KL3_WMAX


def sample_kmu3_rest(n: int, rng: np.random.Generator):
    """(E_pi0, E_mu) in the K rest frame from the K_mu3 Dalitz density (rejection)."""
    ep_max = (M_K**2 + M_PI0**2 - M_MU**2) / (2 * M_K)
    em_max = (M_K**2 + M_MU**2 - M_PI0**2) / (2 * M_K)
    wmax = _kl3_wmax()
    e_pi = np.empty(n)
    e_mu = np.empty(n)
    todo = np.arange(n)
    while todo.size:
        ep = M_PI0 + rng.random(todo.size) * (ep_max - M_PI0)
        em = M_MU + rng.random(todo.size) * (em_max - M_MU)
        c = dalitz_cos(ep, em)
        w = np.where(np.abs(c) <= 1.0, kl3_weight(ep, em), 0.0)
        acc = rng.random(todo.size) * wmax <= w
        e_pi[todo[acc]], e_mu[todo[acc]] = ep[acc], em[acc]
        todo = todo[~acc]
    return e_pi, e_mu


def kmu3_decay(parent_momentum, rng: np.random.Generator):
    """K- -> pi0 mu- nu: lab four-vectors (p_pi0, p_mu, p_nu) for a K along +z."""
    P = np.asarray(parent_momentum, float).ravel()
    n = P.size
    e_pi, e_mu = sample_kmu3_rest(n, rng)
    c = np.clip(dalitz_cos(e_pi, e_mu), -1.0, 1.0)
    p_pi = np.sqrt(np.maximum(e_pi**2 - M_PI0**2, 0.0))
    p_mu = np.sqrt(np.maximum(e_mu**2 - M_MU**2, 0.0))
    u = _isotropic(n, rng)  # mu direction
    # a unit vector perpendicular to u, rotated by a random azimuth
    helper = np.where(np.abs(u[:, 2:3]) < 0.9, np.array([[0.0, 0.0, 1.0]]), np.array([[1.0, 0.0, 0.0]]))
    e1 = np.cross(helper, u)
    e1 /= np.linalg.norm(e1, axis=1, keepdims=True)
    e2 = np.cross(u, e1)
    ph = 2.0 * np.pi * rng.random(n)
    s = np.sqrt(1.0 - c * c)
    v = c[:, None] * u + s[:, None] * (np.cos(ph)[:, None] * e1 + np.sin(ph)[:, None] * e2)
    q_mu = np.column_stack([e_mu, p_mu[:, None] * u])
    q_pi = np.column_stack([e_pi, p_pi[:, None] * v])
    q_nu = np.column_stack([M_K - e_mu - e_pi, -(q_mu[:, 1:] + q_pi[:, 1:])])
    gamma = np.sqrt(P * P + M_K * M_K) / M_K
    bg = P / M_K
    return _boost_z(q_pi, gamma, bg), _boost_z(q_mu, gamma, bg), _boost_z(q_nu, gamma, bg)


# --------------------------------------------------------------------- config --------------
@dataclass(frozen=True)
class HadronConfig:
    """Beam hadron admixture (e->mu paper Sec. III A) and SRD suppression.

    ``pi_per_e``: pi-/e- ratio (paper: < 1e-2; the bound is used as the value);
    ``k_per_pi``: K-/pi- ratio (paper: ~3 %); ``srd_suppression``: fraction of hadrons
    surviving the SRD electron identification (paper: ~2e-5); ``d_srd_cm``: distance from the
    end of the SRD to the ECAL front (None: taken from the setup).
    """

    pi_per_e: float = 1.0e-2
    k_per_pi: float = 0.03
    srd_suppression: float = 2.0e-5
    d_srd_cm: float | None = None
    channels: tuple = field(default=("pi->mu nu", "K->mu nu", "K->pi0 mu nu"))

    def __post_init__(self):
        for name in ("pi_per_e", "k_per_pi", "srd_suppression"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and math.isfinite(v) and 0 <= v <= 1):
                raise InputError(name, f"must be a fraction in [0, 1]; got {v!r}")
        if self.d_srd_cm is not None and not (math.isfinite(self.d_srd_cm) and self.d_srd_cm > 0):
            raise InputError("d_srd_cm", f"must be > 0 cm; got {self.d_srd_cm!r}")


CHANNELS = {
    # name: (parent species, BR)
    "pi->mu nu": ("pi-", BR_PI_MUNU),
    "K->mu nu": ("K-", BR_K_MUNU),
    "K->pi0 mu nu": ("K-", BR_K_PI0MUNU),
}


@dataclass
class DecaySample:
    """Forced decays of one channel: muon four-vector, decay z (cm, global), extra ECAL energy
    (pi0), and the weight per *beam hadron of that species* (P_decay x BR / n)."""

    channel: str
    p4_mu: np.ndarray
    z_decay_cm: np.ndarray
    e_ecal_extra: np.ndarray
    weight_per_hadron: np.ndarray
    p_decay: float


def sample_decays(channel: str, n: int, rng: np.random.Generator, *, momentum_gev: float,
                  z_ecal_cm: float, d_srd_cm: float) -> DecaySample:
    """Force ``n`` decays of ``channel`` between the SRD and the ECAL front.

    The decay distance from the SRD follows the truncated exponential exp(-s/lambda) on [0, d].

    Importance sampling: every simulated hadron decays in the window; its weight carries the
    true probability P_decay x BR (per beam hadron of the species), divided by n.
    """
    if channel not in CHANNELS:
        raise InputError("channel", f"unknown channel {channel!r}; valid: {', '.join(CHANNELS)}")
    if not (isinstance(n, (int, np.integer)) and n > 0):
        raise InputError("n", f"must be a positive integer; got {n!r}")
    species, br = CHANNELS[channel]
    lam = float(decay_length_cm(species, momentum_gev))
    p_dec = float(decay_probability(species, momentum_gev, d_srd_cm))
    # truncated exponential on [0, d] measured from the SRD
    u = rng.random(n)
    s = -lam * np.log1p(-u * p_dec)
    z = z_ecal_cm - d_srd_cm + s
    P = np.full(n, float(momentum_gev))
    if channel == "K->pi0 mu nu":
        q_pi, q_mu, _ = kmu3_decay(P, rng)
        extra = q_pi[:, 0]
    else:
        m_par = M_PI if species == "pi-" else M_K
        q_mu, _ = two_body_decay(m_par, P, M_MU, 0.0, rng)
        extra = np.zeros(n)
    w = np.full(n, p_dec * br / n)
    return DecaySample(channel, q_mu, z, extra, w, p_dec)
