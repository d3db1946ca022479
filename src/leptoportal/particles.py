"""Leptons: masses and charges from the `particle` package (PDG data)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from particle import Particle

from .errors import InputError

_PDG = {"e": 11, "mu": 13, "tau": 15}
_ALIASES = {
    "e-": ("e", -1), "e+": ("e", +1), "electron": ("e", -1), "positron": ("e", +1),
    "mu-": ("mu", -1), "mu+": ("mu", +1), "muon": ("mu", -1), "antimuon": ("mu", +1),
    "tau-": ("tau", -1), "tau+": ("tau", +1),
}


@dataclass(frozen=True)
class Lepton:
    """A charged lepton: ``flavour`` in {e, mu, tau}, ``charge`` = -1 or +1."""

    flavour: str
    charge: int

    @property
    def name(self) -> str:
        return f"{self.flavour}{'-' if self.charge < 0 else '+'}"

    @property
    def pdgid(self) -> int:
        # PDG: lepton (negative charge) has positive id
        return _PDG[self.flavour] * (1 if self.charge < 0 else -1)

    @property
    def mass(self) -> float:
        """Mass in GeV (PDG, via the `particle` package)."""
        return lepton_mass(self.flavour)


@lru_cache(maxsize=None)
def lepton_mass(flavour: str) -> float:
    """Mass of the charged lepton of ``flavour`` in GeV."""
    if flavour not in _PDG:
        raise InputError("lepton", f"unknown flavour {flavour!r}; valid: e, mu, tau")
    return Particle.from_pdgid(_PDG[flavour]).mass / 1000.0


def parse_lepton(name: str | Lepton, parameter: str = "lepton", allowed=("e", "mu")) -> Lepton:
    """Parse ``"e-"``, ``"mu+"`` ... into a :class:`Lepton`."""
    if isinstance(name, Lepton):
        lep = name
    else:
        key = str(name).strip().lower()
        if key not in _ALIASES:
            valid = ", ".join(n for n, (f, _) in _ALIASES.items() if f in allowed and len(n) <= 4)
            raise InputError(parameter, f"unknown lepton {name!r}; valid: {valid}")
        lep = Lepton(*_ALIASES[key])
    if lep.flavour not in allowed:
        raise InputError(parameter, f"lepton {lep.name} not supported here; valid flavours: {', '.join(allowed)}")
    return lep


M_E = lepton_mass("e")
M_MU = lepton_mass("mu")
M_TAU = lepton_mass("tau")
