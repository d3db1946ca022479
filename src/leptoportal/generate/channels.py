"""Sampling channels: the engine's differential cross sections on the unit cube.

Each channel maps u in [0, 1]^d to physical variables with a known Jacobian, and returns
the *engine's* density times that Jacobian: ETL and the NumPy reference path of WW/IWW call
:mod:`leptoportal.xsec` directly; the default WW/IWW path evaluates the compiled copy
:mod:`leptoportal.xsec.compiled` (same formulas, same operation order; tested equal to the
engine to <= 1.9e-13 relative, measured <= 7.6e-15, tests/test_compiled.py).  The maps only serve
efficiency: any bijection with its exact Jacobian keeps
the rejection sampler exact.

* :class:`WWChannel` -- WW (e->mu paper Eq. 22 in (x, theta_k), Eq. 27 in (y, psi)) and IWW
  (the same integrands with the constant IWW flux of App. A; their angular measure is
  theta dtheta / psi dpsi, the small-angle dcos of Eqs. A1-A4).  d = 2:
  u_0 -> energy fraction, linear on its range; u_1 -> angle through
  v = a^2/(a^2 + a_0^2), linear in v on [0, v(a_max)], with a_0 the characteristic angle
  (theta_0^2 = |u~(theta = 0)|/(x E^2), Eq. 18; psi_0 of :func:`leptoportal.xsec.ww.psi0`).
  For these peaks, dsigma/dv is nearly flat.
* :class:`ETLChannel` -- the exact 2->3 integrand of the (y, psi) frame, un-averaged in the
  recoil azimuth phi_q (:func:`leptoportal.xsec.etl._amp_y`; phase space of Eq. 12 with the
  roles of phi and l_f swapped, docs/physics.md Sec. 3):

      d^4 sigma / (dy dcos(psi) dt dphi_q) = alpha^2/(4 pi) E |p'|/(|p| V') G2(t)/t^2
                                             |A_{2->3}|^2/(8 M^2) / pi,   phi_q in [0, pi]

  (|A|^2 depends on cos(phi_q) only; the sign of phi_q is drawn uniformly afterwards).
  d = 4: y and psi as above (psi_max = pi); t by the inverse CDF of G2(t)/Z^2 per d ln t
  (a table, piecewise linear in ln t, on [t_min, t_max] of the exact kinematics);
  phi_q = 2 atan(kappa tan(pi u/2)), the exact inverse CDF of 1/(a - b cos(phi_q)),
  which flattens the collinear 1/s and 1/u~ peaks at phi_q = 0 (s = a_s - b cos(phi_q),
  |u~| = a_u - b cos(phi_q), b = 2 p'_x q_T; kappa^2 = min over both of (a - b)/(a + b)).

All densities are per unit coupling squared, in GeV^-2 per unit volume of u.

Speed: WWChannel evaluates h, the rejection loop and the event completion in compiled per-point
kernels (:mod:`leptoportal.xsec.compiled` and :mod:`leptoportal.generate.compiled` -- the same algebra
as the engine, tested equal to <= 1.9e-13 relative -- and the loops of :mod:`leptoportal.generate.kernels`,
:func:`.kernels.ww_accept_kernel`, :func:`.kernels.ww_complete_kernel`); unweighted events come
from one fused kernel, :func:`.kernels.ww_events_kernel` (rejection, completion, four-vectors and
the per-event conservation check; ``sampler.FUSED = False`` runs the separate stages instead).
``WWChannel.h_numpy`` / ``complete_numpy`` are the NumPy reference implementations.
"""

from __future__ import annotations

import inspect
from functools import lru_cache

import numpy as np

from ..errors import InputError
from ..units import ALPHA
from ..xsec.amplitudes import vertex_factors
from ..xsec import etl, iww, ww
from ..xsec.kinematics import frame, q_polar
from .fourvec import angle_to_beam, build_final_state

try:  # compiled density, flux, frame and sampling loops (tested equal to the NumPy engine, tests/test_compiled.py)
    from ..xsec import compiled as xc
    from . import compiled as gc
    from . import kernels
except Exception:  # pragma: no cover - numba is a declared dependency
    xc = gc = kernels = None

#: False forces the NumPy reference path of :class:`WWChannel` (the engine's array functions) everywhere --
#: used by benchmarks/bench_generate.py to time "before" and "after" in one run; results are then drawn
#: from a different random stream (same seed => same numbers within each setting).
USE_COMPILED = True


