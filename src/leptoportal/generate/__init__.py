"""Event generation for l_i N -> l_f N phi: exact samplers and HepMC3 / LHE / Parquet writers.

    from leptoportal import LFVScalar
    from leptoportal.generate import sample_events, write_events
    ev = sample_events(LFVScalar(mass=0.3, coupling=1e-4), 100.0, 100_000, np.random.default_rng(1),
                       target="Pb", method="ww")
    write_events(ev, "events.hepmc3")

See docs/generate.md for the algorithm, its exactness and the validation record.
"""

from .sampler import EventBatch, sample_events
from .writers import read_events, write_events

__all__ = ["EventBatch", "sample_events", "write_events", "read_events"]
