"""The reach figure: excluded coupling versus mass with constraint overlays (HEP style, mplhep).

:func:`plot_reach` writes ``reach.png`` and ``reach.pdf`` and, beside them,
``reach_overlays.csv`` with exactly the overlay arrays drawn (the reach curves themselves are
``reach.csv``, written by the scan).  Log-log axes; one line style per exposure (solid,
dashed, dotted: the NA64-mu paper's Figs. 5-6 draw 1e12 MOT solid and 1e13 MOT dashed, in
purple); overlays in the papers' colours (see :data:`leptoportal.reach.overlays.DEFAULT_STYLE`):
g-2 band green (NA64-mu) or purple (e->mu Fig. 8), 5 sigma g-2 exclusion grey, relic lines
red (NA64-mu) or black (e->mu), SIDM region orange.  Drawn on an explicit Agg canvas inside
a temporary mplhep style context (no global matplotlib state is changed).

When the config states its observed events (``observed_events``) every exposure gets two curves
in the same colour: the median expected limit dashed and the observed limit solid (legend
"..., expected (median)" / "..., observed (n events)"); the shaded excluded region is then the
observed one.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ..fileio import save_figure, write_csv
from .style import new_figure, sci, style

__all__ = ["plot_reach", "LINESTYLES"]

#: expected limits are dashed (one dash pattern per exposure), observed limits solid, comparison curves
#: dotted grey (docs/design.md, "Plot convention")
LINESTYLES = ("--", (0, (8, 2, 2, 2)), (0, (3, 1.5)), (0, (10, 3)))
OBSERVED_LINESTYLE = "-"
COMPARISON_STYLE = {"color": "0.45", "ls": ":", "lw": 2.0}


def _curve_label(cfg, i: int, exposure: float) -> str:
    if "curve_labels" in cfg.plot:
        return cfg.plot["curve_labels"][i]
    return rf"${sci(exposure)}$ {cfg.exposure_unit}"


def _mass_label(cfg) -> str:
    return r"$m_S$ [GeV]" if cfg.model["name"] == "leptophilic" else r"$m_\phi$ [GeV]"


def plot_reach(cfg, rows: list[dict], overlays: list[dict], outdir, comparisons=()) -> dict:
    """Draw the reach of ``rows`` (reach.csv rows) with ``overlays`` and ``comparisons`` (curves
    {m, g, label} drawn dotted grey); returns the written paths."""
    from ..reach.overlays import mass_range

    out = Path(outdir)
    x_lo, x_hi = mass_range(cfg, rows)
    finite = [r[k] for r in rows for k in ("coupling_limit", "coupling_upper_edge", "coupling_limit_observed",
                                           "coupling_upper_edge_observed") if math.isfinite(r.get(k, math.nan))]
    if "ylim" in cfg.plot:
        y_lo, y_hi = cfg.plot["ylim"]
    else:
        ov_vals = [v for o in overlays if o["kind"] in ("g2-band", "relic", "relic-lfv")
                   for v in np.concatenate([o["lo"], o["hi"]]) if np.isfinite(v) and v > 0]
        vals = finite + ov_vals
        if vals:
            y_lo = 10.0 ** math.floor(math.log10(min(vals)) - 0.3)
            y_hi = 10.0 ** math.ceil(math.log10(max(vals)) + 0.3)
        else:
            y_lo, y_hi = cfg.coupling["min"], cfg.coupling["max"]
        y_lo = max(y_lo, cfg.coupling["min"] / 10)
        y_hi = min(y_hi, cfg.coupling["max"] * 10)

    #: a figure with many curves (the NA64-mu paper's Figs. 5-6) puts its legend beside the axes
    wide = len(overlays) + len(comparisons) + len(cfg.exposures) * (2 if getattr(cfg, "observed_events", None)
                                                                    is not None else 1) > 8
    with style():
        fig = new_figure((16, 8) if wide else (10, 8))
        ax = fig.add_axes((0.09, 0.12, 0.52, 0.80) if wide else (0.14, 0.12, 0.82, 0.80))
        handles = []
        for o in overlays:
            st = o["style"]
            m = o["m"]
            if o["kind"] == "g2-band":
                if "hatch" in st:
                    h = ax.fill_between(m, np.maximum(o["lo"], y_lo), o["hi"], facecolor="none", edgecolor=st["color"],
                                        hatch=st["hatch"], lw=0.0, label=o["label"], zorder=1)
                else:
                    h = ax.fill_between(m, np.maximum(o["lo"], y_lo), o["hi"], color=st["color"],
                                        alpha=st.get("alpha", 0.55), lw=0.0, label=o["label"], zorder=1)
            elif o["kind"] == "g2-excluded":
                h = ax.fill_between(m, o["lo"], y_hi * 10, color=st["color"], alpha=st.get("alpha", 0.5), lw=0.0,
                                    label=o["label"], zorder=1)
            elif o["kind"] == "sidm":
                h = ax.axvspan(x_lo / 10, o["boundary_gev"], color=st["color"], alpha=st.get("alpha", 0.3), lw=0.0,
                               label=o["label"], zorder=0)
            elif o["kind"] == "experiment":  # another experiment's reach: its edges as lines
                (h,) = ax.plot(m, o["lo"], color=st["color"], ls=st.get("linestyle", "--"), lw=2.0, label=o["label"],
                               zorder=3)
                if np.isfinite(o["hi"]).any():
                    ax.plot(m, o["hi"], color=st["color"], ls=st.get("linestyle", "--"), lw=2.0, zorder=3)
            elif o.get("role") in ("excluded", "favoured"):  # a registry constraint or a user's limit file
                ok = np.isfinite(o["lo"])
                top = np.minimum(o["hi"], y_hi * 10)
                h = ax.fill_between(m, o["lo"], top, where=ok, color=st["color"], alpha=st.get("alpha", 0.35),
                                    hatch=st.get("hatch"), lw=0.0, label=o["label"], zorder=1)
                ax.plot(m, o["lo"], color=st["color"], lw=1.2, zorder=1.5)  # its edge, readable where regions overlap
            else:
                (h,) = ax.plot(m, o["lo"], color=st["color"], ls=st.get("linestyle", "-"), lw=2.0, label=o["label"],
                               zorder=2)
            handles.append(h)
        color = cfg.plot.get("curve_color", "#7b2d8e")
        observed = getattr(cfg, "observed_events", None)
        for i, E in enumerate(cfg.exposures):
            rr = sorted((r for r in rows if r["exposure"] == E), key=lambda r: r["mass_gev"])
            m = np.array([r["mass_gev"] for r in rr])
            label = _curve_label(cfg, i, E)
            curves = [("coupling_limit", "coupling_upper_edge", LINESTYLES[i % len(LINESTYLES)],
                       label + (", expected (median)" if observed is not None else ""))]
            if observed is not None:
                n = observed[i]
                curves.append(("coupling_limit_observed", "coupling_upper_edge_observed", OBSERVED_LINESTYLE,
                               f"{label}, observed ({n} event{'' if n == 1 else 's'})"))
            for k_lo, k_hi, ls, lab in curves:
                lo = np.array([r[k_lo] for r in rr])
                hi = np.array([r[k_hi] for r in rr])
                (h,) = ax.plot(m, lo, color=color, ls=ls, lw=2.5, label=lab, zorder=4)
                handles.append(h)
                if np.isfinite(hi).any():
                    ax.plot(m, hi, color=color, ls=ls, lw=2.5, zorder=4)
            # the excluded region: the observed one when there is an observation
            top = np.where(np.isfinite(hi), hi, y_hi * 10)
            ax.fill_between(m, lo, top, where=np.isfinite(lo), color=color, alpha=0.06, lw=0.0, zorder=0.5)
        for c in comparisons:
            (h,) = ax.plot(c["m"], c["g"], label=c["label"], zorder=3, **COMPARISON_STYLE)
            handles.append(h)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlim(x_lo, x_hi)
        if math.log10(x_hi / x_lo) < 2.5:  # narrow log range: label 1-2-3-5 ticks, no crowded minor labels
            from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter

            steps = (1, 2, 3, 5) if math.log10(x_hi / x_lo) < 1.5 else (1, 2, 5)  # labels that do not collide
            ticks = [b * 10.0**e for e in range(math.floor(math.log10(x_lo)), math.ceil(math.log10(x_hi)) + 1)
                     for b in steps if x_lo <= b * 10.0**e <= x_hi]
            ax.xaxis.set_major_locator(FixedLocator(ticks))
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
            ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_ylim(y_lo, y_hi)
        ax.set_xlabel(_mass_label(cfg))
        ax.set_ylabel(cfg.coupling["label"])
        ax.set_title(f"{cfg.title}: {100 * cfg.cl:g}% CL", fontsize=16)
        if wide:
            ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=12, frameon=False,
                      handlelength=3.5)  # long enough to show the dash patterns of the curves
        else:
            ax.legend(handles=handles, loc=cfg.plot.get("legend_loc", "best"), fontsize=13, frameon=False,
                      handlelength=3.5)
        png = out / "reach.png"
        pdf = out / "reach.pdf"
        save_figure(fig, png, dpi=100)
        save_figure(fig, pdf)

    cols = {"overlay_index": [], "mass_gev": [], "coupling_low": [], "coupling_high": []}
    kinds = []
    for o in overlays:
        k = len(o["m"])
        cols["overlay_index"].append(np.full(k, o["index"], float))
        cols["mass_gev"].append(np.asarray(o["m"], float))
        cols["coupling_low"].append(np.asarray(o["lo"], float))
        cols["coupling_high"].append(np.asarray(o["hi"], float))
        kinds.append(f"{o['index']}={o['kind']} [{o['label']}] from {o['source']}")
    for j, c in enumerate(comparisons):
        k = len(c["m"])
        cols["overlay_index"].append(np.full(k, -1.0 - j))
        cols["mass_gev"].append(np.asarray(c["m"], float))
        cols["coupling_low"].append(np.asarray(c["g"], float))
        cols["coupling_high"].append(np.asarray(c["g"], float))
        kinds.append(f"{-1 - j}=comparison [{c['label']}] at exposure {c['exposure']:g} (dotted grey)")
    data = {k: (np.concatenate(v) if v else np.array([])) for k, v in cols.items()}
    csv = write_csv(out / "reach_overlays.csv", data, {
        "figure": "reach.png overlays (the reach curves are in reach.csv)",
        "overlays": "; ".join(kinds) or "none",
        **({"reproduces": cfg.plot["reproduces"]} if cfg.plot.get("reproduces") else {}),
        **({"not drawn": " | ".join(cfg.plot["not_drawn"])} if cfg.plot.get("not_drawn") else {}),
        "units": "mass_gev in GeV; couplings dimensionless; inf = up to the top of the plot; "
                 "sidm: mass_gev is the boundary m_S* (region below it); relic lines: low = high; nan = no solution",
    })
    return {"png": png, "pdf": pdf, "overlays_csv": csv}
