"""The public surface of the package: what a user may import.  A change to these lists is a change
of the API -- make it on purpose (and say it in the changelog of the release), never by accident.
Every name listed must exist and be importable; nothing else is exported with ``__all__``."""

from __future__ import annotations

import importlib

import pytest

PUBLIC = {
    "leptoportal": ["InputError", "LFVScalar", "Material", "__version__", "custom_material", "dsigma_dcos_psi",
                    "dsigma_dpsi", "dsigma_dx", "dsigma_dy", "get_material", "total_cross_section"],
    "leptoportal.stats": ["ASYMPTOTIC_MIN_AUX", "ASYMPTOTIC_MIN_BACKGROUND", "LimitResult", "LimitSearch",
                          "asymptotic_cls_limit", "events_required_background_free", "find_limits",
                          "marginal_poisson_cdf", "median_background_count", "poisson_upper_limit", "toys_cls_limit",
                          "upper_limit", "upper_limits"],
    "leptoportal.reach": ["COLUMNS", "PointYield", "ReachConfig", "RequiredSignal", "ScanResult", "YieldProvider",
                          "background_model", "get_provider", "load_config", "mass_seeds", "parse_config",
                          "provider_names", "read_reach_csv", "register_provider", "required_signal", "run_point",
                          "run_scan", "shipped_configs"],
    "leptoportal.plots": ["fig1_dsigma_dpsi", "fig1_dsigma_dx", "fig2_sigma_vs_energy", "fig4_iww_over_etl",
                          "new_figure", "plot_dmdd", "plot_leptophilic_gchi", "plot_reach",
                          "plot_relic_line", "plot_xsec", "sci", "style", "write_background_plots",
                          "write_signal_plots"],
    "leptoportal.generate": ["EventBatch", "read_events", "sample_events", "write_events"],
    "leptoportal.models": ["LFVScalar", "LeptophilicScalar", "dm_mass", "loop_f12", "loop_f12_onshell"],
    "leptoportal.models.decay": ["decay_length_cm", "decay_probability", "kept_fraction", "mean_kept_fraction",
                                 "missing_energy_fraction", "proper_distance_cm", "survival_probability"],
    "leptoportal.domains": ["COUPLING_MAX", "DOMAINS", "Domain", "EVENTS_MAX", "EXPOSURE_MAX", "N_MASSES_MAX", "arg",
                            "check", "check_array", "help_range", "markdown_table"],
    "leptoportal.constraints.registry": ["KINDS", "MODELS", "ROLES", "Constraint", "ModelChoice", "constraints_for",
                                         "get_constraint", "load_limit_file", "register_constraint", "registered_ids"],
    "leptoportal.cache": ["cache_dir", "cache_key", "cache_root", "load_npz", "save_npz", "source_hash"],
}
#: entry points and names documented in the README / docs that live outside an __all__
DOCUMENTED = {
    "leptoportal.cli": ["main", "build_parser", "COMMANDS"],
    "leptoportal.xsec.api": ["total_cross_section", "dsigma_dx", "dsigma_dy", "dsigma_dpsi", "dsigma_dcos_psi",
                             "make_process", "ww_validity", "ApproximationWarning", "METHODS"],
    "leptoportal.xsec.tables": ["sigma_table"],
    "leptoportal.analysis.signal": ["simulate_signal", "SignalResult", "efficiency_vs_mass"],
    "leptoportal.analysis.backgrounds": ["estimate", "estimate_na64mu"],
    "leptoportal.errors": ["InputError"],
}


@pytest.mark.parametrize("module", sorted(PUBLIC))
def test_all_is_the_public_surface(module):
    mod = importlib.import_module(module)
    assert sorted(mod.__all__) == sorted(PUBLIC[module])
    for name in mod.__all__:
        assert hasattr(mod, name), f"{module}.{name} is exported but missing"


@pytest.mark.parametrize("module", sorted(DOCUMENTED))
def test_documented_names_exist(module):
    mod = importlib.import_module(module)
    missing = [n for n in DOCUMENTED[module] if not hasattr(mod, n)]
    assert missing == []


def test_cli_entry_point_and_commands():
    from leptoportal import cli

    assert callable(cli.main)
    choices = next(a for a in cli.build_parser()._actions if a.dest == "command").choices
    assert sorted(choices) == sorted(cli.COMMANDS)
