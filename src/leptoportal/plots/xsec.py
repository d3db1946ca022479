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

from ..fileio import check_writable_dir, save_figure, write_csv
from ..xsec import api
from .style import new_figure, sci, style

__all__ = ["fig1_dsigma_dx", "fig1_dsigma_dpsi", "fig2_sigma_vs_energy", "fig4_iww_over_etl", "plot_xsec"]

#: the paper's colours: ETL black solid, WW green dashed, IWW blue dashed
LINE_STYLE = {
    "etl": dict(color="black", linestyle="-", label="ETL"),
    "ww": dict(color="#1a9a1a", linestyle="--", label="WW"),
    "iww": dict(color="#1f3fd8", linestyle="--", label="IWW"),
}
_LATEX = {"e-": "e^-", "e+": "e^+", "mu-": r"\mu^-", "mu+": r"\mu^+"}


# ----------------------------------------------------------------------------- helpers
def _process_label(proc, coupling) -> str:
    b = _LATEX.get(proc.beam.name, proc.beam.name)
    f = _LATEX.get(proc.final.name, proc.final.name)
    return rf"${b}\,{proc.target.name} \to {f}\,{proc.target.name}\,\phi$,  $h = {sci(coupling)}$"


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
def fig1_dsigma_dx(outdir, data):
    """Fig. 1 (top) of the e->mu paper: d sigma/dx [pb] for ETL, WW, IWW, x = E_phi/E_i.

    One column pair per mass (2 x 2 layout), each with a lower panel of the
    relative deviation (approx - exact)/exact, exact = ETL (Eq. 12).  The x grid
    of each mass runs from just above threshold (x > m_phi/E_i) to
    1 - 2 m_f/E_i, denser towards x -> 1 where IWW departs; points where any
    method vanishes (kinematic edges) are dropped from both plot and CSV.  The
    lower panel shows the deviation only where the ETL curve is within the main
    panel's y range (peak/1e5); the CSV has it at every x.  ``data``:
    :func:`leptoportal.xsec.figures.fig1_dx_data`.  Returns ``(png_path, csv_path)``.
    """
    proc, energy, coupling, masses, curves = (data[k] for k in ("proc", "energy", "coupling", "masses", "curves"))
    out = check_writable_dir(Path(outdir).expanduser(), "outdir")
    cols = {k: [] for k in ("m_phi_GeV", "x", "dsigma_dx_ETL_pb", "dsigma_dx_WW_pb", "dsigma_dx_IWW_pb",
                            "reldev_WW", "reldev_IWW")}
    for m, x, d, rel in curves:
        cols["m_phi_GeV"].append(np.full(x.shape, m))
        cols["x"].append(x)
        cols["dsigma_dx_ETL_pb"].append(d["etl"])
        cols["dsigma_dx_WW_pb"].append(d["ww"])
        cols["dsigma_dx_IWW_pb"].append(d["iww"])
        cols["reldev_WW"].append(rel["ww"])
        cols["reldev_IWW"].append(rel["iww"])

    with style():
        nrow = (len(masses) + 1) // 2
        fig = new_figure((15, 7.8 * nrow))
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
        png = save_figure(fig, out / "fig1_dsigma_dx.png", dpi=100)
    csv = write_csv(out / "fig1_dsigma_dx.csv", {k: np.concatenate(v) for k, v in cols.items()}, {
        "figure": "e->mu paper Fig. 1 top: d sigma/dx (pb) vs x = E_phi/E_i",
        "process": f"{proc.beam.name} {proc.target.name} -> {proc.final.name} {proc.target.name} phi",
        "E_i_GeV": f"{energy:g}", "coupling_h": f"{coupling:g}",
        "reldev": "(approx - ETL)/ETL, dimensionless",
    })
    return png, csv


