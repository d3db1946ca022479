"""Squared amplitudes for l_i + N -> l_f + N + phi and l_i + gamma -> l_f + phi.

Vertices (``vertex``):

* ``"chiral"``: h l_f-bar P_R l_i phi (e->mu paper Eq. 1), the published Eqs. (10), (20);
* ``"scalar"``: g l_f-bar l_i phi (for l_i = l_f the leptophilic S of the NA64-mu paper,
  Eq. 2.1);
* ``"pseudoscalar"``: g l_f-bar i gamma5 l_i a.

Scalar and pseudoscalar follow from the chiral result in closed form (derivation in
docs/physics.md, "Scalar and pseudoscalar vertices"): write the lepton tensor
L = L_even + L_odd, split by parity in m_i.  Moving gamma5 through the chain shows
L_pseudo(m_i) = L_scalar(-m_i), and L_chiral = (L_scalar + L_pseudo)/4 = L_even/2.  The
odd part is L_odd = -16 m_i m_f X, with X the coefficient of the vertex mass combination
dm2 = m_phi^2 - m_i^2 - m_f^2 in Eqs. (10) and (20).  Hence, for both 2->3 and 2->2,

    |A|^2_scalar  = 2 |A|^2_chiral  with dm2 -> m_phi^2 - (m_i + m_f)^2,
    |A|^2_pseudo  = 2 |A|^2_chiral  with dm2 -> m_phi^2 - (m_i - m_f)^2,

where only the *vertex* dm2 (the coefficient of the second structure) changes, not the
mass combinations that come from kinematics.  :func:`vertex_factors` returns
(norm, dm2_vertex).  All three are verified against explicit Dirac traces
(tests/test_amplitudes_trace.py).  With m_i = m_f = m and the IWW flux the scalar case
reproduces Eq. (3.2) of the NA64-mu paper, prefactor 1/(12 pi) (its footnote 7).

Conventions verified numerically against explicit 4x4 Dirac-matrix
traces (tests/test_amplitudes_trace.py):

* |A_{2->3}|^2 of Eq. (10) is the lepton-spin *average* (1/2) sum_{s,s'} of the
  spinor chain of Eq. (7) with the 1/q^2 and e^2 h F stripped (Eq. 9), provided
  the scalar products are the exact ones.  The printed Eq. (11) for P.p' drops a
  term: exactly P.p' = 2M(E_i - E_phi) + (u~ + t)/2 - t, because E' = E_i - E_phi -
  t/(2M) (nucleus recoil).  We never use the printed Eq. (11): products come from
  explicit four-vectors.
* |A_{2->2}|^2 of Eq. (20) is averaged over the lepton spin *and* the photon
  polarisation: (1/4) sum, with sum_pol eps eps* -> -g.
"""

from __future__ import annotations

from ..errors import InputError
from ..models.vertices import VERTICES


def vertex_factors(vertex: str, m_phi, m_i, m_f):
    """(norm, dm2_vertex) of a vertex: |A|^2 = norm * |A|^2_chiral(dm2 -> dm2_vertex).

    chiral: (1, m_phi^2 - m_i^2 - m_f^2)  [Eqs. (10), (20) of the e->mu paper];
    scalar: (2, m_phi^2 - (m_i + m_f)^2); pseudoscalar: (2, m_phi^2 - (m_i - m_f)^2)
    (derived in docs/physics.md; Dirac-trace verified).
    """
    if vertex == "chiral":
        return 1.0, m_phi**2 - m_i**2 - m_f**2
    if vertex == "scalar":
        return 2.0, m_phi**2 - (m_i + m_f) ** 2
    if vertex == "pseudoscalar":
        return 2.0, m_phi**2 - (m_i - m_f) ** 2
    raise InputError("vertex", f"unknown vertex {vertex!r}; valid: {', '.join(VERTICES)}")


#: sigma of dm2_vertex = m_phi^2 - m_i^2 - m_f^2 - 2 sigma m_i m_f (see :func:`vertex_factors`)
VERTEX_SIGN = {"chiral": 0.0, "scalar": 1.0, "pseudoscalar": -1.0}


