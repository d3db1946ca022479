r"""Constraint overlays of the reach plot, computed on their own mass grid.

Kinds (``[[overlays]]`` in the config):

``g2-band``      couplings with |Delta a_mu(m, g) - Delta a_mu^exp| <= n_sigma sigma:
                 :func:`leptoportal.constraints.g2.coupling_band` (loop ``diagonal``: Eq. (2.6)
                 of arXiv:1807.03790; ``lfv``: Eq. (3) of the e->mu paper).
``g2-excluded``  couplings above the n_sigma (default 5) upper edge: grey region of the NA64-mu
                 paper's Figs. 5-6 (:func:`~leptoportal.constraints.g2.coupling_excluded_above`).
``relic``        thermal-relic line g_mu(m_S): ``leptoportal.constraints.relic.relic_coupling``.
``relic-lfv``    the e->mu paper's Eq. (2) line h(m_phi):
                 ``leptoportal.constraints.relic.lfv_annihilation_rate_line(m, **params)``.
``sidm``         m_S below which sigma_T/m_chi of Eq. (2.10) of arXiv:1807.03790 exceeds
                 ``limit_cm2_g`` (1 cm^2/g, Sec. 2.3) at the given g_chi and m_chi(m_S): since
                 sigma_T/m_chi ∝ g_chi^4 m_chi / m_S^4 ∝ m_S^-3 at fixed m_S/m_chi, this is a
                 vertical band m_S < m_S* (independent of the lepton coupling), with m_S* from
                 :func:`leptoportal.constraints.darkmatter.sidm_mass_boundary`.
``experiment``   another experiment's expected reach for this config's model (``config``: a shipped
                 name or a .toml path; ``exposure``: one of its exposures, default the largest): its
                 scan runs serially once, kept in the cache keyed by its inputs and the package's
                 sources (:func:`experiment_dir`), and is read back afterwards.
any registry id  a constraint of :mod:`leptoportal.constraints.registry` (``leptoportal constraints
                 list``), or ``file`` (a user's limit CSV): the first coupling interval of its role
                 at each mass, evaluated for the config's model.  ``reach-csv`` (``path`` = the
                 reach.csv of another ``leptoportal reach`` run, optional ``exposure``) draws that
                 run's excluded region beside this one (:mod:`leptoportal.constraints.reachcsv`);
                 ``muonium`` (``phi_field``) and ``mu-to-e-phi`` (``br_file``) are the LFV scalar's
                 muon-physics bounds (:mod:`leptoportal.constraints.lfv`).

An overlay whose computation fails is skipped with a warning naming the error (reach.json and
stderr); the scan never fails because of an overlay (a bad overlay option is an InputError of the
config, raised before any scan work).
"""

from __future__ import annotations


import numpy as np

from ..errors import InputError
from ..particles import M_E, M_MU

__all__ = ["compute_overlays", "mass_range", "DEFAULT_STYLE"]

#: default colours: the NA64-mu paper's Figs. 5-6 (green 2 sigma g-2 band, grey 5 sigma
#: exclusion, red relic line) and the e->mu paper's Fig. 8 (purple g-2 band, black relic line)
DEFAULT_STYLE = {
    "g2-band": {"diagonal": "#55b955", "lfv": "#b57edc"},
    "g2-excluded": "#9a9a9a",
    "relic": "#d62728",
    "relic-lfv": "black",
    "sidm": "#f2a541",
}


def mass_range(cfg, rows) -> tuple[float, float]:
    """x range of the plot: ``plot.xlim`` or the scanned masses widened by 15%."""
    if "xlim" in cfg.plot:
        return tuple(cfg.plot["xlim"])
    m = np.asarray(cfg.masses, float)
    return float(m.min() / 1.15), float(m.max() * 1.15)


def _grid(lo, hi, n):
    return np.geomspace(lo, hi, n)


def compute_overlays(cfg, rows, warn, run_scan=None) -> list[dict]:
    """Evaluate every configured overlay; returns dicts with ``kind, label, style, m, lo, hi``
    (``m`` the mass grid in GeV; ``lo``/``hi`` couplings; nan where undefined).  An overlay that
    fails -> ``warn(message)`` saying why, and the overlay is skipped (it never stops the scan).
    ``run_scan``: the scan function an ``experiment`` overlay runs its config with (the engine passes
    :func:`leptoportal.reach.run_scan`; this module does not import the engine that imports it)."""
    lo_m, hi_m = mass_range(cfg, rows)
    n = cfg.plot.get("overlay_points", 60)
    out = []
    n_registry = n_experiment = 0
    for i, ov in enumerate(cfg.overlays):
        kind = ov["kind"]
        if "constraint" in ov:
            ov = {**ov, "registry_index": n_registry}
            n_registry += 1
        if kind == "experiment":
            ov = {**ov, "experiment_index": n_experiment}
            n_experiment += 1
        try:
            item = _one(ov, lo_m, hi_m, n, cfg, run_scan)
        except InputError:
            raise
        except Exception as exc:  # an overlay must never crash the scan; say why it is left out
            warn(f"overlay {i} ({kind}) skipped: {type(exc).__name__}: {exc}")
            continue
        item["index"] = i
        out.append(item)
    return out


