"""Experimental setups described as data (TOML) and loaded into frozen dataclasses.

``load_setup("na64e")`` / ``load_setup("na64mu")`` read the shipped files
``src/leptoportal/data/experiments/<name>.toml``; any other argument is a path to a user file
with the same schema (documented in docs/detector.md).  Every invalid input raises
:class:`leptoportal.errors.InputError` whose message names the file, the element and the field.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from ..domains import DOMAINS
from ..errors import InputError
from ..particles import M_MU
from ..units import GEV_PER_TESLA_METER
from . import media as _media

_KINDS = ("ecal", "target", "veto", "hcal", "tracker", "magnet", "counter", "absorber")


@dataclass(frozen=True)
class Beam:
    particle: str  #: "e-", "e+", "mu+", "mu-"
    energy_gev: float
    spread_rel: float  #: relative r.m.s. energy spread
    momentum_resolution_rel: float = 0.0  #: resolution of the incoming-momentum measurement (0: not measured)


@dataclass(frozen=True)
class Element:
    name: str
    kind: str
    medium: _media.Medium
    z_start_cm: float
    thickness_cm: float
    half_aperture_x_cm: float
    half_aperture_y_cm: float
    resolution_cm: float = 0.0  #: tracker point resolution (bending plane)
    field_integral_tm: float = 0.0  #: magnet field integral (bending in x)
    source: str = ""

    @property
    def z_end_cm(self) -> float:
        return self.z_start_cm + self.thickness_cm

    @property
    def half_aperture_cm(self) -> float:
        return min(self.half_aperture_x_cm, self.half_aperture_y_cm)

    @property
    def thickness_X0(self) -> float:
        return self.thickness_cm / self.medium.X0_cm

    @property
    def thickness_lambda(self) -> float:
        return self.thickness_cm / self.medium.lambda_int_cm

    def shower_medium(self) -> _media.ShowerMedium:
        """The EM-cascade view of this element: its medium, as thick as the element."""
        return self.medium.shower_medium(float(self.thickness_cm))


@dataclass(frozen=True)
class Spectrometer:
    """Downstream momentum measurement of the outgoing muon.

    ``method = "hits"``: the tracker hits (smeared by each tracker's resolution) before and after
    the magnet give the deflection Delta(theta) = 0.29979 * (int B dl [T m]) / p [GeV] of a unit
    charge (small angles); p = 0.29979 int B dl / |Delta theta|.  Multiple scattering enters through
    the transported track, the point resolution through the smeared hits.
    ``method = "parametrised"``: sigma(p)/p = sqrt(a^2 + (b p/GeV)^2) Gaussian.
    """

    magnet: str
    trackers: tuple
    element_indices: tuple
    magnet_index: int
    tracker_indices: tuple
    method: str
    field_integral_tm: float
    sigma_p_const: float = 0.0
    sigma_p_slope_per_gev: float = 0.0
    tracker_resolutions_cm: tuple = ()

    def measure(self, p_true, in_acc, hits, rng, charge):
        """Measured momentum [GeV] for muons in acceptance (nan elsewhere)."""
        return self.measure_with_charge(p_true, in_acc, hits, rng, charge)[0]

    def measure_with_charge(self, p_true, in_acc, hits, rng, charge):
        """(measured momentum [GeV], measured charge) for muons in acceptance (nan, 0 elsewhere).

        The charge is the sign of the bend: with a positive field integral a charge q is deflected
        by Delta(theta) = q 0.29979 int B dl / p, so q = sign(Delta theta) (hits); the parametrised
        spectrometer has no hits and returns the true charge."""
        n = p_true.size
        out = np.full(n, np.nan)
        q = np.zeros(n)
        m = in_acc & np.isfinite(p_true)
        if not np.any(m):
            return out, q
        if self.method == "parametrised":
            rel = np.sqrt(self.sigma_p_const ** 2 + (self.sigma_p_slope_per_gev * p_true[m]) ** 2)
            out[m] = p_true[m] * (1.0 + rel * rng.standard_normal(int(m.sum())))
            q[m] = float(charge)
            return out, q
        # hit-based: straight-line slopes before and after the magnet
        up = [i for i in self.tracker_indices if i < self.magnet_index]
        dn = [i for i in self.tracker_indices if i > self.magnet_index]
        res = dict(zip(self.tracker_indices, self.tracker_resolutions_cm))

        def slope(ids):
            xs = np.stack([hits[i][0][m] + res[i] * rng.standard_normal(int(m.sum())) for i in ids])
            zs = np.stack([hits[i][1][m] for i in ids])
            zm = zs.mean(0)
            xm = xs.mean(0)
            return ((xs - xm) * (zs - zm)).sum(0) / ((zs - zm) ** 2).sum(0)

        dth = slope(dn) - slope(up)
        with np.errstate(divide="ignore"):
            pm = np.abs(GEV_PER_TESLA_METER * self.field_integral_tm / dth)
        ok = np.isfinite(pm)
        out[m] = np.where(ok, pm, np.nan)
        q[m] = np.where(ok, np.sign(dth) * np.sign(self.field_integral_tm), 0.0)
        return out, q


@dataclass(frozen=True)
class Target:
    """The target of a thin-target yield (the NA64-mu paper's Eq. 3.1): a material (a built-in
    name or "Z,A,rho", :func:`leptoportal.materials.get_material`) and its length."""

    material: str
    length_cm: float
    source: str = ""


@dataclass(frozen=True)
class Setup:
    name: str
    beam: Beam
    elements: tuple
    spectrometer: Spectrometer | None
    selection: dict = field(default_factory=dict)
    response: dict = field(default_factory=dict)
    path: str = ""
    description: str = ""
    target: Target | None = None

    def thin_target(self) -> Target:
        """The setup's ``[target]``, or else its active target (the first ecal/target element)
        when that is one chemical element; :class:`InputError` naming ``target`` otherwise."""
        if self.target is not None:
            return self.target
        el = self.ecal
        comps = {sym for ly in el.medium.layers for sym, _ in ly.substance.composition}
        if len(comps) != 1:
            raise InputError("target", f"setup {self.name!r}: the active target {el.name!r} is made of "
                             f"{', '.join(sorted(comps))}; a thin-target yield needs one material: add a [target] "
                             "table (material, length_cm, source) to the setup")
        return Target(comps.pop(), float(el.thickness_cm), f"element {el.name!r} of the setup")

    def element_index(self, name: str) -> int:
        for i, e in enumerate(self.elements):
            if e.name == name:
                return i
        raise InputError("element", f"setup {self.name!r} has no element {name!r}; "
                         f"valid: {', '.join(e.name for e in self.elements)}")

    def indices(self, kind: str) -> tuple:
        return tuple(i for i, e in enumerate(self.elements) if e.kind == kind)

    @property
    def ecal(self) -> Element:
        """The active target (kind "ecal" or "target", first one)."""
        for e in self.elements:
            if e.kind in ("ecal", "target"):
                return e
        raise InputError("setup", f"setup {self.name!r} has no ecal/target element")

    @property
    def last_calorimeter(self) -> Element:
        """The furthest-downstream element of kind "ecal" or "hcal": a scalar decaying visibly
        (S -> l l, gamma gamma) before its end leaves energy in the detector, one decaying beyond it
        still gives missing energy (NA64-mu paper Fig. 2b; :mod:`leptoportal.models.decay`)."""
        cal = [e for e in self.elements if e.kind in ("ecal", "hcal")]
        if not cal:
            raise InputError("setup", f"setup {self.name!r} has no element of kind ecal or hcal (needed for the "
                             "decays in flight of the scalar: visible decays before the end of the last calorimeter "
                             "are seen)")
        return max(cal, key=lambda e: e.z_end_cm)

    @property
    def hcal_indices(self) -> tuple:
        return self.indices("hcal")

    @property
    def veto_indices(self) -> tuple:
        return self.indices("veto")


# ----------------------------------------------------------------------------------------------
# loading and validation
# ----------------------------------------------------------------------------------------------
_TOP = {"name", "description", "source", "beam", "media", "elements", "spectrometer", "selection", "response",
        "target"}
_BEAM = {"particle", "energy_gev", "spread_rel", "momentum_resolution_rel"}
_ELEM = {"name", "kind", "medium", "z_start_cm", "thickness_cm", "half_aperture_cm", "half_aperture_x_cm",
         "half_aperture_y_cm", "resolution_cm", "field_integral_tm", "source"}
_LAYER = {"material", "thickness_cm", "active"}
_SPEC = {"magnet", "trackers", "method", "sigma_p_const", "sigma_p_slope_per_gev"}


class _Ctx:
    def __init__(self, path):
        self.path = str(path)

    def err(self, where, fld, msg):
        return InputError(f"{self.path}: {where}.{fld}", msg)


def _num(ctx, d, where, fld, *, required=True, default=None, positive=False, nonneg=False):
    if fld not in d:
        if required:
            raise ctx.err(where, fld, "missing")
        return default
    v = d[fld]
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise ctx.err(where, fld, f"must be a finite number; got {v!r}")
    if positive and v <= 0:
        raise ctx.err(where, fld, f"must be > 0; got {v}")
    if nonneg and v < 0:
        raise ctx.err(where, fld, f"must be >= 0; got {v}")
    return float(v)


def _unknown(ctx, d, allowed, where):
    extra = set(d) - set(allowed)
    if extra:
        raise ctx.err(where, sorted(extra)[0], f"unknown key; allowed: {', '.join(sorted(allowed))}")


def _resolve_path(name_or_path) -> Path:
    if isinstance(name_or_path, Path) or (isinstance(name_or_path, str) and
                                          (name_or_path.endswith(".toml") or "/" in name_or_path)):
        p = Path(name_or_path)
        if not p.is_file():
            raise InputError("setup", f"setup file {str(p)!r} not found")
        return p
    name = str(name_or_path).strip().lower()
    base = resources.files("leptoportal") / "data" / "experiments"
    cand = base / f"{name}.toml"
    if not cand.is_file():
        shipped = sorted(p.name[:-5] for p in base.iterdir() if p.name.endswith(".toml"))
        raise InputError("setup", f"unknown setup {name_or_path!r}; valid: {', '.join(shipped)} or a path to a .toml file")
    return Path(str(cand))


def load_setup(name_or_path) -> Setup:
    """Load and validate a setup: a shipped name ("na64e", "na64mu") or a path to a TOML file."""
    if isinstance(name_or_path, Setup):
        return name_or_path
    path = _resolve_path(name_or_path)
    ctx = _Ctx(path)
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}", f"invalid TOML: {exc}") from None
    _unknown(ctx, data, _TOP, "setup")
    name = data.get("name", path.stem)
    # beam
    if "beam" not in data:
        raise ctx.err("beam", "energy_gev", "missing [beam] table")
    b = data["beam"]
    _unknown(ctx, b, _BEAM, "beam")
    particle = b.get("particle")
    if particle not in ("e-", "e+", "mu-", "mu+"):
        raise ctx.err("beam", "particle", f"must be one of e-, e+, mu-, mu+; got {particle!r}")
    energy = _num(ctx, b, "beam", "energy_gev", positive=True)
    if not DOMAINS["energy"].contains(energy):
        raise ctx.err("beam", "energy_gev", DOMAINS["energy"].message(energy))
    beam = Beam(particle, energy,
                _num(ctx, b, "beam", "spread_rel", required=False, default=0.0, nonneg=True),
                _num(ctx, b, "beam", "momentum_resolution_rel", required=False, default=0.0, nonneg=True))
    # media
    media = {}
    for mname, mdef in data.get("media", {}).items():
        where = f"media.{mname}"
        if not isinstance(mdef, dict) or "layers" not in mdef:
            raise ctx.err(where, "layers", "missing (a list of {material, thickness_cm, active})")
        _unknown(ctx, mdef, {"layers", "source"}, where)
        layers = []
        for j, ly in enumerate(mdef["layers"]):
            lw = f"{where}.layers[{j}]"
            _unknown(ctx, ly, _LAYER, lw)
            mat = ly.get("material")
            try:
                sub = _media.get_substance(mat)
            except InputError as exc:
                raise ctx.err(lw, "material", str(exc).split(": ", 1)[1]) from None
            t = _num(ctx, ly, lw, "thickness_cm", positive=True)
            layers.append(_media.Layer(sub, t, bool(ly.get("active", False))))
        media[mname] = _media.Medium(mname, tuple(layers), source=mdef.get("source", ""))
    # elements
    raw = data.get("elements")
    if not raw:
        raise ctx.err("elements", "name", "missing [[elements]]")
    elements = []
    names = set()
    for j, e in enumerate(raw):
        ename = e.get("name", f"#{j}")
        where = f"element {ename!r}"
        _unknown(ctx, e, _ELEM, where)
        if "name" not in e:
            raise ctx.err(f"elements[{j}]", "name", "missing")
        if ename in names:
            raise ctx.err(where, "name", "duplicate element name")
        names.add(ename)
        kind = e.get("kind")
        if kind not in _KINDS:
            raise ctx.err(where, "kind", f"must be one of {', '.join(_KINDS)}; got {kind!r}")
        mname = e.get("medium")
        if mname is None:
            raise ctx.err(where, "medium", "missing")
        if mname in media:
            med = media[mname]
        else:
            try:
                med = _media.single(mname)
            except InputError:
                raise ctx.err(where, "medium", f"unknown material/medium {mname!r}; valid: "
                              f"{', '.join(list(media) + list(_media.SUBSTANCES))}") from None
        z0 = _num(ctx, e, where, "z_start_cm")
        t = _num(ctx, e, where, "thickness_cm", positive=True)
        if "half_aperture_cm" in e:
            hx = hy = _num(ctx, e, where, "half_aperture_cm", positive=True)
        else:
            hx = _num(ctx, e, where, "half_aperture_x_cm", positive=True)
            hy = _num(ctx, e, where, "half_aperture_y_cm", positive=True)
        res = _num(ctx, e, where, "resolution_cm", required=False, default=0.0, nonneg=True)
        bl = _num(ctx, e, where, "field_integral_tm", required=(kind == "magnet"), default=0.0)
        if kind == "magnet" and bl == 0:
            raise ctx.err(where, "field_integral_tm", "must be non-zero for a magnet")
        elements.append(Element(ename, kind, med, z0, t, hx, hy, res, bl, e.get("source", "")))
    for a, b2 in zip(elements, elements[1:]):
        if b2.z_start_cm < a.z_end_cm - 1e-9:
            raise ctx.err(f"element {b2.name!r}", "z_start_cm",
                          f"overlaps element {a.name!r} (which ends at {a.z_end_cm:g} cm); "
                          "elements must be ordered along the beam without overlap")
    elements = tuple(elements)
    # spectrometer
    spec = None
    if "spectrometer" in data:
        s = data["spectrometer"]
        _unknown(ctx, s, _SPEC, "spectrometer")
        idx = {e.name: i for i, e in enumerate(elements)}
        mag = s.get("magnet")
        if mag not in idx or elements[idx[mag]].kind != "magnet":
            raise ctx.err("spectrometer", "magnet", f"must name a magnet element; got {mag!r}")
        trk = tuple(s.get("trackers", ()))
        for t in trk:
            if t not in idx or elements[idx[t]].kind != "tracker":
                raise ctx.err("spectrometer", "trackers", f"{t!r} is not a tracker element")
        method = s.get("method", "hits")
        if method not in ("hits", "parametrised"):
            raise ctx.err("spectrometer", "method", f"must be 'hits' or 'parametrised'; got {method!r}")
        ti = tuple(idx[t] for t in trk)
        if method == "hits":
            up = [i for i in ti if i < idx[mag]]
            dn = [i for i in ti if i > idx[mag]]
            if len(up) < 2 or len(dn) < 2:
                raise ctx.err("spectrometer", "trackers", "method 'hits' needs >= 2 trackers before and after the magnet")
            for i in ti:
                if elements[i].resolution_cm <= 0:
                    raise ctx.err(f"element {elements[i].name!r}", "resolution_cm", "must be > 0 for method 'hits'")
        spec = Spectrometer(mag, trk, tuple(sorted(ti + (idx[mag],))), idx[mag], ti, method,
                            elements[idx[mag]].field_integral_tm,
                            _num(ctx, s, "spectrometer", "sigma_p_const", required=False, default=0.0, nonneg=True),
                            _num(ctx, s, "spectrometer", "sigma_p_slope_per_gev", required=False, default=0.0,
                                 nonneg=True),
                            tuple(elements[i].resolution_cm for i in ti))
    selection = dict(data.get("selection", {}))
    response = dict(data.get("response", {}))
    target = None
    if "target" in data:
        t = data["target"]
        if not isinstance(t, dict):
            raise ctx.err("target", "material", "must be a table {material, length_cm, source}")
        _unknown(ctx, t, {"material", "length_cm", "source"}, "target")
        mat = t.get("material")
        if not isinstance(mat, str):
            raise ctx.err("target", "material", f"must be a material name or 'Z,A,rho'; got {mat!r}")
        from ..materials import get_material

        try:
            get_material(mat)
        except InputError as exc:
            raise ctx.err("target", "material", exc.message) from None
        target = Target(mat, _num(ctx, t, "target", "length_cm", positive=True), str(t.get("source", "")))
    setup = Setup(name, beam, elements, spec, selection, response, str(path), data.get("description", ""), target)
    # validate selection/response numbers early (names the field)

    validate_response(setup, ctx)
    _validate_selection(setup, ctx)
    return setup


def _validate_selection(setup, ctx):
    for k, v in setup.selection.items():
        if k.startswith("source"):
            continue
        vals = v if isinstance(v, list) else [v]
        for x in vals:
            if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
                raise ctx.err("selection", k, f"must be a finite number or list of numbers; got {v!r}")


# ------------------------------------------------------------------ the [response] table (schema owned here)
#: keys of a setup's [response] table and their defaults (used by leptoportal.detector.response)
RESPONSE_DEFAULTS = {
    "ecal_stochastic": 0.10, "ecal_constant": 0.02, "ecal_noise_gev": 0.0, "hcal_stochastic": 0.60,
    "hcal_mip_peak_gev": 2.5, "hcal_mip_reference_energy_gev": 10.0, "hcal_photoelectrons_per_mip": 175.0,
    "veto_photoelectrons_per_mip": 50.0,
}


def validate_response(setup, ctx) -> None:
    for k, v in setup.response.items():
        if k not in RESPONSE_DEFAULTS:
            raise ctx.err("response", k, f"unknown key; allowed: {', '.join(sorted(RESPONSE_DEFAULTS))}")
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
            raise ctx.err("response", k, f"must be a finite number >= 0; got {v!r}")
    for k in ("hcal_mip_peak_gev", "hcal_mip_reference_energy_gev", "hcal_photoelectrons_per_mip",
              "veto_photoelectrons_per_mip"):
        if k in setup.response and setup.response[k] <= 0:
            raise ctx.err("response", k, f"must be > 0; got {setup.response[k]}")
    if setup.response.get("hcal_mip_reference_energy_gev", 10.0) <= M_MU:
        raise ctx.err("response", "hcal_mip_reference_energy_gev", "must exceed the muon mass")
