"""NA64-mu with the LFV scalar, mu N -> e N phi (analysis/signal_mue.py)."""

from __future__ import annotations

import numpy as np
import pytest

from leptoportal import LFVScalar
from leptoportal.analysis.signal_mue import contained_fraction, simulate_signal_mu_to_e
from leptoportal.detector.setup import load_setup
from leptoportal.errors import InputError
from leptoportal.units import PB_TO_CM2
from leptoportal.xsec.api import total_cross_section
from tolerances import rounding


def test_yield_is_thin_target_sum_over_nuclei():
    """N/MOT = sum_N n_N sigma_N L to first order in the (small) energy loss across the target."""
    st = load_setup("na64mu")
    ecal = st.ecal
    dens = ecal.shower_medium().nuclei()
    model = LFVScalar(0.3, 1e-4)
    E0 = st.beam.energy_gev
    ref = sum(dens[n] * float(total_cross_section(model, E0, target=n, method="ww", beam="mu+", final="e+"))
              for n in ("Pb", "C")) * PB_TO_CM2 * ecal.thickness_cm
    r = simulate_signal_mu_to_e("na64mu", 0.3, 1e-4, events=2000, seed=3)
    assert r.yield_per_eot == pytest.approx(ref, rel=2e-2)
    # scales as h^2, efficiency in [0, 1], reproducible
    r2 = simulate_signal_mu_to_e("na64mu", 0.3, 2e-4, events=2000, seed=3)
    assert r2.yield_per_eot == pytest.approx(4 * r.yield_per_eot, rel=rounding(1, 16))  # h^2 multiplies the same sum
    assert 0.0 <= r.efficiency <= 1.0
    assert np.array_equal(r.arrays["e_miss"], r2.arrays["e_miss"])


def test_phi_carries_the_energy_so_emiss_cut_is_efficient():
    """Fig. 1 of the e->mu paper: phi takes most of the beam energy; E_miss = E_phi passes 50 GeV."""
    r = simulate_signal_mu_to_e("na64mu", 0.5, 1e-4, events=4000, seed=1)
    assert r.efficiency > 0.9
    assert np.median(r.arrays["e_miss"]) > 100.0


def test_containment_profile_limits():
    """PDG Eq. (34.35) profile: fraction -> 0 at zero depth, -> 1 deep; ~1/2 near t_max + 1/b."""
    assert contained_fraction(50.0, 0.0, 0.01) == pytest.approx(0.0)
    assert contained_fraction(50.0, 40.0, 0.01) > 0.999
    tmax = np.log(50.0 / 0.01) - 0.5
    assert 0.35 < contained_fraction(50.0, tmax, 0.01) < 0.6


def test_bad_inputs():
    with pytest.raises(InputError) as e:
        simulate_signal_mu_to_e("na64mu", 0.1, 1e-4, events=10)
    assert e.value.parameter == "mass"
    with pytest.raises(InputError) as e:
        simulate_signal_mu_to_e("na64e", 0.3, 1e-4, events=10)
    assert e.value.parameter == "setup"
    with pytest.raises(InputError) as e:
        simulate_signal_mu_to_e("na64mu", 0.3, 1e-4, events=10, cuts={"nope": 1})
    assert e.value.parameter == "cuts"
