"""Write (and read back) generated events: HepMC3 (pyhepmc), LHE (pylhe) and Parquet (pyarrow).

The format follows the file suffix: ``.hepmc3`` (also ``.hepmc``), ``.lhe``, ``.lhe.gz``,
``.parquet``.  Every writer writes to a temporary file in the destination directory and
renames it into place (``os.replace``, atomic on POSIX), so an interrupted or failed write
never leaves a partial file under the final name.

Event record (all formats): the incoming beam lepton (along +z) and the nucleus at rest,
then the outgoing lepton, the scalar and the recoil nucleus, four-vectors in GeV.
PDG codes: leptons from :mod:`leptoportal.particles`; the scalar gets ``SCALAR_PDGID``
(9000006, inside the range PDG leaves to "new particles" for private use); the nucleus the
PDG nuclear code 10LZZZAAAI = 1000000000 + 10000 Z + 10 A (A rounded to the nearest integer).
Numbers are written with 17 significant digits, so doubles round-trip exactly.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .. import fileio
from ..fileio import atomic_write
from ..errors import InputError

SCALAR_PDGID = 9000006
FORMATS = {".hepmc3": "hepmc3", ".hepmc": "hepmc3", ".lhe": "lhe", ".lhe.gz": "lhe.gz", ".parquet": "parquet"}


def format_from_path(path, name: str = "output") -> str:
    """Output format from the file name; :class:`InputError` (naming ``name``) for an unknown suffix."""
    label = name
    fname = Path(path).name.lower()
    for suf in sorted(FORMATS, key=len, reverse=True):
        if fname.endswith(suf):
            return FORMATS[suf]
    raise InputError(label, f"unknown output suffix in {str(path)!r}; valid: .hepmc3, .lhe, .lhe.gz, .parquet")


def check_writable(path, name: str = "output") -> Path:
    """Fail early (InputError naming ``output``) if ``path`` cannot be created: unknown format,
    missing or unwritable directory, or a directory in its place (a file is created and removed
    in the directory to prove it)."""
    format_from_path(Path(path), name)
    return fileio.check_writable(path, name)


def nucleus_pdgid(Z, A) -> int:
    """PDG nuclear code 10LZZZAAAI (L = I = 0)."""
    return 1000000000 + 10000 * int(round(Z)) + 10 * int(round(A))


def _ids(batch):
    from ..particles import parse_lepton

    info = batch.info
    beam = parse_lepton(info["beam"], "beam")
    final = parse_lepton(info["final"], "final")
    return beam, final, nucleus_pdgid(info["Z"], info["A"])


def _metadata(batch) -> dict:
    meta = {k: v for k, v in batch.info.items() if isinstance(v, (str, int, float, bool))}
    meta["method"] = batch.method
    meta["n_events"] = len(batch)
    if np.ndim(batch.sigma_pb) == 0:
        meta["sigma_pb"] = float(batch.sigma_pb)
    else:
        meta["sigma_pb_mean"] = float(np.mean(batch.sigma_pb))
    return meta


def _sigma_summary(batch):
    """(sigma [pb], error [pb]) quoted in the file headers: the engine's sigma (mean over events
    for a spectrum of energies; for weighted events the mean weight and its standard error)."""
    if batch.info.get("weighted"):
        w = batch.weight
        return float(np.mean(w)), float(np.std(w) / np.sqrt(max(w.size, 1)))
    return float(np.mean(batch.sigma_pb)), float(batch.info.get("sigma_mc_err_pb", 0.0))


def _atomic(path, write_fn):
    return atomic_write(path, write_fn, suffix=".part")


# ------------------------------------------------------------------------------ HepMC3


def _write_hepmc3(batch, tmp):
    import pyhepmc

    from .._version import __version__

    beam, final, nuc = _ids(batch)
    M = batch.info["nucleus_mass_gev"]
    m_phi = batch.info["mass_gev"]
    run = pyhepmc.GenRunInfo()
    run.tools = [pyhepmc.GenRunInfo.ToolInfo("leptoportal", __version__,
                                             f"l_i N -> l_f N phi, method={batch.method}, frame={batch.frame}")]
    run.weight_names = ["weight_pb" if batch.info.get("weighted") else "unweighted"]
    meta = _metadata(batch)
    run.attributes = {k: str(v) for k, v in meta.items()}
    sigma, err = _sigma_summary(batch)
    n = len(batch)
    ids = np.array([beam.pdgid, nuc, final.pdgid, SCALAR_PDGID, nuc], np.int32)
    status = np.array([4, 4, 1, 1, 1], np.int32)
    masses = np.array([beam.mass, M, final.mass, m_phi, M])
    parents = np.array([[0, 0], [0, 0], [1, 2], [1, 2], [1, 2]], np.int32)
    with pyhepmc.open(tmp, "w", precision=17, format="HepMC3") as f:
        for i in range(n):
            E = batch.beam_energy[i]
            pbeam = np.sqrt(E * E - beam.mass**2)
            P = np.array([[E, 0.0, 0.0, pbeam], [M, 0.0, 0.0, 0.0], batch.lep[i], batch.phi[i], batch.rec[i]])
            evt = pyhepmc.GenEvent(run, pyhepmc.Units.GEV, pyhepmc.Units.MM)
            evt.from_hepevt(i, P[:, 1].copy(), P[:, 2].copy(), P[:, 3].copy(), P[:, 0].copy(), masses, ids, status,
                            parents=parents, fortran=True)
            evt.run_info = run
            evt.weights = [float(batch.weight[i])]
            cs = pyhepmc.GenCrossSection()
            cs.set_cross_section(sigma, err, n, int(batch.info.get("n_proposed", n)))
            evt.cross_section = cs
            f.write(evt)


def _read_hepmc3(path):
    import pyhepmc

    lep, phi, rec, w = [], [], [], []
    with pyhepmc.open(str(path)) as f:
        for evt in f:
            out = [p for p in evt.particles if p.status == 1]
            by_id = {}
            for p in out:
                by_id.setdefault(p.pid, []).append(p)
            lep_p = [p for p in out if abs(p.pid) in (11, 13, 15)][0]
            phi_p = by_id[SCALAR_PDGID][0]
            rec_p = [p for p in out if p.pid >= 1000000000][0]
            for lst, p in ((lep, lep_p), (phi, phi_p), (rec, rec_p)):
                m = p.momentum
                lst.append((m.e, m.px, m.py, m.pz))
            w.append(evt.weights[0])
    return dict(lep=np.array(lep), phi=np.array(phi), rec=np.array(rec), weight=np.array(w))


# ------------------------------------------------------------------------------ LHE

_LHE_PARTICLE = ("{id:11d} {status:3d} {mother1:3d} {mother2:3d} {color1:3d} {color2:3d} {px: 24.16e} {py: 24.16e} "
                 "{pz: 24.16e} {e: 24.16e} {m: 24.16e} {lifetime: 10.4e} {spin: 10.4e}")
_LHE_EVENTINFO = "{nparticles:3d} {pid:6d} {weight: 24.16e} {scale: 15.10e} {aqed: 15.10e} {aqcd: 15.10e}"


def _write_lhe(batch, fh):
    import pylhe

    from .._version import __version__

    beam, final, nuc = _ids(batch)
    M = batch.info["nucleus_mass_gev"]
    m_phi = batch.info["mass_gev"]
    sigma, err = _sigma_summary(batch)
    weighted = bool(batch.info.get("weighted"))
    init = pylhe.LHEInit(
        initInfo=pylhe.LHEInitInfo(beamA=beam.pdgid, beamB=nuc, energyA=float(np.max(batch.beam_energy)),
                                   energyB=float(M), PDFgroupA=-1, PDFgroupB=-1, PDFsetA=-1, PDFsetB=-1,
                                   weightingStrategy=-4 if weighted else 3, numProcesses=1),
        procInfo=[pylhe.LHEProcInfo(xSection=sigma, error=err, unitWeight=1.0, procId=1)],
        generators=[pylhe.LHEGenerator(name="leptoportal", version=__version__, description="")],
    )

    def events():
        for i in range(len(batch)):
            E = float(batch.beam_energy[i])
            pb = float(np.sqrt(E * E - beam.mass**2))
            rows = [(beam.pdgid, -1, 0, 0, (0.0, 0.0, pb, E), beam.mass),
                    (nuc, -1, 0, 0, (0.0, 0.0, 0.0, M), M),
                    (final.pdgid, 1, 1, 2, tuple(batch.lep[i, [1, 2, 3, 0]]), final.mass),
                    (SCALAR_PDGID, 1, 1, 2, tuple(batch.phi[i, [1, 2, 3, 0]]), m_phi),
                    (nuc, 1, 1, 2, tuple(batch.rec[i, [1, 2, 3, 0]]), M)]
            parts = [pylhe.LHEParticle(id=int(pid), status=st, mother1=m1, mother2=m2, color1=0, color2=0,
                                       px=float(p[0]), py=float(p[1]), pz=float(p[2]), e=float(p[3]), m=float(m),
                                       lifetime=0.0, spin=9.0)
                     for pid, st, m1, m2, p, m in rows]
            info = pylhe.LHEEventInfo(nparticles=5, pid=1, weight=float(batch.weight[i]), scale=float(E),
                                      aqed=1.0 / 137.035999084, aqcd=0.0)
            yield pylhe.LHEEvent(eventinfo=info, particles=parts)

    comment = json.dumps(_metadata(batch), sort_keys=True)
    lhe = pylhe.LHEFile(init=init, events=events(), comment=comment)
    fmt = pylhe.LHEXMLFormat(compress=False, particle=_LHE_PARTICLE, eventinfo=_LHE_EVENTINFO)
    lhe.write(fh, fmt)


def _read_lhe(path):
    import pylhe

    lhe = pylhe.LHEFile.fromfile(str(path))
    lep, phi, rec, w = [], [], [], []
    for ev in lhe.events:
        out = [p for p in ev.particles if p.status == 1]
        for lst, p in ((lep, out[0]), (phi, out[1]), (rec, out[2])):
            lst.append((p.e, p.px, p.py, p.pz))
        w.append(ev.eventinfo.weight)
    return dict(lep=np.array(lep), phi=np.array(phi), rec=np.array(rec), weight=np.array(w))


# ------------------------------------------------------------------------------ Parquet


def _table(batch):
    import pyarrow as pa

    cols = {
        "beam_energy": batch.beam_energy, "x": batch.x, "y": batch.y, "theta_k": batch.theta_k, "psi": batch.psi,
        "weight": batch.weight,
    }
    for pre, arr in (("lep", batch.lep), ("phi", batch.phi), ("rec", batch.rec)):
        if arr is None:
            continue
        for k, c in enumerate(("E", "px", "py", "pz")):
            cols[f"{pre}_{c}"] = arr[:, k]
    if batch.t is not None and batch.method == "etl":
        cols["t"] = batch.t
        cols["phi_q"] = batch.phi_q
    if np.ndim(batch.sigma_pb) == 1:
        cols["sigma_pb"] = batch.sigma_pb
    table = pa.table({k: pa.array(np.asarray(v, float)) for k, v in cols.items()})
    return table.replace_schema_metadata({"leptoportal": json.dumps(_metadata(batch), sort_keys=True)})


def _write_parquet(batch, tmp):
    import pyarrow.parquet as pq

    pq.write_table(_table(batch), tmp)


def _read_parquet(path):
    import pyarrow.parquet as pq

    t = pq.read_table(str(path))
    d = {name: t.column(name).to_numpy() for name in t.column_names}
    out = {pre: np.stack([d[f"{pre}_{c}"] for c in ("E", "px", "py", "pz")], axis=-1)
           for pre in ("lep", "phi", "rec") if f"{pre}_E" in d}
    out["weight"] = d["weight"]
    out["columns"] = d
    out["metadata"] = json.loads(t.schema.metadata[b"leptoportal"].decode())
    return out


# ------------------------------------------------------------------------------ public


def write_events(batch, path, fmt=None) -> Path:
    """Write ``batch`` to ``path`` (format from the suffix unless ``fmt`` is given); atomic."""
    fmt = fmt or format_from_path(path)
    check_writable(path)
    if fmt == "hepmc3":
        return _atomic(path, lambda tmp: _write_hepmc3(batch, tmp))
    if fmt == "lhe":
        return fileio.write_text_stream(path, lambda fh: _write_lhe(batch, fh))
    if fmt == "lhe.gz":  # byte-reproducible: gzip header with mtime 0 and no file name
        return fileio.write_gzip_text(path, lambda fh: _write_lhe(batch, fh))
    if fmt == "parquet":
        return _atomic(path, lambda tmp: _write_parquet(batch, tmp))
    raise InputError("format", f"unknown format {fmt!r}; valid: hepmc3, lhe, lhe.gz, parquet")


def read_events(path, fmt=None) -> dict:
    """Read a file written by :func:`write_events` with the format's own library (pyhepmc, pylhe,
    pyarrow): dict with ``lep``, ``phi``, ``rec`` (n, 4) and ``weight`` (n,)."""
    fmt = fmt or format_from_path(path)
    if fmt == "hepmc3":
        return _read_hepmc3(path)
    if fmt in ("lhe", "lhe.gz"):
        return _read_lhe(path)
    return _read_parquet(path)