@lru_cache(maxsize=None)
def accepts_vertex(fn) -> bool:
    try:
        return "vertex" in inspect.signature(fn).parameters
    except (TypeError, ValueError):  # pragma: no cover
        return False


def vertex_kw(fn, vertex: str) -> dict:
    """``{"vertex": vertex}`` if the engine function takes it; error if a non-chiral vertex cannot be honoured."""
    if accepts_vertex(fn):
        return {"vertex": vertex}
    if vertex != "chiral":
        raise InputError("vertex", f"the cross-section engine ({fn.__module__}.{fn.__name__}) supports only the "
                                   f"chiral vertex; got {vertex!r}")
    return {}


def _sin_over(a):
    """sin(a)/a (1 at a = 0); cheaper than np.sinc."""
    return np.divide(np.sin(a), a, out=np.ones_like(a), where=a > 0)


def _angle_map(u, a0, a_max):
    """v = a^2/(a^2 + a0^2) linear in u on [0, v_max]: returns (a, factor) with
    factor = (dv/du) * (da/dv) * a  (multiply by sin(a)/a for the dcos measure)."""
    a0 = np.clip(a0, 1e-300, None)
    den = a_max * a_max + a0 * a0
    vmax = a_max * a_max / den
    v = u * vmax
    omv = (1.0 - u) + u * (a0 * a0 / den)  # 1 - v without rounding to 0 when a0 << a_max
    a = np.minimum(a0 * np.sqrt(v / omv), a_max)
    # da/dv = a0^2 / (2 a (1 - v)^2)
    return a, vmax * a0 * a0 / (2.0 * omv * omv)


def g2_bound_nucleus(tmin, tmax, Z, A, inelastic):
    """Upper bound of G2 on [tmin, tmax]: G2_el <= Z^2 min(1, (t/t_a)^2, (d/t)^2) (Eq. 6, each
    factor bounded separately) -- piecewise monotone, so its maximum sits at an end point or at
    t_a, d clipped into the interval; G2_inel <= Z (Bjorken et al. Eq. A19: both factors <= 1)."""
    from ..xsec.formfactors import nuclear_d, screening_tsai

    ta = float(1.0 / screening_tsai(Z) ** 2)
    td = float(nuclear_d(A))

    def b(t):
        return np.minimum(np.minimum(1.0, (t / ta) ** 2), (td / t) ** 2)

    cands = [tmin, tmax, np.clip(ta, tmin, tmax), np.clip(td, tmin, tmax)]
    bound = Z * Z * np.max([b(c) for c in cands], axis=0)
    if inelastic:
        # G2_inel = Z S(t) P(t) with the screening S <= 1 and the proton factor
        # P = ((1 + t (mu_p^2 - 1)/(4 m_p^2)) / (1 + t/0.71)^4)^2 decreasing in t >= 0: <= Z P(t_min)
        from ..units import M_PROTON_GEV, MU_PROTON

        d2 = (1.0 + tmin / 0.71) * (1.0 + tmin / 0.71)
        P = ((1.0 + tmin * (MU_PROTON**2 - 1.0) / (4.0 * M_PROTON_GEV**2)) / (d2 * d2)) ** 2
        bound = bound + Z * np.minimum(P, 1.0)
    return bound


