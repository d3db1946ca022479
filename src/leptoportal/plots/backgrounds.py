"""Fig. 7 of the e->mu paper: E_miss of the backgrounds (and a signal) after cuts (i)-(ii); PNG + CSV."""

from __future__ import annotations

import numpy as np

from ..fileio import save_figure, write_csv
from .style import new_figure

__all__ = ["write_background_plots"]


def write_background_plots(result, outdir, signal=None) -> list:
    """Fig. 7 of the e->mu paper: E_miss after all cuts but E_miss, backgrounds (+ signal if given).

    Writes PNG and CSV side by side; returns the paths.
    """
    from pathlib import Path


    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    edges = np.linspace(-20, 100, 61)
    a = result.arrays
    h_dm, _ = np.histogram(a.get("dimuon_e_miss", []), edges, weights=a.get("dimuon_w", []))
    h_hd, _ = np.histogram(a.get("hadron_e_miss", []), edges, weights=a.get("hadron_w", []))
    cols = {"e_miss_lo_gev": edges[:-1], "e_miss_hi_gev": edges[1:], "dimuon_per_eot": h_dm, "hadron_per_eot": h_hd}
    fig = new_figure((6, 4))
    ax = fig.subplots()
    ax.stairs(h_dm, edges, label="dimuon background", color="green")
    ax.stairs(h_hd, edges, label="hadron decays in flight", color="orange")
    if signal is not None:
        sa = signal.arrays
        sel = np.asarray(sa["selection"]["cut_i"], bool) & np.asarray(sa["selection"]["cut_ii"], bool)
        w = np.asarray(sa["weight"], float)
        w = w / w.sum() * signal.yield_per_eot
        h_s, _ = np.histogram(np.asarray(sa["e_miss"])[sel], edges, weights=w[sel])
        cols["signal_per_eot"] = h_s
        ax.stairs(h_s, edges, label=f"signal m={signal.mass:g} GeV, h={signal.coupling:g}", color="blue")
    ax.axvline(20.0, ls="--", color="k", lw=0.8)
    ax.set_yscale("log")
    ax.set_xlabel("Missing energy [GeV]")
    ax.set_ylabel("events per EOT per bin")
    ax.set_title("E_miss after cuts (i)-(ii) (e->mu paper Fig. 7)")
    ax.legend(fontsize=8)
    png = out / "background_emiss.png"
    fig.tight_layout()
    save_figure(fig, png, dpi=120)
    csv = write_csv(out / "background_emiss.csv", cols, fmt="{:.6g}")
    return [png, csv]