#: default colours of registry overlays, one per overlay (so two excluded regions differ)
REGISTRY_COLORS = ("#8c564b", "#1f77b4", "#bcbd22", "#17becf", "#e377c2", "#7f7f7f", "#2ca02c", "#ff7f0e")


def _registry(ov, lo_m, hi_m, n, cfg, style) -> dict:
    """An overlay from the registry of constraints or a user's limit file: per mass the first
    coupling interval of the constraint's role (lo = hi for a target line; nan where none)."""
    from ..constraints.registry import get_constraint, load_limit_file
    from .overlay_config import registry_model

    c = load_limit_file(ov["path"]) if ov["kind"] == "file" else get_constraint(ov["kind"])
    a, b = max(lo_m, c.mass_range_gev[0]), min(hi_m, c.mass_range_gev[1])
    m = _grid(a, b, n) if b > a else np.array([])
    ivs = c.intervals(registry_model(cfg.model), m, **ov.get("params", {})) if m.size else []
    lo = np.array([iv[0][0] if iv else np.nan for iv in ivs], float)
    hi = np.array([iv[0][1] if iv else np.nan for iv in ivs], float)
    style.setdefault("color", REGISTRY_COLORS[ov.get("registry_index", 0) % len(REGISTRY_COLORS)])
    return {"kind": ov["kind"], "role": c.role, "label": ov["label"] or c.title, "style": style, "m": m, "lo": lo,
            "hi": hi, "source": c.source}


#: colours of other experiments' reach curves (``kind = "experiment"``), in overlay order
EXPERIMENT_COLORS = ("#1f77b4", "#ff7f0e", "#17becf", "#8c564b", "#e377c2", "#7f7f7f")


def experiment_dir(cousin):
    """Where another experiment's scan is kept between runs: the cache, keyed by its inputs and by
    every source file of the package (a new version recomputes it)."""
    from pathlib import Path

    from .. import cache

    pkg = Path(cache.__file__).parent
    files = tuple(sorted(str(f.relative_to(pkg)) for f in pkg.rglob("*.py")))
    key = cache.cache_key({"inputs": cousin.inputs_hash(), "source": cache.source_hash(files)})
    return cache.cache_dir("experiments") / f"{cousin.name}-{key[:24]}"


def _experiment(ov, cfg, style, index, run_scan) -> dict:
    """Another experiment's expected limit for this config's model (:func:`leptoportal.reach.config.
    experiment_config`), scanned serially on its own mass grid into :func:`experiment_dir` (a
    finished scan there is read back: ``--resume``)."""
    from .config import experiment_config

    if run_scan is None:
        raise InputError(f"overlays: {ov['config']}", "an experiment overlay needs the scan (compute_overlays(..., "
                         "run_scan=leptoportal.reach.run_scan))")
    cousin = experiment_config(ov["config"], cfg.raw.get("model", {}))
    d = experiment_dir(cousin)
    res = run_scan(cousin, d, resume=True, progress=False, quiet=True, overlays=False)
    rows = sorted((r for r in res.rows if r["exposure"] == ov["exposure"]), key=lambda r: r["mass_gev"])
    m = np.array([r["mass_gev"] for r in rows], float)
    lo = np.array([r["coupling_limit"] for r in rows], float)
    hi = np.array([r["coupling_upper_edge"] for r in rows], float)
    hi = np.where(np.isfinite(lo) & ~np.isfinite(hi), np.inf, hi)
    style.setdefault("color", EXPERIMENT_COLORS[index % len(EXPERIMENT_COLORS)])
    style.setdefault("linestyle", "--")
    unit = cousin.exposure_unit
    label = ov["label"] or f"{cousin.name} ({ov['exposure']:.3g} {unit}, {100 * cousin.cl:g}% CL)"
    return {"kind": "experiment", "role": "projection", "label": label, "style": style, "m": m, "lo": lo, "hi": hi,
            "source": f"leptoportal reach {ov['config']} for this model ({cousin.source}); scan in {d}",
            "experiment": cousin.name, "exposure": ov["exposure"]}


