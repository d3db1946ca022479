"""ETL integrand against an independent 40-digit construction.

The production code builds the kinematics in the frame V = p - k along z with
subtraction-free formulas and averages |A|^2 over phi_q in closed form.  Here we
build the same phase-space point in a *different* frame (beam along z) with
mpmath at 40 digits, form the exact invariants, evaluate the printed Eq. (10)
(whose correctness against the Dirac trace is tested in test_amplitudes_trace.py)
and average over phi_q by adaptive quadrature.  Agreement to 1e-7 verifies the
frame, t_min/t_max, the stable rewrites and the analytic phi_q average at real
forward kinematics where naive double precision fails.
"""

import mpmath as mp
import numpy as np
import pytest

from leptoportal.particles import M_E, M_MU
from leptoportal.units import AMU_GEV
from leptoportal.xsec import etl
from leptoportal.xsec.amplitudes import amp2_23_invariants
from leptoportal.xsec.kinematics import frame

M_PB = 207.2 * AMU_GEV


def _mp_avg_amp(E, x, theta, t, m_i, m_f, m_phi, M):
    mp.mp.dps = 40
    E, x, theta, t = mp.mpf(E), mp.mpf(x), mp.mpf(theta), mp.mpf(t)
    m_i, m_f, m_phi, M = mp.mpf(m_i), mp.mpf(m_f), mp.mpf(m_phi), mp.mpf(M)
    Ek = x * E
    pabs = mp.sqrt(E**2 - m_i**2)
    kabs = mp.sqrt(Ek**2 - m_phi**2)
    p = [E, mp.mpf(0), mp.mpf(0), pabs]
    k = [Ek, kabs * mp.sin(theta), mp.mpf(0), kabs * mp.cos(theta)]
    Vv = [p[i] - k[i] for i in (1, 2, 3)]
    V = mp.sqrt(sum(c * c for c in Vv))
    ez = [c / V for c in Vv]
    kv = k[1:]
    kz = sum(a * b for a, b in zip(kv, ez))
    ex = [kv[i] - kz * ez[i] for i in range(3)]
    nx = mp.sqrt(sum(c * c for c in ex))
    ex = [c / nx for c in ex]
    ey = [ez[1] * ex[2] - ez[2] * ex[1], ez[2] * ex[0] - ez[0] * ex[2], ez[0] * ex[1] - ez[1] * ex[0]]
    qabs = mp.sqrt(t + t * t / (4 * M * M))
    Ep = E - Ek - t / (2 * M)
    cq = (Ep**2 - m_f**2 - V**2 - qabs**2) / (2 * V * qabs)
    assert abs(cq) <= 1
    sq = mp.sqrt(1 - cq * cq)

    def dot(a, b):
        return a[0] * b[0] - a[1] * b[1] - a[2] * b[2] - a[3] * b[3]

    def amp(phi):
        qv = [qabs * (sq * mp.cos(phi) * ex[i] + sq * mp.sin(phi) * ey[i] + cq * ez[i]) for i in range(3)]
        q = [-t / (2 * M)] + qv
        Pi = [M, 0, 0, 0]
        Pf = [Pi[i] - q[i] for i in range(4)]
        P = [Pi[i] + Pf[i] for i in range(4)]
        pp = [p[i] + q[i] - k[i] for i in range(4)]
        assert abs(dot(pp, pp) - m_f**2) < mp.mpf(10) ** -25
        assert abs(dot(Pf, Pf) - M**2) < mp.mpf(10) ** -25
        s = dot([pp[i] + k[i] for i in range(4)], [pp[i] + k[i] for i in range(4)]) - m_i**2
        u = dot([p[i] - k[i] for i in range(4)], [p[i] - k[i] for i in range(4)]) - m_f**2
        return amp2_23_invariants(s, u, t, dot(P, P), dot(P, p), dot(P, pp), dot(P, k), m_phi, m_i, m_f)

    return mp.quad(amp, [0, mp.pi / 2, mp.pi, 3 * mp.pi / 2, 2 * mp.pi]) / (2 * mp.pi)


CASES = [
    # (E, m_i, m_f, m_phi, x, theta/theta0, t/tmin)
    (100.0, M_E, M_MU, 0.11, 0.3, 0.3, 1.01),
    (100.0, M_E, M_MU, 0.11, 0.9, 3.0, 10.0),
    (100.0, M_E, M_MU, 1.0, 0.5, 1.0, 1.5),
    (100.0, M_E, M_MU, 1.0, 0.95, 0.5, 1e3),
    (1000.0, M_E, M_E, 1e-3, 0.5, 1.0, 3.0),
    (150.0, M_MU, M_MU, 0.05, 0.7, 2.0, 30.0),
]


@pytest.mark.parametrize("E,m_i,m_f,m_phi,x,thr,tr", CASES)
def test_phi_averaged_amplitude_matches_40_digit_reference(E, m_i, m_f, m_phi, x, thr, tr):
    fr0 = frame(E, m_i, x * E, m_phi, m_f, 0.0, M_PB)
    theta0 = np.sqrt(abs(float(fr0.ut)) / (x * E * E))
    theta = thr * theta0
    fr = frame(np.array([E]), m_i, np.array([x * E]), m_phi, m_f, np.array([theta]), M_PB)
    assert fr.valid[0]
    t = tr * fr.tmin[0]
    assert t < fr.tmax[0]
    dm2 = m_phi**2 - m_i**2 - m_f**2
    got = etl.amp_avg_x(fr, np.array([[t]]), M_PB, m_phi, dm2)[0, 0]
    ref = float(_mp_avg_amp(E, x, theta, t, m_i, m_f, m_phi, M_PB))
    assert got == pytest.approx(ref, rel=1e-7)


def test_tmin_tmax_are_the_kinematic_boundaries():
    """At t_min and t_max the recoil is antiparallel to V (cos theta_q = -1), checked in mpmath."""
    E, x, m_phi = 100.0, 0.6, 0.3
    fr = frame(np.array([E]), M_E, np.array([x * E]), m_phi, M_MU, np.array([2e-3]), M_PB)
    mp.mp.dps = 40
    for t in (fr.tmin[0], fr.tmax[0]):
        t = mp.mpf(t)
        Ep = E - x * E - t / (2 * M_PB)
        qabs = mp.sqrt(t + t * t / (4 * M_PB**2))
        V = mp.mpf(fr.V[0])
        cq = (Ep**2 - M_MU**2 - V**2 - qabs**2) / (2 * V * qabs)
        assert float(cq) == pytest.approx(-1.0, abs=1e-9)
