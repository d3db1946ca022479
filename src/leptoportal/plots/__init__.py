"""Figures: every function takes computed results and draws them, with the plotted data as CSV
beside each PNG; one style (:mod:`.style`: explicit Agg canvas, mplhep ROOT look).

* :mod:`.xsec` -- the e->mu paper's Figs. 1, 2, 4 (cross sections, ETL/WW/IWW);
* :mod:`.reach` -- the reach figure of a scan (:func:`plot_reach`);
* :mod:`.leptophilic` -- the NA64-mu paper's Fig. 1 (its Figs. 5-6 are reach figures);
* :mod:`.signal`, :mod:`.backgrounds` -- the e->mu paper's Figs. 5-7 from a simulation;
* :mod:`.relic` -- the relic line.
"""

from .backgrounds import write_background_plots
from .leptophilic import plot_dmdd, plot_leptophilic_gchi
from .reach import plot_reach
from .relic import plot_relic_line
from .signal import write_signal_plots
from .style import new_figure, sci, style
from .xsec import fig1_dsigma_dpsi, fig1_dsigma_dx, fig2_sigma_vs_energy, fig4_iww_over_etl, plot_xsec

__all__ = ["fig1_dsigma_dx", "fig1_dsigma_dpsi", "fig2_sigma_vs_energy", "fig4_iww_over_etl", "plot_xsec",
           "plot_reach", "plot_dmdd", "plot_leptophilic_gchi", "write_signal_plots",
           "write_background_plots", "plot_relic_line", "new_figure", "style", "sci"]
