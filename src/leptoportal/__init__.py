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
from .xsec.api import dsigma_dcos_psi, dsigma_dpsi, dsigma_dx, dsigma_dy, total_cross_section

__all__ = ["InputError", "LFVScalar", "Material", "__version__", "custom_material", "dsigma_dcos_psi", "dsigma_dpsi",
           "dsigma_dx", "dsigma_dy", "get_material", "total_cross_section"]