def sample_flux_t(tmin, tmax, g2, Z, A, rng, inelastic=False, max_rounds=10_000):
    """t from the WW flux integrand (t - t_min)/t^2 G2(t) on [t_min, t_max] (Eq. 14).

    Rejection in ln t: proposal uniform in ln t; accept with (1 - t_min/t) G2(t) / B, where
    B = (1 - t_min/t_max) * max_[t_min, t_max] bound(G2) (:func:`g2_bound_nucleus`).  Exact.
    """
    n = tmin.size
    out = np.empty(n)
    todo = np.arange(n)
    bound = (1.0 - tmin / tmax) * g2_bound_nucleus(tmin, tmax, Z, A, inelastic)
    lo, hi = np.log(tmin), np.log(tmax)
    for _ in range(max_rounds):
        if todo.size == 0:
            return out
        # k candidates per pending event (more when few are left: fewer, larger rounds); the first
        # accepted one is taken -- sequential trials, so still exact
        k = int(min(64, max(1, 4096 // todo.size)))
        r = rng.random((2, todo.size, k))
        lo_, span = lo[todo][:, None], (hi[todo] - lo[todo])[:, None]
        t = np.exp(lo_ + span * r[0])
        acc = r[1] * bound[todo][:, None] < (1.0 - tmin[todo][:, None] / t) * g2(t, Z, A)
        got = acc.any(axis=1)
        first = np.argmax(acc, axis=1)
        sel = np.flatnonzero(got)
        out[todo[sel]] = t[sel, first[sel]]
        todo = todo[~got]
    raise RuntimeError("flux t sampling did not converge")  # pragma: no cover



class Channel:
    """Common interface; subclasses set ``dim``, ``n_bins`` and implement h / complete."""

    dim = 2
    n_bins = (64, 64)
    frame_name = "x"

    def __init__(self, proc, m_phi: float, vertex: str = "chiral"):
        self.proc = proc
        self.m = float(m_phi)
        self.m_i, self.m_f = proc.masses
        self.vertex = vertex
        t = proc.target
        self.Z, self.A, self.M = t.Z, t.A, t.nucleus_mass_gev
        self.g2 = proc.g2()

    def h(self, u, E):  # pragma: no cover - abstract
        raise NotImplementedError


class WWChannel(Channel):
    """WW or IWW in the (x, theta_k) frame (``frame='x'``) or the (y, psi) frame (``frame='y'``)."""

    def __init__(self, proc, m_phi, vertex="chiral", frame_name="x"):
        super().__init__(proc, m_phi, vertex)
        if frame_name not in ("x", "y"):
            raise InputError("frame", f"must be 'x' (sample x, theta_k) or 'y' (sample y, psi); got {frame_name!r}")
        self.frame_name = frame_name
        self.iww = proc.method == "iww"
        self.chi_fn = proc.chi_fn()
        self.fn = ww.d2sigma_dx_dcos if frame_name == "x" else ww.d2sigma_dy_dcos
        self.kw = vertex_kw(self.fn, vertex)
        if frame_name == "x":  # observed a = phi, unobserved b = l_f
            self.m_a, self.m_b, self.a_max = self.m, self.m_f, ww.THETA_MAX
        else:
            self.m_a, self.m_b, self.a_max = self.m_f, self.m, ww.PSI_MAX
        if kernels is not None:
            # the process constants of the compiled kernels (vertex (norm, dm2), flux, nucleus, map)
            self.P = xc.params(self.m_i, self.m_f, self.m, self.Z, self.A, proc.form_factor, vertex, M=self.M,
                               frame_x=frame_name == "x", iww=self.iww, a_max=self.a_max)

    def frac_range(self, E):
        if self.frame_name == "x":
            return self.m / E, 1.0 - self.m_f / E
        return self.m_f / E, 1.0 - self.m / E

    def to_vars(self, u, E):
        lo, hi = self.frac_range(E)
        z = lo + u[:, 0] * (hi - lo)
        if self.frame_name == "x":
            a0 = np.sqrt(np.abs(ww.u_tilde(E, z, 0.0, self.m_i, self.m_f, self.m)) / (z * E * E))
        else:
            a0 = ww.psi0(E, z, self.m_i, self.m_f, self.m)
        ang, fac = _angle_map(u[:, 1], a0, self.a_max)
        return z, ang, fac * (hi - lo)

    def _chi_iww(self, E):
        """IWW flux at every point's energy, computed once per distinct energy (it depends on E only)."""
        if E.size and E.min() == E.max():
            return np.broadcast_to(iww.chi_iww(E[:1], self.m_i, self.m, self.chi_fn), E.shape)
        Eu, inv = np.unique(E, return_inverse=True)
        return iww.chi_iww(Eu, self.m_i, self.m, self.chi_fn)[inv]

    @property
    def fast(self):
        """Whether the compiled kernels are used (numba available and :data:`USE_COMPILED`)."""
        return kernels is not None and USE_COMPILED

    def h(self, u, E):
        """Mapped density at points u (n, 2), energies E (scalar or (n,)): Eq. (22)/(27) (IWW: constant
        flux, measure a da) x dcos measure x Jacobian; 0 outside the phase space."""
        if not self.fast:
            return self.h_numpy(u, E)
        u = np.ascontiguousarray(u, dtype=float)
        E = np.ascontiguousarray(np.broadcast_to(np.asarray(E, float), (u.shape[0],)))
        out = np.empty(u.shape[0])
        gc.h_array(u, E, self.P, xc.GL_U, xc.GL_W, out)
        return out

    def h_max(self, u, Es):
        """max over the energies ``Es`` of h (the envelope of an energy bin)."""
        if not self.fast:
            return np.max([self.h_numpy(u, e) for e in Es], axis=0)
        out = np.empty(u.shape[0])
        gc.h_max_array(np.ascontiguousarray(u, dtype=float), np.asarray(Es, float), self.P, xc.GL_U, xc.GL_W, out)
        return out

    def complete(self, u, E, rng, out=None):
        """Four-vectors for accepted points (``out``: optional dict of lep/phi/rec arrays to fill).  The recoil:
        t from the Eq. (14) integrand within the exact 2->3 bounds (capped at the WW t_max = m_phi^2 + m_i^2),
        phi_q uniform -- the WW approximation's own assumptions; b = p - p_a + q then conserves
        four-momentum exactly.  Compiled (:func:`.kernels.ww_complete_kernel`); :meth:`complete_numpy` is
        the NumPy reference."""
        if not self.fast:
            return self.complete_numpy(u, E, rng, out)
        n = u.shape[0]
        E = np.ascontiguousarray(np.broadcast_to(np.asarray(E, float), (n,)))
        bufs = None
        if out is not None:
            bufs = (out["phi"], out["lep"], out["rec"]) if self.frame_name == "x" else (out["lep"], out["phi"],
                                                                                       out["rec"])
            if not all(a.shape == (n, 4) and a.flags.c_contiguous and a.dtype == float for a in bufs):
                bufs = None
        pa, pb, rec = bufs if bufs is not None else (np.empty((n, 4)), np.empty((n, 4)), np.empty((n, 4)))
        t, phi_q, valid = np.empty(n), np.empty(n), np.empty(n, np.bool_)
        r = rng.random((n, 2))
        kernels.ww_complete_kernel(rng, r, np.ascontiguousarray(u, dtype=float), E, self.P, self.m_a, self.m_b,
                                   pa, pb, rec, t, phi_q, valid)
        if self.frame_name == "x":
            phi4, lep4 = pa, pb
        else:
            lep4, phi4 = pa, pb
        return dict(lep=lep4, phi=phi4, rec=rec, valid=valid, t=t, phi_q=phi_q)

    def draw(self, env, E, rng, u_out, max_violations=4096, block=65536):
        """Exact rejection sampling of one u per event at its own energy E[j] (compiled rounds of one
        proposal per pending event, :func:`.kernels.ww_accept_kernel`; uniforms from ``rng``, (pending, 4)
        per round; events in blocks of ``block``).  Returns (proposals, violating cells, their h/g ratios)."""
        E = np.ascontiguousarray(E, dtype=float)
        n = E.size
        chiE = np.empty(n)
        gc.iww_flux_points(E, self.P, xc.GL_U, xc.GL_W, chiE)
        vi = np.empty(max_violations, np.int64)
        vr = np.empty(max_violations)
        nprop = nviol = 0
        for b0 in range(0, n, block):  # events in cache-sized blocks
            pending = np.arange(b0, min(n, b0 + block))
            while pending.size:
                r = rng.random((pending.size, 4))
                acc = np.empty(pending.size, np.bool_)
                nviol = kernels.ww_accept_kernel(r, pending, E, chiE, env.alias_prob, env.alias, env.cell_lo,
                                                 env.cell_w, env.env_flat, self.P, xc.GL_U, xc.GL_W, u_out, acc, vi,
                                                 vr, nviol)
                nprop += pending.size
                if nviol:
                    break
                pending = pending[~acc]
            if nviol:
                break
        k = min(int(nviol), max_violations)
        return int(nprop), vi[:k], vr[:k]

    def events(self, env, E, rng, out, max_violations=4096):
        """Unweighted events at energies E (compiled, fused: :func:`.kernels.ww_events_kernel`), written
        into ``out`` = dict of C-contiguous arrays lep, phi, rec (n, 4), t, phi_q, x, y, theta_k, psi (n,).
        Returns (proposals, violating cells, their h/g ratios, incomplete redraws, largest relative
        four-momentum imbalance, NaN if any).  On a violation the outputs are incomplete: redraw.

        The events are made in pieces of :data:`.kernels.EV_PIECE`; before each piece ``U_PER_EVENT``
        uniforms per event are drawn in bulk into a reused buffer (cache-sized; rng.random(out=...), the
        same stream as rng.random(size)); the kernel takes further ones from ``rng`` itself if it needs more."""
        E = np.ascontiguousarray(E, dtype=float)
        n = E.size
        chiE = np.empty(n)
        gc.iww_flux_points(E, self.P, xc.GL_U, xc.GL_W, chiE)
        vi = np.empty(max_violations, np.int64)
        vr = np.empty(max_violations)
        counts = np.zeros(5)
        if self.frame_name == "x":  # a = phi (x, theta_k), b = lepton (y, psi)
            pa, pb, fa, anga, fb, angb = out["phi"], out["lep"], out["x"], out["theta_k"], out["y"], out["psi"]
        else:
            pa, pb, fa, anga, fb, angb = out["lep"], out["phi"], out["y"], out["psi"], out["x"], out["theta_k"]
        rec, t, phq = out["rec"], out["t"], out["phi_q"]
        if not hasattr(self, "uniforms_used"):
            self.uniforms_used = self.uniforms_extra = 0
        R = getattr(self, "_ubuf", None)
        if R is None:
            R = self._ubuf = np.empty(int(kernels.U_PER_EVENT * kernels.EV_PIECE) + 64)
        nprop = ninc = 0
        worst = 0.0
        for s in range(0, n, kernels.EV_PIECE):
            e = min(n, s + kernels.EV_PIECE)
            Rp = R[: int(kernels.U_PER_EVENT * (e - s)) + 64]
            rng.random(out=Rp)
            kernels.ww_events_kernel(rng, Rp, E[s:e], chiE[s:e], env.alias_prob, env.alias, env.cell_lo,
                                     env.cell_w, env.env_flat, self.P, xc.GL_U, xc.GL_W, self.m_a, self.m_b, pa[s:e],
                                     pb[s:e], rec[s:e], t[s:e], phq[s:e], fa[s:e], anga[s:e], fb[s:e], angb[s:e], vi,
                                     vr, counts)
            nprop += int(counts[0])
            ninc += int(counts[2])
            self.uniforms_used += int(counts[4])  # (diagnostics: uniforms used, of which beyond the bulk block)
            self.uniforms_extra += max(0, int(counts[4]) - Rp.size)
            w = float(counts[3])
            worst = w if (w != w or worst != worst) else max(worst, w)
            if counts[1]:
                k = min(int(counts[1]), max_violations)
                return nprop, vi[:k], vr[:k], ninc, worst
        return nprop, vi[:0], vr[:0], ninc, worst

    def h_numpy(self, u, E):
        """NumPy reference of :meth:`h` (the engine's array functions)."""
        E = np.broadcast_to(np.asarray(E, float), (u.shape[0],))
        z, ang, jac = self.to_vars(u, E)
        with np.errstate(all="ignore"):
            if self.frame_name == "x":
                chi_fn = self.chi_fn
                if self.iww:
                    chi = self._chi_iww(E)
                    chi_fn = lambda tmin, tmax: np.broadcast_to(chi, np.shape(tmin))  # noqa: E731
                d2 = self.fn(E, z, ang, self.m_i, self.m_f, self.m, chi_fn, **self.kw)
            else:
                extra = {"iww_chi": self._chi_iww(E)} if self.iww else {}
                d2 = self.fn(E, z, ang, self.m_i, self.m_f, self.m, self.chi_fn, **extra, **self.kw)
            # dcos = sin(a) da (WW, Eqs. 22/27) or the small-angle a da of Eqs. (A1)-(A4) (IWW)
            meas = 1.0 if self.iww else _sin_over(ang)
            out = d2 * meas * jac
        return np.where(np.isfinite(out) & (out > 0), out, 0.0)

    def complete_numpy(self, u, E, rng, out=None):
        """NumPy reference of :meth:`complete`.  Four-vectors for accepted points (``out``: optional dict of
        lep/phi/rec arrays to fill).  The recoil: t from the Eq. (14) integrand within the
        exact 2->3 bounds (capped at the WW t_max = m_phi^2 + m_i^2), phi_q uniform -- the
        WW approximation's own assumptions; b = p - p_a + q then conserves four-momentum exactly."""
        n = u.shape[0]
        E = np.broadcast_to(np.asarray(E, float), (n,))
        z, ang, _ = self.to_vars(u, E)
        Ea = z * E
        fr = frame(E, self.m_i, Ea, self.m_a, self.m_b, ang, self.M)
        # WW flux bound t_max = m_phi^2 + m_i^2 where it leaves a window; else (wide angles, reachable
        # by the IWW density whose flux does not depend on the angle) the exact kinematic bound
        cap = self.m * self.m + self.m_i * self.m_i
        tmax = np.where(fr.tmin < cap, np.minimum(fr.tmax, cap), fr.tmax)
        ok = fr.valid & (tmax > fr.tmin)
        t = np.full(n, np.nan)
        if ok.any():
            t[ok] = sample_flux_t(fr.tmin[ok], tmax[ok], self.g2, self.Z, self.A, rng,
                                  inelastic=self.proc.form_factor != "elastic")
        r = rng.random((n, 2))
        phi_a = 2.0 * np.pi * r[:, 0]
        phi_q = 2.0 * np.pi * r[:, 1]
        dest = None
        if out is not None:
            dest = (out["phi"], out["lep"], out["rec"]) if self.frame_name == "x" else (out["lep"], out["phi"],
                                                                                       out["rec"])
        pa, pb, rec, valid = build_final_state(E, self.m_i, Ea, ang, phi_a, self.m_a, self.m_b, self.M,
                                               np.where(ok, t, 1.0), phi_q, fr=fr, out=dest)
        valid &= ok
        if self.frame_name == "x":
            phi4, lep4 = pa, pb
        else:
            lep4, phi4 = pa, pb
        return dict(lep=lep4, phi=phi4, rec=rec, valid=valid, t=t, phi_q=phi_q)


def _tmap_table(Z, A, n=4001, lt_lo=-80.0, lt_hi=12.0, floor=1e-4):
    """Inverse-CDF table for ln t (piecewise linear CDF C on a uniform ln t grid).

    rho(ln t) = (t/(t + t_a))^2 t_c/(t + t_c) + floor, t_a = 1/a^2 (atomic screening of
    Eq. 6), t_c = 10 d: the elastic G2/Z^2 per d ln t is (t/(t+t_a))^2 (d/(t+d))^2, but the
    ETL density per d ln t is G2 |A|^2/t and |A|^2/t keeps rising up to t ~ |u~|, k_T^2, so
    the tail is taken one power softer and ten times wider.  Only efficiency depends on it.
    """
    from ..xsec.formfactors import nuclear_d, screening_tsai

    ta = float(1.0 / screening_tsai(Z) ** 2)
    tc = 10.0 * float(nuclear_d(A))
    lt = np.linspace(lt_lo, lt_hi, n)
    t = np.exp(lt)
    rho = (t / (t + ta)) ** 2 * (tc / (t + tc))
    rho = rho + floor * rho.max()
    C = np.concatenate([[0.0], np.cumsum(0.5 * (rho[1:] + rho[:-1]) * np.diff(lt))])
    return lt, C


class ETLChannel(Channel):
    """Exact tree level, full 2->3: (y, psi, t, phi_q), d = 4."""

    dim = 4
    n_bins = (12, 12, 12, 8)
    frame_name = "y"

    def __init__(self, proc, m_phi, vertex="chiral", frame_name="y"):
        super().__init__(proc, m_phi, vertex)
        if frame_name != "y":
            raise InputError("frame", "ETL events are generated in the (y, psi, t, phi_q) frame; use frame='y'")
        # _amp_y is Eq. (10) for a given vertex mass combination; scalar/pseudoscalar vertices are
        # norm x Eq. (10) with dm2 -> dm2_vertex (leptoportal.xsec.amplitudes.vertex_factors)
        self.norm, self.dm2 = vertex_factors(vertex, self.m, self.m_i, self.m_f)
        self.kw = {}
        self.lt, self.C = _tmap_table(self.Z, self.A)

    def _vars(self, u, E):
        m_i, m_f, m, M = self.m_i, self.m_f, self.m, self.M
        ylo, yhi = m_f / E, 1.0 - m / E
        y = ylo + u[:, 0] * (yhi - ylo)
        Ea = np.maximum(y * E, m_f)  # y E can round below m_f at u = 0
        fr0 = frame(E, m_i, Ea, m_f, m, np.zeros_like(E), 1e30)
        psi0 = np.clip(np.nan_to_num(np.sqrt(np.abs(fr0.ut) / (E * Ea)), nan=1.0), 1e-12, 1.0)
        psi, fac_psi = _angle_map(u[:, 1], psi0, np.pi)
        fr = frame(E, m_i, Ea, m_f, m, psi, M)
        tmin = np.where(fr.valid, fr.tmin, 1.0)
        tmax = np.where(fr.valid, fr.tmax, 2.0)
        kt2 = (fr.aabs * np.sin(psi)) ** 2
        t, dt_du = self.t_map(u[:, 2], tmin, tmax, np.where(np.isfinite(kt2) & (kt2 > 0), kt2, 1e-300))
        # phi_q: flatten the 1/s and 1/|u~| peaks at phi_q = 0
        qabs, qz, qt = (v[:, 0] for v in q_polar(fr, t[:, None], M))
        q0 = -t / (2.0 * M)
        a_s = 2.0 * (E * q0 - (fr.V + fr.az) * qz) - t
        a_u = 2.0 * (fr.Ea * q0 - fr.az * qz) + t
        b = 2.0 * fr.ax * qt
        with np.errstate(all="ignore"):
            k_s = np.maximum(a_s - b, 0.0) / (a_s + b)
            k_u = np.maximum(a_u - b, 0.0) / (a_u + b)
            kappa = np.sqrt(np.clip(np.fmin(k_s, k_u), 1e-24, 1.0))
        kappa = np.where(np.isfinite(kappa), kappa, 1.0)
        half = 0.5 * np.pi * u[:, 3]
        phi_q = 2.0 * np.arctan(kappa * np.tan(half))
        phi_q = np.where(u[:, 3] >= 1.0, np.pi, phi_q)
        dphi_du = np.pi * kappa / (np.cos(half) ** 2 + kappa * kappa * np.sin(half) ** 2)
        jac = (yhi - ylo) * fac_psi * _sin_over(psi) * dt_du * dphi_du
        return y, psi, t, phi_q, fr, jac

    def t_map(self, u, tmin, tmax, kt2):
        """ln t from the inverse CDF of rho(ln t) = the table of :func:`_tmap_table` + a box on
        [0.1 k_T^2, 3 k_T^2] holding half the table's mass on [t_min, t_max] (k_T = |p'| sin(psi),
        the lab transverse momentum: at wide angles the recoil supplies it and the density peaks
        at t ~ k_T^2, where G2 is small).  The box edges are snapped to table nodes, so the CDF
        is piecewise linear in ln t and the Jacobian is the exact segment slope."""
        lt, C = self.lt, self.C
        n = lt.size
        lt0 = lt[0]
        dl = lt[1] - lt[0]
        slopes = np.diff(C) / dl  # dC/d ln t per table segment

        def C_at(l):  # the piecewise-linear table CDF, O(1) on the uniform grid
            pos = (l - lt0) / dl
            k = np.clip(np.floor(pos).astype(np.int64), 0, n - 2)
            return C[k] + slopes[k] * dl * (pos - k)

        def C_inv(c):  # its inverse: (ln t, segment slope)
            k = np.clip(np.searchsorted(C, c, side="right") - 1, 0, n - 2)
            sl = np.where(slopes[k] > 0, slopes[k], 1e-300)
            return lt[k] + (c - C[k]) / sl, sl

        llo, lhi = np.log(tmin), np.log(tmax)
        with np.errstate(divide="ignore"):
            lk = np.log(np.maximum(kt2, 1e-300))
        k1 = np.clip(np.round((lk + np.log(0.1) - lt0) / dl), 0, n - 1).astype(np.int64)
        k2 = np.clip(np.round((lk + np.log(3.0) - lt0) / dl), 0, n - 1).astype(np.int64)
        k2 = np.minimum(np.maximum(k2, k1 + 1), n - 1)
        k1 = np.minimum(k1, k2 - 1)
        g_lo, g_hi = C_at(llo), C_at(lhi)
        c_box = 0.5 * np.maximum(g_hi - g_lo, 1e-300)
        # box snapped to nodes, clipped to the event's range: F = C + height * clip(l - b1, 0, b2 - b1)
        b1 = np.maximum(lt[k1], llo)
        b2 = np.minimum(lt[k2], lhi)
        has_box = b2 > b1
        c_box = np.where(has_box, c_box, 0.0)
        height = np.where(has_box, c_box / np.where(has_box, b2 - b1, 1.0), 0.0)
        Flo = g_lo  # F(llo): the box starts at or above llo
        Fhi = g_hi + c_box
        target = Flo + u * (Fhi - Flo)
        F_b1 = C_at(b1)
        F_b2 = C_at(b2) + c_box
        below = target <= F_b1
        above = target >= F_b2
        l = np.empty_like(target)
        slope = np.empty_like(target)
        la, sa = C_inv(target[below])
        l[below], slope[below] = la, sa
        lc, sc = C_inv(target[above] - c_box[above])
        l[above], slope[above] = lc, sc
        mid_ = np.flatnonzero(~below & ~above)
        if mid_.size:
            # inside the box: bisection on the table nodes of [b1, b2] (<= ~150 nodes)
            tg, h_, bb1, bb2 = target[mid_], height[mid_], b1[mid_], b2[mid_]
            lo_k = np.clip(np.floor((bb1 - lt0) / dl).astype(np.int64), 0, n - 2)
            hi_k = np.clip(np.ceil((bb2 - lt0) / dl).astype(np.int64), 1, n - 1)
            hi_k = np.maximum(hi_k, lo_k + 1)
            while np.any(hi_k - lo_k > 1):
                mk = (lo_k + hi_k) // 2
                go = C[mk] + h_ * np.clip(lt[mk] - bb1, 0.0, bb2 - bb1) <= tg
                lo_k = np.where(go, mk, lo_k)
                hi_k = np.where(go, hi_k, mk)
            a = np.maximum(lt[lo_k], bb1)
            Fa = C_at(a) + h_ * (a - bb1)
            sl = slopes[lo_k] + h_
            l[mid_] = a + (tg - Fa) / sl
            slope[mid_] = sl
        l = np.clip(l, llo, lhi)
        t = np.exp(l)
        return t, t * (Fhi - Flo) / slope

    def h(self, u, E):
        E = np.broadcast_to(np.asarray(E, float), (u.shape[0],)).copy()
        with np.errstate(all="ignore"):
            y, psi, t, phi_q, fr, jac = self._vars(u, E)
            amp = etl._amp_y(fr, t[:, None], np.cos(phi_q)[:, None, None], self.M, self.m, self.dm2, **self.kw)
            amp = self.norm * amp.reshape(-1)
            Vs = np.where(fr.V > 0, fr.V, 1.0)
            f = (ALPHA**2 / (4.0 * np.pi) * E * fr.aabs / (fr.pabs * Vs) * self.g2(t, self.Z, self.A) / (t * t)
                 * amp / (8.0 * self.M * self.M) / np.pi)
            out = f * jac
        ok = fr.valid & np.isfinite(out) & (out > 0)
        return np.where(ok, out, 0.0)

    def complete(self, u, E, rng, out=None):
        n = u.shape[0]
        E = np.broadcast_to(np.asarray(E, float), (n,)).copy()
        with np.errstate(all="ignore"):
            y, psi, t, phi_q, fr, _ = self._vars(u, E)
        r = rng.random((n, 2))
        phi_a = 2.0 * np.pi * r[:, 0]
        phi_q = np.where(r[:, 1] < 0.5, phi_q, -phi_q)
        dest = None if out is None else (out["lep"], out["phi"], out["rec"])
        lep, phi4, rec, valid = build_final_state(E, self.m_i, fr.Ea, psi, phi_a, self.m_f, self.m, self.M, t, phi_q,
                                                  fr=fr, out=dest)
        return dict(lep=lep, phi=phi4, rec=rec, valid=valid & fr.valid, t=t, phi_q=phi_q)


def make_channel(proc, m_phi, vertex="chiral", frame_name=None) -> Channel:
    if proc.method == "etl":
        return ETLChannel(proc, m_phi, vertex, frame_name or "y")
    return WWChannel(proc, m_phi, vertex, frame_name or "x")


__all__ = ["Channel", "WWChannel", "ETLChannel", "make_channel", "sample_flux_t", "vertex_kw", "angle_to_beam"]