# ----------------------------------------------------------------------------- Fig. 1 bottom
def fig1_dsigma_dpsi(outdir, data):
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
    paper's Figs. 1 (top) and 2.  The source of the factor is not identified.  ``data``:
    :func:`leptoportal.xsec.figures.fig1_dpsi_data`.
    """
    proc, energy, coupling, masses, psi, d, rel = (data[k] for k in ("proc", "energy", "coupling", "masses", "psi",
                                                                      "d", "rel"))
    out = check_writable_dir(Path(outdir).expanduser(), "outdir")
    labels = {"etl": "ETL (leptoportal)", "ww": "WW", "iww": "IWW"}

    with style():
        nrow = (len(masses) + 1) // 2
        fig = new_figure((15, 7.8 * nrow))
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
        png = save_figure(fig, out / "fig1_dsigma_dpsi.png", dpi=100)
    M, P = np.meshgrid(np.asarray(masses, float), psi, indexing="ij")
    csv = write_csv(out / "fig1_dsigma_dpsi.csv", {
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
def fig2_sigma_vs_energy(outdir, data):
    """Fig. 2: total cross section [pb] vs incoming lepton energy [GeV] (log-log), ETL/WW/IWW.

    One panel per mass (the paper: 0.11 and 1 GeV), each with a lower panel of
    (approx - ETL)/ETL.  Default energies: 10-1000 GeV log grid containing 100 GeV.
    ``data``: :func:`leptoportal.xsec.figures.fig2_data`.  Returns ``(png_path, csv_path)``.
    """
    from matplotlib.ticker import NullFormatter

    proc, coupling, masses, E, s, rel = (data[k] for k in ("proc", "coupling", "masses", "E", "s", "rel"))
    out = check_writable_dir(Path(outdir).expanduser(), "outdir")

    with style():
        n = len(masses)
        fig = new_figure((7.5 * n, 8.5))
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
        png = save_figure(fig, out / "fig2_sigma_vs_energy.png", dpi=100)
    EE, MM = np.meshgrid(E, np.asarray(masses, float), indexing="ij")
    csv = write_csv(out / "fig2_sigma_vs_energy.csv", {
        "E_i_GeV": EE, "m_phi_GeV": MM, "sigma_ETL_pb": s["etl"], "sigma_WW_pb": s["ww"], "sigma_IWW_pb": s["iww"],
        "reldev_WW": rel["ww"], "reldev_IWW": rel["iww"],
    }, {
        "figure": "e->mu paper Fig. 2: total cross section (pb) vs beam energy (GeV)",
        "process": f"{proc.beam.name} {proc.target.name} -> {proc.final.name} {proc.target.name} phi",
        "coupling_h": f"{coupling:g}", "reldev": "(approx - ETL)/ETL, dimensionless",
    })
    return png, csv


# ----------------------------------------------------------------------------- Fig. 4
def fig4_iww_over_etl(outdir, data):
    """Fig. 4: sigma_IWW / sigma_ETL vs beam energy [GeV] (log x), one line per mass.

    This is the K-factor table the paper's simulation uses to rescale IWW to ETL.
    The CSV also carries both cross sections (pb).  ``data``: :func:`leptoportal.xsec.figures.fig4_data`.
    Returns ``(png_path, csv_path)``.
    """
    import matplotlib

    proc, coupling, masses, E, s_etl, s_iww, ratio, quick = (
        data[k] for k in ("proc", "coupling", "masses", "E", "s_etl", "s_iww", "ratio", "quick"))
    out = check_writable_dir(Path(outdir).expanduser(), "outdir")

    with style():
        fig = new_figure((10, 8))
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
        png = save_figure(fig, out / "fig4_iww_over_etl.png", dpi=100)
    EE, MM = np.meshgrid(E, np.asarray(masses, float), indexing="ij")
    csv = write_csv(out / "fig4_iww_over_etl.csv", {
        "E_i_GeV": EE, "m_phi_GeV": MM, "sigma_ETL_pb": s_etl, "sigma_IWW_pb": s_iww, "ratio_IWW_over_ETL": ratio,
    }, {
        "figure": "e->mu paper Fig. 4: sigma_IWW/sigma_ETL vs beam energy (GeV)",
        "process": f"{proc.beam.name} {proc.target.name} -> {proc.final.name} {proc.target.name} phi",
        "coupling_h": f"{coupling:g}",
    })
    return png, csv


# ----------------------------------------------------------------------------- all
def plot_xsec(outdir, figures: dict):
    """Draw Figs. 1 (top and bottom), 2 and 4 in ``outdir`` from ``figures`` =
    :func:`leptoportal.xsec.figures.paper_figures`; returns the list of written paths (PNG, CSV pairs)."""
    out = check_writable_dir(Path(outdir).expanduser(), "outdir")
    paths = []
    for name, fn in (("fig1_dsigma_dx", fig1_dsigma_dx), ("fig1_dsigma_dpsi", fig1_dsigma_dpsi),
                     ("fig2_sigma_vs_energy", fig2_sigma_vs_energy), ("fig4_iww_over_etl", fig4_iww_over_etl)):
        paths.extend(fn(out, figures[name]))
    return paths
