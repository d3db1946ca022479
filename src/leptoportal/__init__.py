"""leptoportal: light dark scalars at lepton-beam fixed-target experiments.

Quick start::

    from leptoportal import LFVScalar, total_cross_section
    sigma_pb = total_cross_section(LFVScalar(mass=0.3, coupling=1e-4), energy=100.0,
                                   target="Pb", method="etl", beam="e-", final="mu-")
"""

from ._version import __version__
from .errors import InputError
from .materials import Material, custom_material, get_material
from .models import LFVScalar


__all__ = ["InputError", "Material", "custom_material", "get_material", "LFVScalar", "__version__"]

try:  # the cross-section API (imported lazily-safe: keeps `import leptoportal` light on failure)
    from .xsec.api import dsigma_dcos_psi, dsigma_dpsi, dsigma_dx, dsigma_dy, total_cross_section  # noqa: F401

    __all__ += ["total_cross_section", "dsigma_dx", "dsigma_dy", "dsigma_dpsi", "dsigma_dcos_psi"]
except ImportError:  # pragma: no cover - during bootstrap only
    pass
