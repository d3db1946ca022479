"""Figures of a simulated signal (e->mu paper Figs. 5-7): HCAL deposits per module, E_miss after cuts
(i)-(ii), the efficiency versus mass; each PNG with its CSV beside it."""

from __future__ import annotations

import numpy as np

from ..fileio import save_figure, write_csv
from .style import new_figure

__all__ = ["write_signal_plots"]


def write_signal_plots(result, outdir, scan: dict | None = None) -> list:
    """Figs. 6 (HCAL deposits per module) and 7 (E_miss, signal) of the e->mu paper, with CSVs beside them."""
    from pathlib import Path


    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    files = []
    a = result.arrays
    hc = np.asarray(a["hcal"], float)
    bins = np.linspace(0, 10, 51)
    fig = new_figure((4 * hc.shape[1], 3.2))
    axes = fig.subplots(1, hc.shape[1], squeeze=False)
    rows = [bins[:-1], bins[1:]]
    for k in range(hc.shape[1]):
        h, _ = np.histogram(hc[:, k], bins=bins, weights=a["weight"])
        h = h / max(a["weight"].sum(), 1e-300)
        rows.append(h)
        axes[0, k].step(bins[:-1], h, where="post")
        axes[0, k].set_xlabel(f"HCAL{k} deposit [GeV]")
        axes[0, k].set_yscale("log")
    axes[0, 0].set_ylabel("fraction of events")
    fig.suptitle(f"signal, m_phi = {result.mass:g} GeV (no cuts)")
    fig.tight_layout()
    save_figure(fig, out / "hcal_deposits.png", dpi=120)
    write_csv(out / "hcal_deposits.csv",
              dict(zip(["lo_gev", "hi_gev"] + [f"hcal{k}_fraction" for k in range(hc.shape[1])], rows)))
    files += [out / "hcal_deposits.png", out / "hcal_deposits.csv"]
    sel = a["selection"]
    # Fig. 7: all selection criteria except the E_miss cut (iii)
    base = np.asarray(sel["cut_i"], bool) & np.asarray(sel["cut_ii"], bool)
    b2 = np.linspace(0, 100, 51)
    h, _ = np.histogram(a["e_miss"][base], bins=b2, weights=a["weight"][base])
    h = h / max(a["weight"].sum(), 1e-300)
    fig = new_figure((5, 3.5))
    ax = fig.subplots()
    ax.step(b2[:-1], h, where="post")
    ax.set_yscale("log")
    ax.set_xlabel("E_miss [GeV]")
    ax.set_ylabel("fraction of produced events (cuts i, ii)")
    fig.tight_layout()
    save_figure(fig, out / "e_miss.png", dpi=120)
    write_csv(out / "e_miss.csv", {"lo_gev": b2[:-1], "hi_gev": b2[1:], "fraction": h})
    files += [out / "e_miss.png", out / "e_miss.csv"]
    if scan:
        fig = new_figure((5, 3.5))
        ax = fig.subplots()
        ax.errorbar(scan["mass"], scan["efficiency"], yerr=scan["efficiency_error"], marker="o")
        ax.set_xscale("log")
        ax.set_xlabel("m_phi [GeV]")
        ax.set_ylabel("efficiency")
        fig.tight_layout()
        save_figure(fig, out / "efficiency_vs_mass.png", dpi=120)
        write_csv(out / "efficiency_vs_mass.csv",
                  {"mass_gev": scan["mass"], "efficiency": scan["efficiency"],
                   "efficiency_error": scan["efficiency_error"], "yield_per_eot": scan["yield_per_eot"],
                   "selected_per_eot": scan["selected_per_eot"]})
        files += [out / "efficiency_vs_mass.png", out / "efficiency_vs_mass.csv"]
    return files
