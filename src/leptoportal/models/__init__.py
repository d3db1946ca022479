"""Physics models: masses, couplings, widths."""

from .lfv import LFVScalar

__all__ = ["LFVScalar"]
