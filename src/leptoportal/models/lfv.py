"""Scalar phi coupled to a lepton pair: the e->mu paper's L = -h e-bar P_R mu phi + h.c. (its Eq. 1),
or, with ``vertex="scalar"`` / ``"pseudoscalar"``, g l_f-bar l_i phi / g l_f-bar i gamma5 l_i phi."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..domains import DOMAINS, check, check_array
from ..errors import InputError

from .vertices import VERTICES


@dataclass(frozen=True)
class LFVScalar:
    """Scalar of mass ``mass`` [GeV] coupling with strength ``coupling`` to the lepton pair.

    ``vertex``: "chiral" (h l_f-bar P_R l_i phi, the e->mu paper; default), "scalar"
    (g l_f-bar l_i phi) or "pseudoscalar" (g l_f-bar i gamma5 l_i phi).
    ``mass`` may be a float or an array (cross-section functions broadcast over it).
    The same vertex is used for every lepton pair (l_i = l_f included).
    """

    mass: float | np.ndarray
    coupling: float = 1.0
    vertex: str = "chiral"

    def __post_init__(self):
        check_array(self.mass, "mass", "mass")
        if isinstance(self.coupling, (bool, str)) or not isinstance(self.coupling, (int, float, np.floating)):
            raise InputError("coupling", f"must be a number in {DOMAINS['coupling'].range_text()}; got {self.coupling!r}")
        if self.coupling != 0:  # exactly 0 is a valid (non-interacting) model
            check(self.coupling, "coupling", "coupling")
        if self.vertex not in VERTICES:
            raise InputError("vertex", f"unknown vertex {self.vertex!r}; valid: {', '.join(VERTICES)}")

    def coupling_for(self, beam_flavour: str, final_flavour: str) -> float:
        """Coupling of the l_i -> l_f phi vertex (h for every pair)."""
        return float(self.coupling)