def _one(ov, lo_m, hi_m, n, cfg, run_scan=None) -> dict:
    kind = ov["kind"]
    style = {k: ov[k] for k in ("color", "hatch", "linestyle", "alpha") if k in ov}
    if "constraint" in ov:
        return _registry(ov, lo_m, hi_m, n, cfg, style)
    if kind == "experiment":
        return _experiment(ov, cfg, style, ov.get("experiment_index", 0), run_scan)
    if kind in ("g2-band", "g2-excluded"):
        from ..constraints import g2
        loop = ov["loop"]
        m_lo = lo_m
        if loop == "lfv":  # Eq. (3) of the e->mu paper needs m_phi > m_mu - m_e
            m_lo = max(lo_m, (M_MU - M_E) * (1.0 + 1e-6))
        m = _grid(m_lo, hi_m, n) if hi_m > m_lo else np.array([])
        if loop == "lfv" and m.size:  # resolve the rise towards the threshold m_mu - m_e
            thr = M_MU - M_E
            near = thr + np.geomspace(1e-7, 0.2, 25) * thr
            m = np.unique(np.concatenate([m, near[(near >= m_lo) & (near <= hi_m)]]))
        det = g2.get_g2_determination(ov["determination"])
        if kind == "g2-band" and det.consistent_with_zero(ov["n_sigma"]):
            # no favoured region: the band's upper edge is an exclusion, drawn as such
            lo = g2.coupling_excluded_above(m, ov["n_sigma"], det, kind=loop)
            hi = np.full_like(lo, np.inf)
            kind = "g2-excluded"
            label = ov["label"] or (rf"$(g-2)_\mu$ excluded above {ov['n_sigma']:g}$\sigma$ "
                                    rf"({det.title}: $\Delta a_\mu$ consistent with 0)")
            style.setdefault("color", DEFAULT_STYLE["g2-excluded"])
        elif kind == "g2-band":
            lo, hi = g2.coupling_band(m, ov["n_sigma"], det, kind=loop)
            label = ov["label"] or rf"$(g-2)_\mu$ {ov['n_sigma']:g}$\sigma$ ({det.title})"
            style.setdefault("color", DEFAULT_STYLE["g2-band"][loop])
        else:
            lo = g2.coupling_excluded_above(m, ov["n_sigma"], det, kind=loop)
            hi = np.full_like(lo, np.inf)
            label = ov["label"] or rf"$(g-2)_\mu$ excluded at {ov['n_sigma']:g}$\sigma$ ({det.title})"
            style.setdefault("color", DEFAULT_STYLE["g2-excluded"])
        return {"kind": kind, "label": label, "style": style, "m": m, "lo": np.asarray(lo, float),
                "hi": np.asarray(hi, float), "source": f"leptoportal.constraints.g2 ({det.name}: {det.source})",
                "determination": det.name, "determination_label": det.title,
                "consistent_with_zero": det.consistent_with_zero(ov["n_sigma"])}
    if kind == "relic":
        from ..constraints import relic
        m = _grid(lo_m, hi_m, n)
        kw = {"g_chi": ov["g_chi"]}
        if "eps_R" in ov:
            kw["eps_R"] = ov["eps_R"]
        else:
            kw["mchi_ratio"] = ov["mchi_ratio"]
        g = np.asarray(relic.relic_coupling(ov["model"], m, **kw), float)
        ratio = "m_S/(2\\sqrt{1+\\epsilon_R})" if "eps_R" in ov else f"m_S/{ov['mchi_ratio']:g}"
        label = ov["label"] or rf"relic $\Omega h^2 = 0.12$ ($m_\chi = {ratio}$)"
        style.setdefault("color", DEFAULT_STYLE["relic"])
        return {"kind": kind, "label": label, "style": style, "m": m, "lo": g, "hi": g,
                "source": "leptoportal.constraints.relic.relic_coupling"}
    if kind == "relic-lfv":
        from ..constraints import relic
        fn = relic.lfv_annihilation_rate_line
        m = _grid(lo_m, hi_m, n)
        g = np.asarray(fn(m, **ov["params"]), float)
        label = ov["label"] or "relic DM, e->mu paper Eq. (2)"
        style.setdefault("color", DEFAULT_STYLE["relic-lfv"])
        return {"kind": kind, "label": label, "style": style, "m": m, "lo": g, "hi": g,
                "source": "leptoportal.constraints.relic.lfv_annihilation_rate_line"}
    if kind == "sidm":
        from ..constraints.darkmatter import sidm_mass_boundary

        m_star = sidm_mass_boundary(ov["g_chi"], ov["limit_cm2_g"], ov.get("mchi_ratio"), ov.get("eps_R"))
        label = ov["label"] or rf"SIDM $\sigma_T/m_\chi > {ov['limit_cm2_g']:g}$ cm$^2$/g"
        style.setdefault("color", DEFAULT_STYLE["sidm"])
        return {"kind": kind, "label": label, "style": style, "m": np.array([m_star]), "lo": np.array([0.0]),
                "hi": np.array([np.inf]), "source": "leptoportal.constraints.darkmatter, Eq. (2.10) of arXiv:1807.03790",
                "boundary_gev": m_star}
    raise InputError("overlays.kind", f"unknown overlay kind {kind!r}")  # pragma: no cover (validated earlier)
