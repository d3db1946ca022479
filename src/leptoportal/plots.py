"""Figures of the NA64 e->mu paper, Sec. II C (Figs. 1, 2 and 4), drawn from leptoportal.

Every function writes a PNG and, beside it, a CSV holding exactly the plotted
arrays (``#`` metadata lines, then one header line whose column names carry
the units: pb, pb/rad, GeV, rad), and returns the paths it wrote.

* :func:`fig1_dsigma_dx`      -- Fig. 1 top: d sigma/dx (ETL, WW, IWW) at E_i = 100 GeV,
  with a lower panel of the relative deviation (approx - exact)/exact.
* :func:`fig1_dsigma_dpsi`    -- Fig. 1 bottom: d sigma/dpsi (WW, IWW) plus the ETL one,
  which leptoportal has and the paper did not compute ("ETL (leptoportal)").
* :func:`fig2_sigma_vs_energy` -- Fig. 2: total cross section vs beam energy.
* :func:`fig4_iww_over_etl`   -- Fig. 4: sigma_IWW / sigma_ETL vs beam energy.
* :func:`plot_xsec`           -- all four.
* :func:`plot_leptophilic_reach` -- NA64-mu paper Figs. 5-6: the (m_S, g_mu) reach with the
  (g-2)_mu bands, SIDM region and (when available) the relic line.
* :func:`plot_leptophilic_gchi` -- NA64-mu paper Fig. 1: SIDM, Born-validity and perturbativity
  limits on g_chi.

Units.  The paper's Fig. 1 labels the d sigma/dx axis "1/GeV^2", but its numbers
are pb: at h = 1e-4, E_i = 100 GeV, Pb, m_phi = 0.11 GeV, leptoportal's ETL
d sigma/dx peaks at ~19 pb (x ~ 0.91), inside the paper's axis range 1e-3..1e2,
while in GeV^-2 the same value is ~5e-8, far below it.  The 0.7 and 1 GeV panels
(axis 1e-5..10) agree in the same way (ETL peaks ~3.8 pb and ~1.9 pb).  We
therefore label the axes in pb (and pb/rad for d sigma/dpsi).  See
:func:`fig1_dsigma_dpsi` for the paper's d sigma/dpsi panels, whose axes end a
factor ~3 below leptoportal's peaks.

Cost: the ETL total costs ~30-60 ms per (E, m) point and the ETL d sigma/dpsi
~50-70 ms per psi point; the default grids finish in well under a minute on one
core, ``quick=True`` in a few seconds.

The figures are drawn on an explicit Agg canvas (no pyplot, no global backend
switch) inside a temporary mplhep style context, so importing or calling this
module changes no global matplotlib state.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ._io import check_writable_dir, save_figure, write_csv
from .errors import InputError
from .models import LFVScalar
from .xsec import api

__all__ = ["fig1_dsigma_dx", "fig1_dsigma_dpsi", "fig2_sigma_vs_energy", "fig4_iww_over_etl", "plot_xsec",
           "plot_leptophilic_reach", "plot_leptophilic_gchi"]

#: the paper's colours: ETL black solid, WW green dashed, IWW blue dashed
LINE_STYLE = {
    "etl": dict(color="black", linestyle="-", label="ETL"),
    "ww": dict(color="#1a9a1a", linestyle="--", label="WW"),
    "iww": dict(color="#1f3fd8", linestyle="--", label="IWW"),
}
FIG1_DX_MASSES = (0.11, 0.3, 0.7, 1.0)
FIG1_DPSI_MASSES = (0.15, 0.3, 0.7, 1.0)
FIG2_MASSES = (0.11, 1.0)
FIG4_MASSES = (0.11, 0.3, 0.5, 0.7, 1.0)
_LATEX = {"e-": "e^-", "e+": "e^+", "mu-": r"\mu^-", "mu+": r"\mu^+"}


# ----------------------------------------------------------------------------- helpers
def prepare_outdir(outdir, parameter: str = "outdir") -> Path:
    """Create ``outdir`` (with parents) and check it is writable; else InputError naming ``parameter``."""
    return check_writable_dir(Path(outdir).expanduser(), parameter)


def _validate(target, beam, final, coupling):
    """Validate the process once, up front (raises InputError); returns the ETL process."""
    if not (isinstance(coupling, (int, float)) and np.isfinite(coupling) and coupling > 0):
        raise InputError("coupling", f"must be a finite number > 0 for plots (log axes); got {coupling!r}")
    return api.make_process(beam, final, target, "etl")


def _process_label(proc, coupling) -> str:
    b = _LATEX.get(proc.beam.name, proc.beam.name)
    f = _LATEX.get(proc.final.name, proc.final.name)
    return rf"${b}\,{proc.target.name} \to {f}\,{proc.target.name}\,\phi$,  $h = {_sci(coupling)}$"


def _sci(v: float) -> str:
    """LaTeX for a number: 1e-4 -> 10^{-4}, 2.5e-4 -> 2.5\\times 10^{-4}, 0.5 -> 0.5."""
    if v == 0:
        return "0"
    exp = int(np.floor(np.log10(abs(v))))
    if abs(exp) < 3:
        return f"{v:g}"
    mant = v / 10.0**exp
    return rf"10^{{{exp}}}" if np.isclose(mant, 1.0) else rf"{mant:.3g}\times 10^{{{exp}}}"


def _energy_grid(quick: bool, n: int | None = None, lo: float = 10.0, hi: float = 1000.0) -> np.ndarray:
    """Log grid lo..hi GeV that always contains 100 GeV (the NA64 energy)."""
    n = n or (5 if quick else 21)
    return np.unique(np.concatenate([np.geomspace(lo, hi, n), [100.0]]))


def _write_csv(path: Path, columns: dict, meta: dict) -> Path:
    return write_csv(path, columns, meta)


def new_figure(figsize):
    """A matplotlib Figure on its own Agg canvas (no pyplot, no global backend switch)."""
    return _figure(figsize)


def _figure(figsize):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize)
    FigureCanvasAgg(fig)
    return fig


def _style():
    import matplotlib.style
    import mplhep

    # a plain HEP look (ROOT-like fonts and ticks), no experiment label
    return matplotlib.style.context(mplhep.style.ROOT)


def _save(fig, path: Path) -> Path:
    return save_figure(fig, path, dpi=100)


def _reldev_axis(ax, ylabel="(approx$-$ETL)/ETL"):
    """Lower panel: symmetric-log y (linear within +-10 %) so WW's per-cent and IWW's factors both show."""
    from matplotlib.ticker import NullLocator

    ax.set_yscale("symlog", linthresh=0.1, linscale=1.0)
    ax.set_ylim(-1.05, 100.0)
    ax.set_yticks([-1.0, -0.1, 0.0, 0.1, 1.0, 10.0])
    ax.set_yticklabels(["$-1$", "$-0.1$", "0", "0.1", "1", "10"])
    ax.yaxis.set_minor_locator(NullLocator())
    ax.axhline(0.0, color="black", lw=0.8)
    ax.set_ylabel(ylabel, fontsize=14)
    ax.grid(True, which="major", axis="y", alpha=0.3)


def _panel_pairs(fig, n, ncol, *, left=0.08, right=0.98, top=0.94, bottom=0.07):
    """A grid of (main, lower) axis pairs sharing x; returns [(ax, rax), ...]."""
    nrow = (n + ncol - 1) // ncol
    outer = fig.add_gridspec(nrow, ncol, hspace=0.22, wspace=0.3, left=left, right=right, top=top, bottom=bottom)
    pairs = []
    for i in range(n):
        r, c = divmod(i, ncol)
        inner = outer[r, c].subgridspec(2, 1, height_ratios=[3, 1.4], hspace=0.0)
        ax = fig.add_subplot(inner[0])
        rax = fig.add_subplot(inner[1], sharex=ax)
        ax.tick_params(labelbottom=False)
        pairs.append((ax, rax))
    return pairs


def _mass_text(ax, m, loc=(0.05, 0.9)):
    ax.text(*loc, rf"$m_\phi = {m:g}$ GeV", transform=ax.transAxes, fontsize=16, va="top", ha="left")


# ----------------------------------------------------------------------------- Fig. 1 top
def fig1_dsigma_dx(outdir, masses=FIG1_DX_MASSES, energy: float = 100.0, target="Pb", beam="e-", final="mu-",
                   coupling: float = 1e-4, n_x: int = 120, quick: bool = False):
    """Fig. 1 (top) of the e->mu paper: d sigma/dx [pb] for ETL, WW, IWW, x = E_phi/E_i.

    One column pair per mass (2 x 2 layout), each with a lower panel of the
    relative deviation (approx - exact)/exact, exact = ETL (Eq. 12).  The x grid
    of each mass runs from just above threshold (x > m_phi/E_i) to
    1 - 2 m_f/E_i, denser towards x -> 1 where IWW departs; points where any
    method vanishes (kinematic edges) are dropped from both plot and CSV.  The
    lower panel shows the deviation only where the ETL curve is within the main
    panel's y range (peak/1e5); the CSV has it at every x.  Returns ``(png_path, csv_path)``.
    """
    proc = _validate(target, beam, final, coupling)
    out = prepare_outdir(outdir)
    m_f = proc.final.mass
    n_x = 40 if quick else n_x
    cols = {k: [] for k in ("m_phi_GeV", "x", "dsigma_dx_ETL_pb", "dsigma_dx_WW_pb", "dsigma_dx_IWW_pb",
                            "reldev_WW", "reldev_IWW")}
    curves = []
    for m in masses:
        x_lo = m / energy + 0.004
        x_hi = min(0.998, 1.0 - 2.0 * m_f / energy)
        x_knee = 0.9
        x = np.unique(np.concatenate([np.linspace(x_lo, x_knee, int(0.7 * n_x)),
                                      1.0 - np.geomspace(1.0 - x_knee, 1.0 - x_hi, n_x - int(0.7 * n_x))]))
        model = LFVScalar(mass=float(m), coupling=coupling)
        d = {meth: api.dsigma_dx(model, energy, x, target, meth, beam, final)[()] for meth in api.METHODS}
        ok = np.ones_like(x, bool)
        for v in d.values():
            ok &= np.isfinite(v) & (v > 0)
        x = x[ok]
        d = {k: v[ok] for k, v in d.items()}
        rel = {k: (d[k] - d["etl"]) / d["etl"] for k in ("ww", "iww")}
        curves.append((m, x, d, rel))
        cols["m_phi_GeV"].append(np.full(x.shape, m))
        cols["x"].append(x)
        cols["dsigma_dx_ETL_pb"].append(d["etl"])
        cols["dsigma_dx_WW_pb"].append(d["ww"])
        cols["dsigma_dx_IWW_pb"].append(d["iww"])
        cols["reldev_WW"].append(rel["ww"])
        cols["reldev_IWW"].append(rel["iww"])

    with _style():
        nrow = (len(masses) + 1) // 2
        fig = _figure((15, 7.8 * nrow))
        for i, ((ax, rax), (m, x, d, rel)) in enumerate(zip(_panel_pairs(fig, len(masses), 2), curves)):
            for meth in api.METHODS:
                ax.plot(x, d[meth], lw=2, **LINE_STYLE[meth])
            ax.set_yscale("log")
            peak = max(v.max() for v in d.values())
            y_lo = peak * 1e-5
            ax.set_ylim(y_lo, peak * 10)
            ax.set_ylabel(r"$d\sigma/dx$ [pb]")
            _mass_text(ax, m)
            if i == 0:
                ax.legend(loc="upper left", bbox_to_anchor=(0.0, 0.84), fontsize=15, frameon=False)
            # the deviation only where the ETL curve is on the main panel's scale
            vis = d["etl"] >= y_lo
            for k in ("ww", "iww"):
                rax.plot(x[vis], rel[k][vis], lw=2, **{**LINE_STYLE[k], "label": None})
            _reldev_axis(rax)
            rax.set_xlim(0.0, 1.0)
            rax.set_xlabel(r"$x = E_\phi/E_i$")
        fig.suptitle(rf"{_process_label(proc, coupling)},  $E_i = {energy:g}$ GeV", fontsize=18)
        png = _save(fig, out / "fig1_dsigma_dx.png")
    csv = _write_csv(out / "fig1_dsigma_dx.csv", {k: np.concatenate(v) for k, v in cols.items()}, {
        "figure": "e->mu paper Fig. 1 top: d sigma/dx (pb) vs x = E_phi/E_i",
        "process": f"{proc.beam.name} {proc.target.name} -> {proc.final.name} {proc.target.name} phi",
        "E_i_GeV": f"{energy:g}", "coupling_h": f"{coupling:g}",
        "reldev": "(approx - ETL)/ETL, dimensionless",
    })
    return png, csv


# ----------------------------------------------------------------------------- Fig. 1 bottom
def fig1_dsigma_dpsi(outdir, masses=FIG1_DPSI_MASSES, energy: float = 100.0, target="Pb", beam="e-", final="mu-",
                     coupling: float = 1e-4, n_psi: int = 36, quick: bool = False):
    """Fig. 1 (bottom): d sigma/dpsi [pb/rad] of the outgoing lepton angle psi, 1e-5..1 rad (log x axis).

    WW (Eq. 27 integrated over y) and IWW as in the paper, plus the ETL
    distribution, which leptoportal computes and the paper did not
    ("ETL (leptoportal)"); a lower panel shows (approx - ETL)/ETL.  The y axis is
    linear, as in the paper; a dotted line marks psi = m_phi/E_i, where the
    paper states the distributions peak.  Returns ``(png_path, csv_path)``.

    Note on normalisation: the paper's four bottom panels (E_i = 100 GeV, h = 1e-4,
    linear y axes ending at 200, 40, 4 and 1) sit a factor ~3 below leptoportal's
    WW peaks (~596, 135, 11.2 and 3.0 pb/rad for 0.15, 0.3, 0.7, 1 GeV), although
    leptoportal's WW d sigma/dpsi integrates over psi to its WW total cross
    section within 0.1 %, and the d sigma/dx and total cross sections match the
    paper's Figs. 1 (top) and 2.  The source of the factor is not identified.
    """
    proc = _validate(target, beam, final, coupling)
    out = prepare_outdir(outdir)
    n_psi = 8 if quick else n_psi
    psi = np.geomspace(1e-5, 1.0, n_psi)
    model = LFVScalar(mass=np.asarray(masses, float), coupling=coupling)
    d = {meth: api.dsigma_dpsi(model, energy, psi, target, meth, beam, final) for meth in api.METHODS}
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = {k: np.where(d["etl"] > 0, (d[k] - d["etl"]) / d["etl"], np.nan) for k in ("ww", "iww")}
    labels = {"etl": "ETL (leptoportal)", "ww": "WW", "iww": "IWW"}

    with _style():
        nrow = (len(masses) + 1) // 2
        fig = _figure((15, 7.8 * nrow))
        for i, (ax, rax) in enumerate(_panel_pairs(fig, len(masses), 2)):
            m = masses[i]
            for meth in ("etl", "ww", "iww"):
                ax.plot(psi, d[meth][i], lw=2, **{**LINE_STYLE[meth], "label": labels[meth]})
            ax.axvline(m / energy, color="grey", ls=":", lw=1.5, label=r"$\psi = m_\phi/E_i$")
            ax.set_xscale("log")
            ax.set_ylim(0, 1.3 * max(d[k][i].max() for k in d))
            ax.set_ylabel(r"$d\sigma/d\psi$ [pb/rad]")
            _mass_text(ax, m, loc=(0.04, 0.92))
            if i == 0:
                ax.legend(loc="upper right", fontsize=14, frameon=False)
            for k in ("ww", "iww"):
                rax.plot(psi, rel[k][i], lw=2, **{**LINE_STYLE[k], "label": None})
            _reldev_axis(rax)
            rax.set_xlim(psi[0], psi[-1])
            rax.set_xlabel(r"$\psi$ [rad]")
        fig.suptitle(rf"{_process_label(proc, coupling)},  $E_i = {energy:g}$ GeV", fontsize=18)
        png = _save(fig, out / "fig1_dsigma_dpsi.png")
    M, P = np.meshgrid(np.asarray(masses, float), psi, indexing="ij")
    csv = _write_csv(out / "fig1_dsigma_dpsi.csv", {
        "m_phi_GeV": M, "psi_rad": P,
        "dsigma_dpsi_ETL_pb_per_rad": d["etl"], "dsigma_dpsi_WW_pb_per_rad": d["ww"],
        "dsigma_dpsi_IWW_pb_per_rad": d["iww"], "reldev_WW": rel["ww"], "reldev_IWW": rel["iww"],
    }, {
        "figure": "e->mu paper Fig. 1 bottom: d sigma/dpsi (pb/rad) vs outgoing-lepton angle psi (rad); "
                  "ETL computed by leptoportal (not in the paper)",
        "process": f"{proc.beam.name} {proc.target.name} -> {proc.final.name} {proc.target.name} phi",
        "E_i_GeV": f"{energy:g}", "coupling_h": f"{coupling:g}",
        "reldev": "(approx - ETL)/ETL, dimensionless",
    })
    return png, csv


# ----------------------------------------------------------------------------- Fig. 2
def fig2_sigma_vs_energy(outdir, masses=FIG2_MASSES, energies=None, target="Pb", beam="e-", final="mu-",
                         coupling: float = 1e-4, quick: bool = False):
    """Fig. 2: total cross section [pb] vs incoming lepton energy [GeV] (log-log), ETL/WW/IWW.

    One panel per mass (the paper: 0.11 and 1 GeV), each with a lower panel of
    (approx - ETL)/ETL.  Default energies: 10-1000 GeV log grid containing 100 GeV.
    Returns ``(png_path, csv_path)``.
    """
    from matplotlib.ticker import NullFormatter

    proc = _validate(target, beam, final, coupling)
    out = prepare_outdir(outdir)
    E = _energy_grid(quick) if energies is None else np.asarray(energies, float)
    model = LFVScalar(mass=np.asarray(masses, float)[None, :], coupling=coupling)
    s = {meth: api.total_cross_section(model, E[:, None], target, meth, beam, final) for meth in api.METHODS}
    rel = {k: (s[k] - s["etl"]) / s["etl"] for k in ("ww", "iww")}

    with _style():
        n = len(masses)
        fig = _figure((7.5 * n, 8.5))
        for j, (ax, rax) in enumerate(_panel_pairs(fig, n, n, left=0.1, top=0.91, bottom=0.11)):
            m = masses[j]
            for meth in api.METHODS:
                ax.plot(E, s[meth][:, j], lw=2, **LINE_STYLE[meth])
            ax.set_xscale("log")
            ax.set_yscale("log")
            lo = min(s[k][:, j].min() for k in s)
            hi = max(s[k][:, j].max() for k in s)
            ax.set_ylim(10.0 ** np.floor(np.log10(lo * 0.9)), 10.0 ** np.ceil(np.log10(hi * 2.0)))
            ax.yaxis.set_minor_formatter(NullFormatter())
            ax.set_ylabel(r"$\sigma$ [pb]")
            _mass_text(ax, m, loc=(0.05, 0.93))
            ax.legend(loc="lower right", fontsize=15, frameon=False)
            for k in ("ww", "iww"):
                rax.plot(E, rel[k][:, j], lw=2, **{**LINE_STYLE[k], "label": None})
            _reldev_axis(rax)
            rax.set_xlim(E[0], E[-1])
            rax.set_xlabel(r"$E_i$ [GeV]")
        fig.suptitle(_process_label(proc, coupling), fontsize=18)
        png = _save(fig, out / "fig2_sigma_vs_energy.png")
    EE, MM = np.meshgrid(E, np.asarray(masses, float), indexing="ij")
    csv = _write_csv(out / "fig2_sigma_vs_energy.csv", {
        "E_i_GeV": EE, "m_phi_GeV": MM, "sigma_ETL_pb": s["etl"], "sigma_WW_pb": s["ww"], "sigma_IWW_pb": s["iww"],
        "reldev_WW": rel["ww"], "reldev_IWW": rel["iww"],
    }, {
        "figure": "e->mu paper Fig. 2: total cross section (pb) vs beam energy (GeV)",
        "process": f"{proc.beam.name} {proc.target.name} -> {proc.final.name} {proc.target.name} phi",
        "coupling_h": f"{coupling:g}", "reldev": "(approx - ETL)/ETL, dimensionless",
    })
    return png, csv


# ----------------------------------------------------------------------------- Fig. 4
def fig4_iww_over_etl(outdir, masses=FIG4_MASSES, energies=None, target="Pb", beam="e-", final="mu-",
                      coupling: float = 1e-4, quick: bool = False):
    """Fig. 4: sigma_IWW / sigma_ETL vs beam energy [GeV] (log x), one line per mass.

    This is the K-factor table the paper's simulation uses to rescale IWW to ETL.
    The CSV also carries both cross sections (pb).  Returns ``(png_path, csv_path)``.
    """
    import matplotlib

    proc = _validate(target, beam, final, coupling)
    out = prepare_outdir(outdir)
    E = _energy_grid(quick) if energies is None else np.asarray(energies, float)
    model = LFVScalar(mass=np.asarray(masses, float)[None, :], coupling=coupling)
    s_etl = api.total_cross_section(model, E[:, None], target, "etl", beam, final)
    s_iww = api.total_cross_section(model, E[:, None], target, "iww", beam, final)
    ratio = s_iww / s_etl

    with _style():
        fig = _figure((10, 8))
        ax = fig.add_axes((0.13, 0.12, 0.83, 0.78))
        cmap = matplotlib.colormaps["viridis"]
        for j, m in enumerate(masses):
            col = cmap(j / max(1, len(masses) - 1) * 0.9)
            ax.plot(E, ratio[:, j], lw=2, color=col, marker="o" if quick else None, ms=5,
                    label=rf"$m_\phi = {m:g}$ GeV")
        ax.axhline(1.0, color="black", lw=0.8, ls=":")
        ax.set_xscale("log")
        ax.set_xlim(E[0], E[-1])
        ax.set_ylim(0, 1.1 * np.nanmax(ratio))
        ax.set_xlabel(r"$E_i$ [GeV]")
        ax.set_ylabel(r"$\sigma_{\mathrm{IWW}} / \sigma_{\mathrm{ETL}}$")
        ax.legend(loc="upper right", fontsize=14, frameon=False)
        ax.set_title(_process_label(proc, coupling), fontsize=17)
        png = _save(fig, out / "fig4_iww_over_etl.png")
    EE, MM = np.meshgrid(E, np.asarray(masses, float), indexing="ij")
    csv = _write_csv(out / "fig4_iww_over_etl.csv", {
        "E_i_GeV": EE, "m_phi_GeV": MM, "sigma_ETL_pb": s_etl, "sigma_IWW_pb": s_iww, "ratio_IWW_over_ETL": ratio,
    }, {
        "figure": "e->mu paper Fig. 4: sigma_IWW/sigma_ETL vs beam energy (GeV)",
        "process": f"{proc.beam.name} {proc.target.name} -> {proc.final.name} {proc.target.name} phi",
        "coupling_h": f"{coupling:g}",
    })
    return png, csv


# ----------------------------------------------------------------------------- all
def plot_xsec(outdir, quick: bool = False, target="Pb", beam="e-", final="mu-", coupling: float = 1e-4):
    """Make Figs. 1 (top and bottom), 2 and 4 in ``outdir``; returns the list of written paths (PNG, CSV pairs).

    ``quick=True`` uses coarse grids (for tests and previews).  Everything is
    validated before anything is computed.
    """
    _validate(target, beam, final, coupling)
    out = prepare_outdir(outdir)
    kw = dict(target=target, beam=beam, final=final, coupling=coupling, quick=quick)
    paths = []
    for fn in (fig1_dsigma_dx, fig1_dsigma_dpsi, fig2_sigma_vs_energy, fig4_iww_over_etl):
        paths.extend(fn(out, **kw))
    return paths


# ----------------------------------------------------------------------------- NA64-mu reach
LEPTOPHILIC_MASSES = np.geomspace(0.02, 10.0, 25)


def plot_leptophilic_reach(outdir, preset="muon-specific", masses=None, mots=(1e12, 1e13), mchi_ratio=3.0,
                           eps_R=None, g_chi: float = 1.0, g2_input=None, thin_target=None, methods=("iww", "etl"),
                           quick: bool = False):
    """NA64-mu 95 % CL (N_chi >= 3) reach in (m_S, g_mu): Figs. 5-6 of the NA64-mu paper, as far as leptoportal goes.

    Curves: the paper's IWW projection (Eq. 3.1 with Eq. 3.2) for each MOT (purple, solid for
    the first and dashed for the second exposure) and the same with the exact tree-level cross
    section (black).  Bands: (g-2)_mu 2 sigma favoured (green), 5 sigma excluded (grey), the
    "future" 2 sigma band (hatched, exp. error /4 and theory /2), the SIDM-excluded masses
    (sigma_T/m_chi > 1 cm^2/g, Eq. 2.10; orange) and, when the relic module is available, the
    thermal-relic line (red).  Writes PNG + CSV; returns the paths.
    """
    from .analysis import na64mu
    from .constraints import darkmatter, g2

    out = prepare_outdir(outdir)
    ms = np.asarray(LEPTOPHILIC_MASSES if masses is None else masses, float)
    if quick and masses is None:
        ms = np.geomspace(0.02, 10.0, 8)
    curves = na64mu.reach_curves(preset, ms, mots, methods, thin_target=thin_target, g_chi=g_chi,
                                 mchi_ratio=mchi_ratio, eps_R=eps_R)
    det = g2.get_g2_determination(g2_input)
    band_lo, band_hi = g2.coupling_band(ms, 2.0, det)
    excl = g2.coupling_excluded_above(ms, 5.0, det)
    fut = g2.get_g2_determination(det.name + "_future") if det.name + "_future" in g2.load_g2_inputs() else None
    m_chi = np.asarray(na64mu.make_model(preset, ms, 1e-3, g_chi=g_chi, mchi_ratio=mchi_ratio, eps_R=eps_R).m_chi)
    sidm = darkmatter.sidm_sigma_t_over_m(g_chi, m_chi, ms) > darkmatter.SIDM_LIMIT_CM2_G
    columns = {"mass_gev": ms}
    for (method, mot), vals in curves.items():
        columns[f"g_mu_reach_{method}_mot{mot:.0e}"] = vals
    band = not det.consistent_with_zero(2.0)  # no favoured band when the 2 sigma interval contains 0
    if band:
        columns.update({"g2_2sigma_low": band_lo, "g2_2sigma_high": band_hi})
    else:
        columns["g2_2sigma_excluded_above"] = band_hi
    columns.update({"g2_5sigma_excluded_above": excl, "sidm_excluded": sidm.astype(float)})
    if fut is not None:
        flo, fhi = g2.coupling_band(ms, 2.0, fut)
        columns.update({"g2_future_2sigma_low": flo, "g2_future_2sigma_high": fhi})
    relic_note = "not drawn (leptoportal.constraints.relic not available)"
    try:
        from .constraints import relic
    except ImportError:
        relic = None
    if relic is not None and hasattr(relic, "relic_coupling"):
        columns["g_mu_relic"] = np.asarray(relic.relic_coupling(preset, ms, mchi_ratio=mchi_ratio, eps_R=eps_R,
                                                                g_chi=g_chi), float)
        relic_note = "drawn (leptoportal.constraints.relic.relic_coupling); nan = no g_mu <= sqrt(4 pi) reaches it"
        if not np.any(np.isfinite(columns["g_mu_relic"])):
            del columns["g_mu_relic"]
            relic_note = f"not drawn: no g_mu <= sqrt(4 pi) gives Omega h^2 = 0.12 at any mass with g_chi = {g_chi:g}"
            import warnings

            warnings.warn(f"relic line {relic_note}", stacklevel=2)
    relation = f"mchi=mS/{mchi_ratio:g}" if eps_R is None else f"resonance eps_R={eps_R:g}"
    stem = f"leptophilic-reach-{preset}-" + ("ratio" if eps_R is None else "resonance")
    tt = thin_target or na64mu.ThinTarget()
    meta = {"figure": "NA64-mu paper Figs. 5-6 (95% CL = 3 signal events, background free)",
            "model": preset, "relation": relation, "g_chi": g_chi, "g2_input": f"{det.name} ({det.title})"
            + ("" if band else "; Delta a_mu consistent with 0 at 2 sigma: no favoured band, its upper edge drawn as "
               "an exclusion"),
            "beam": f"{tt.beam} {tt.energy_gev:g} GeV on {tt.target_length_cm:g} cm {tt.target}",
            "x_min": tt.x_min, "form_factor": tt.form_factor, "relic_line": relic_note,
            "nan": "no sensitivity at that mass (N_chi < 3 for every g_mu <= 10)"}
    csv = _write_csv(out / f"{stem}.csv", columns, meta)
    with _style():
        fig = _figure((9, 7))
        ax = fig.add_subplot(1, 1, 1)
        ax.fill_between(ms, excl, 1.0, color="0.75", label=rf"$(g-2)_\mu$ 5$\sigma$ excluded ({det.title})", lw=0)
        if band:
            ax.fill_between(ms, band_lo, band_hi, color="#2ca02c", alpha=0.5,
                            label=rf"$(g-2)_\mu$ 2$\sigma$ ({det.title})", lw=0)
        else:
            ax.fill_between(ms, band_hi, 1.0, color="0.6", alpha=0.5, lw=0,
                            label=rf"$(g-2)_\mu$ excluded above 2$\sigma$ ($\Delta a_\mu$ consistent with 0)")
        if fut is not None:
            ax.fill_between(ms, columns["g2_future_2sigma_low"], columns["g2_future_2sigma_high"], facecolor="none",
                            edgecolor="#2ca02c", hatch="//", lw=0, label=r"$(g-2)_\mu$ future 2$\sigma$")
        if np.any(sidm):
            ax.fill_between(ms, 1e-7, 1.0, where=sidm, color="orange", alpha=0.35, lw=0,
                            label=r"SIDM $\sigma_T/m_\chi > 1$ cm$^2$/g")
        if "g_mu_relic" in columns:
            ax.plot(ms, columns["g_mu_relic"], color="red", lw=2, label=r"$\Omega_\chi h^2 = 0.12$")
        mot_styles = ["-", "--", ":", "-."]
        for (method, mot), vals in curves.items():
            ls = mot_styles[list(mots).index(mot) % 4]
            color = "#7b2cbf" if method == "iww" else "black"
            ax.plot(ms, vals, color=color, ls=ls, lw=2 if method == "iww" else 1.3,
                    label=f"NA64-$\\mu$ {method.upper()}, $10^{{{np.log10(mot):.0f}}}$ MOT")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlim(ms.min(), ms.max())
        ax.set_ylim(1e-6, 1.0)
        ax.set_xlabel(r"$m_S$ [GeV]")
        ax.set_ylabel(r"$g_\mu$")
        title = "muon-specific" if preset == "muon-specific" else "lepton-specific"
        ax.set_title(f"{title}, {relation.replace('mchi', 'm_chi').replace('mS', 'm_S')}, $g_\\chi = {g_chi:g}$",
                     fontsize=14)
        ax.legend(fontsize=10, loc="lower right")
        fig.subplots_adjust(bottom=0.13, left=0.13, right=0.96, top=0.93)
        png = _save(fig, out / f"{stem}.png")
    return [png, csv]


def plot_leptophilic_gchi(outdir, masses=None, eps_R: float = 0.1, up_to_gev: float = 1.0e3):
    """Fig. 1 of the NA64-mu paper: constraints on g_chi vs m_S from Eqs. (2.10)-(2.11).

    For m_chi = m_S/3 (dashed) and m_chi = m_S/(2 sqrt(1+eps_R)) (solid): the largest g_chi with
    sigma_T/m_chi <= 1 cm^2/g (Eq. 2.10; orange above), the Born-validity edge alpha_chi = m_S/m_chi
    (purple above: the resonant regime where Eq. 2.10 does not apply) and the g_chi above which
    alpha_chi runs to 4 pi below ``up_to_gev`` (one-loop Eq. 2.11, started at mu0 = m_S; grey
    dash-dotted).  Writes PNG + CSV; returns the paths.
    """
    from .constraints import darkmatter
    from .models.leptophilic import dm_mass

    out = prepare_outdir(outdir)
    ms = np.geomspace(1e-3, 10.0, 120) if masses is None else np.asarray(masses, float)
    cols = {"mass_gev": ms}
    rel = {"ratio3": dm_mass(ms, mchi_ratio=3.0), "resonance": dm_mass(ms, mchi_ratio=None, eps_R=eps_R)}
    for name, mc in rel.items():
        cols[f"g_chi_sidm_max_{name}"] = darkmatter.sidm_max_coupling(mc, ms)
        cols[f"g_chi_born_edge_{name}"] = np.sqrt(4 * np.pi * ms / mc)
    # ln(mu*/mu0) = 8 pi^2/(5 g^2) - 1/10 = ln(up_to/m_S)  ->  g^2 = 8 pi^2 / (5 (ln(up_to/m_S) + 1/10))
    cols["g_chi_perturbative_max"] = np.sqrt(8 * np.pi**2 / (5 * (np.log(up_to_gev / ms) + 0.1)))
    meta = {"figure": "NA64-mu paper Fig. 1", "sidm_limit_cm2_per_g": darkmatter.SIDM_LIMIT_CM2_G,
            "eps_R": eps_R, "perturbativity": f"alpha_chi < 4 pi up to {up_to_gev:g} GeV, one-loop Eq. (2.11) from m_S"}
    csv = _write_csv(out / "leptophilic-gchi-constraints.csv", cols, meta)
    with _style():
        fig = _figure((8, 6.5))
        ax = fig.add_subplot(1, 1, 1)
        top = 30.0
        for name, ls in (("ratio3", "--"), ("resonance", "-")):
            s = cols[f"g_chi_sidm_max_{name}"]
            b = cols[f"g_chi_born_edge_{name}"]
            ax.fill_between(ms, np.minimum(s, top), top, color="orange", alpha=0.25, lw=0)
            ax.plot(ms, s, color="darkorange", ls=ls, label=rf"$\sigma_T/m_\chi = 1$ cm$^2$/g ({'$m_S/3$' if name == 'ratio3' else 'resonance'})")
            ax.fill_between(ms, np.minimum(b, top), top, color="purple", alpha=0.15, lw=0)
            ax.plot(ms, b, color="purple", ls=ls, lw=1.2)
        ax.plot(ms, cols["g_chi_perturbative_max"], color="0.4", ls="-.",
                label=rf"$\alpha_\chi \to 4\pi$ below {up_to_gev:g} GeV")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlim(ms.min(), ms.max())
        ax.set_ylim(1e-2, top)
        ax.set_xlabel(r"$m_S$ [GeV]")
        ax.set_ylabel(r"$g_\chi$")
        ax.legend(fontsize=10, loc="lower right")
        fig.subplots_adjust(bottom=0.13, left=0.13, right=0.96, top=0.95)
        png = _save(fig, out / "leptophilic-gchi-constraints.png")
    return [png, csv]