def vertex_sign(vertex: str) -> float:
    """sigma in dm2_vertex = m_phi^2 - m_i^2 - m_f^2 - 2 sigma m_i m_f: 0 (chiral), +1 (scalar), -1
    (pseudoscalar), the same combinations as :func:`vertex_factors`."""
    if vertex not in VERTEX_SIGN:
        raise InputError("vertex", f"unknown vertex {vertex!r}; valid: {', '.join(VERTICES)}")
    return VERTEX_SIGN[vertex]


def amp2_23_invariants(s, u, t, P2, Pp, Ppp, Pk, m_phi, m_i, m_f, vertex="chiral"):
    """Eq. (10) as printed, with the scalar products supplied by the caller (any vertex).

    Reference form (used in tests and for generic kinematics).  With *exact*
    invariants rounded to double it is accurate to ~1e-11 even at forward
    100 GeV kinematics; the trouble is forming those invariants: built in
    double from lab four-vectors they lose up to ~6 digits (and a naive
    double-precision Dirac trace can be O(1) wrong).  Production code therefore
    uses :func:`amp2_23_lab` with subtraction-free inputs.
    """
    norm, dm2 = vertex_factors(vertex, m_phi, m_i, m_f)
    su = s + u
    return norm * (
        su**2 / (2 * s * u) * P2
        - 2 * t / (s * u) * Pk**2
        + su**2 / (2 * s**2 * u**2) * dm2 * (P2 * t - 4 * ((u * Pp + s * Ppp) / su) ** 2)
    )


def amp2_23_lab(M, t, s, u, kq, q2, kxq2, wq, Ek, m_phi, dm2):
    """Eq. (10) rewritten without cancellations, in the nucleus rest frame.

    With P_i = (M, 0), q = P_i - P_f, k the scalar, w = E_i k_vec - E_k p_vec:

      s + u = 2 k.q,
      T1 + T2 = -8 M^2 (m_phi^2 |q|^2 + |k x q|^2) / (s u),
      u P.p + s P.p' = N = -4 M (w . q_vec) + 2 M E_k t - t (k.q),
      T3 + T4 = 2 dm2 [ (k.q)^2 (4 M^2 + t) t - N^2 ] / (s^2 u^2).

    The identities follow from P = 2 P_i - q, s = 2p.q - t, u = -2p'.q - t and
    energy conservation E' = E_i - E_k - t/(2M); derivation in docs/physics.md.
    Arguments: kq = k.q (4-vector product), q2 = |q_vec|^2, kxq2 = |k_vec x q_vec|^2,
    wq = w . q_vec.  Returns the spin-averaged |A|^2 (same normalisation as Eq. 10).
    ``dm2`` is the vertex mass combination of :func:`vertex_factors` (multiply the result
    by its ``norm`` for the scalar and pseudoscalar vertices).
    """
    su2 = s * u
    t12 = -8.0 * M * M * (m_phi * m_phi * q2 + kxq2) / su2
    N = -4.0 * M * wq + 2.0 * M * Ek * t - t * kq
    t34 = 2.0 * dm2 * (kq * kq * (4.0 * M * M + t) * t - N * N) / (su2 * su2)
    return t12 + t34


def amp2_22(s, u, t2, m_phi, m_i, m_f, vertex="chiral"):
    """Eq. (20): spin- and polarisation-averaged |A|^2 of l_i(p) gamma(q) -> l_f(p') phi(k).

    s = (p + q)^2 - m_i^2, u = (p - k)^2 - m_f^2, t2 = (p' - p)^2, s + u + t2 = m_phi^2.
    Scalar/pseudoscalar vertex: :func:`vertex_factors`.
    """
    norm, dm2 = vertex_factors(vertex, m_phi, m_i, m_f)
    return norm * (-((s + u) ** 2) / (2 * s * u) + dm2 * ((s + u) * (s * m_f**2 + u * m_i**2) / (s**2 * u**2) - t2 / (s * u)))
