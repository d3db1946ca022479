"""Physics models: masses, couplings, widths."""

from .lfv import LFVScalar

__all__ = ["LFVScalar"]
from .leptophilic import LeptophilicScalar, dm_mass, loop_f12, loop_f12_onshell  # noqa: E402

__all__ += ["LeptophilicScalar", "dm_mass", "loop_f12", "loop_f12_onshell"]
