"""Monte Carlo of the NA64e backgrounds through the fast detector simulation.

Glue between the physics of :mod:`.dimuon` / :mod:`.hadrons`, the EM shower track lengths
(:func:`leptoportal.detector.track_lengths.track_lengths`), the muon transport
(:func:`leptoportal.detector.muon.transport`) and the selection
(:func:`leptoportal.analysis.selection.na64e_selection`, e->mu paper Eq. 28 and cuts (i)-(iii)).

Variance reduction (weights carried exactly):

* **forced conversion**: every simulated photon converts into mu+ mu-; vertices (E_gamma, depth)
  are drawn from L_gamma(E, z) x n sigma(E) (the shower's photon track length times the
  macroscopic cross section), so each event stands for dimuon_per_eot / N_drawn of an EOT;
* **stratification**: photons with E_gamma < E_pass cannot give a muon that reaches the
  spectrometer, where E_pass is half the mean energy a muon loses between the ECAL exit and the
  first spectrometer element (:func:`pass_threshold_gev`; energy-loss fluctuations at these
  thicknesses stay far above -50 %).  Their rate is integrated exactly and counted as
  "contained, no muon reconstructed"; only the stratum E_gamma >= E_pass is simulated.  Inside
  it, pairs whose muons are both below E_pass are not transported (same reason);
* the EOT-equivalent of the run is N_sim / rate(E_gamma >= E_pass): the exposure an analogue
  simulation would need to produce the same number of events in the only stratum that can pass
  cut (i).
* **forced decay** of the beam hadrons between the SRD and the ECAL, weight P_decay x BR.

Parallelism: work is cut in chunks of fixed size, each with its own stream from
``SeedSequence(seed).spawn``; results do not depend on the number of workers.
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np

from ...detector.setup import load_setup
from ...errors import InputError
from ...particles import M_MU
from . import dimuon, hadrons

CHUNK = 200_000


# ----------------------------------------------------------------------------- helpers


def _mean_loss_bound(setup) -> float:
    """m_mu + half the mean loss (at 10 GeV) from the ECAL exit to the spectrometer entrance."""
    from ...detector.muon_loss import mean_dedx

    ecal = setup.ecal
    spec = setup.spectrometer
    first = min(spec.element_indices) if spec is not None else len(setup.elements)
    loss = 0.0
    for i, el in enumerate(setup.elements):
        if el.z_start_cm >= ecal.z_end_cm - 1e-9 and i < first and el.kind != "magnet":
            loss += float(mean_dedx(10.0, el.medium)) * el.medium.density * el.thickness_cm
    return M_MU + 0.5 * loss


def pass_threshold_gev(setup, *, n: int = 3000, seed: int = 12345, safety: float = 0.8) -> float:
    """E_pass: below it a muon cannot be reconstructed in the spectrometer.

    max(mean-loss bound, ``safety`` x the lowest energy of a reconstructed muon in a calibration
    run): ``n`` muons of both charges started at the *end* of the ECAL (least material) with
    energies log-uniform in [1, 60] GeV and slopes uniform in +-0.03 rad (pair opening angles
    are ~m_mu/E < 0.03 rad above 4 GeV) are transported with the setup's own transport.
    Energy-loss fluctuations only lower a muon's energy; the 20 % margin covers the sampling
    of the acceptance edge.
    """
    from ...detector.muon import transport

    rng = np.random.default_rng(seed)
    E = np.exp(rng.uniform(0.0, math.log(60.0), n))
    p = np.sqrt(E * E - M_MU * M_MU)
    tx, ty = rng.uniform(-0.03, 0.03, (2, n))
    norm = np.sqrt(1 + tx * tx + ty * ty)
    p4 = np.column_stack([E, p * tx / norm, p * ty / norm, p / norm])
    z = np.full(n, setup.ecal.z_end_cm - 0.5)
    e_min = math.inf
    for q in (-1, 1):
        tr = transport(setup, p4, z, rng, charge=q)
        reco = tr.in_acceptance & np.isfinite(tr.p_measured)
        if np.any(reco):
            e_min = min(e_min, float(E[reco].min()))
    bound = _mean_loss_bound(setup)
    return max(bound, safety * e_min) if math.isfinite(e_min) else bound


def _decay_distance_cm(setup, cfg: hadrons.HadronConfig) -> tuple[float, str]:
    if cfg.d_srd_cm is not None:
        return float(cfg.d_srd_cm), "configured"
    for el in setup.elements:
        if "srd" in el.name.lower():
            return setup.ecal.z_start_cm - el.z_end_cm, f"setup element {el.name!r}"
    return DEFAULT_D_SRD_CM, "default (inferred from the paper's decay probabilities, see hadrons docs)"


#: SRD -> ECAL distance used when neither the setup nor the config gives one.  NOT an independent
#: number: it is the distance at which 1 - exp(-d/lambda) reproduces the paper's 0.04 % (pi) and
#: 0.32 % (K) at 100 GeV (both within 7 % with one d); docs/backgrounds.md.
DEFAULT_D_SRD_CM = 240.0


def _selection(setup, e_ecal, hcal, veto, p_meas, n_reco):
    """Cuts (i)-(iii) and Eq. (28) of the e->mu paper via :func:`na64e_selection`.

    ``n_reco`` (muons reconstructed in the spectrometer) is passed as the number of tracks, so
    "one and only one track" of cut (i) applies to pairs.  Returns (mask, mask_without_E_miss, e_miss).
    """
    from ..selection import na64e_selection

    sel = na64e_selection(e_ecal, hcal, p_meas, setup, veto=veto, n_tracks=n_reco)
    mask = np.asarray(sel["mask"], bool)
    no_miss = np.asarray(sel["cut_i"], bool) & np.asarray(sel["cut_ii"], bool)
    return mask, no_miss, np.asarray(sel["e_miss"], float)


def _response(setup, e_ecal, hcal, veto, rng):
    """Detector response of :mod:`leptoportal.detector.response`: ECAL Gaussian resolution,
    HCAL calibrated MIP signal with photostatistics, VETO signal in MIP units (or None)."""
    from ...detector import response

    e_ecal = response.ecal_smear(e_ecal, setup, rng)
    hcal = response.hcal_response(hcal, setup, rng)
    if veto is not None:
        veto = response.veto_response(veto, setup, rng)
    return e_ecal, hcal, veto


# ----------------------------------------------------------------------------- dimuon chunk
@dataclass
class ChunkOut:
    w_sel: np.ndarray
    emiss_sel: np.ndarray
    w_nomiss: np.ndarray
    emiss_nomiss: np.ndarray
    cat: dict
    n: int
    n_transported: int


def _transport_one(setup, p4, z, charge, rng):
    """(deposits, reconstructed, stopped, p_measured) for muons of one charge; backward muons
    (pz <= 0, only very soft ones) leave their kinetic energy in the ECAL."""
    from ...detector.muon import transport

    n = p4.shape[0]
    ok = p4[:, 3] > 1e-6
    dep = np.zeros((n, len(setup.elements)))
    reco = np.zeros(n, bool)
    stopped = ~ok
    pm = np.full(n, np.nan)
    if np.any(ok):
        tr = transport(setup, p4[ok], z[ok], rng, charge=charge)
        dep[ok] = tr.deposit
        reco[ok] = tr.in_acceptance & np.isfinite(tr.p_measured)
        stopped[ok] = tr.stopped
        pm[ok] = np.where(reco[ok], tr.p_measured, np.nan)
    dep[~ok, setup.elements.index(setup.ecal)] += p4[~ok, 0] - M_MU
    return dep, reco, stopped, pm


def dimuon_chunk(args):
    """One chunk of forced conversions: ``args`` = (loaded Setup, SeedSequence, n, track-length table,
    E_pass, E0, z of the ECAL front); runs in a worker process or in this one."""
    setup, seed_seq, n, table, e_pass, e0, z_ecal = args
    rng = np.random.default_rng(seed_seq)
    med = table.medium
    sig_fn = lambda E: dimuon.macroscopic_sigma_per_cm(E, med)  # noqa: E731
    E, z_depth, _ = table.sample("gamma", n, rng, e_min=e_pass, e_max=e0, weight_fn=sig_fn)
    # element (Z, A) of each conversion, by its share of n sigma
    comps = dimuon.medium_components(med)
    shares = np.stack([nn * dimuon.sigma_pb(E, Z, A) for Z, A, nn in comps], axis=1)
    cum = np.cumsum(shares, axis=1)
    pick = (rng.random(n)[:, None] * cum[:, -1:] > cum).sum(axis=1)
    p4p = np.empty((n, 4))
    p4m = np.empty((n, 4))
    for k, (Z, A, _) in enumerate(comps):
        m = pick == k
        if np.any(m):
            pr = dimuon.sample_pairs(E[m], rng, Z, A)
            p4p[m], p4m[m] = pr.p4_plus, pr.p4_minus
    zg = z_ecal + z_depth
    ne = len(setup.elements)
    iecal = setup.elements.index(setup.ecal)
    dep = np.zeros((n, ne))
    reco_p = np.zeros(n, bool)
    reco_m = np.zeros(n, bool)
    stop_p = np.ones(n, bool)
    stop_m = np.ones(n, bool)
    pm_p = np.full(n, np.nan)
    pm_m = np.full(n, np.nan)
    done_p = np.zeros(n, bool)
    done_m = np.zeros(n, bool)
    # stage 1: every muon above E_pass (only those can be reconstructed)
    for p4, q, done, reco, stop, pm in ((p4p, +1, done_p, reco_p, stop_p, pm_p), (p4m, -1, done_m, reco_m, stop_m, pm_m)):
        idx = np.nonzero(p4[:, 0] >= e_pass)[0]
        if idx.size:
            d_, r_, s_, m_ = _transport_one(setup, p4[idx], zg[idx], q, rng)
            dep[idx] += d_
            reco[idx], stop[idx], pm[idx], done[idx] = r_, s_, m_, True
    # stage 2: the partner of a reconstructed muon (its deposits decide cuts (ii)-(iii))
    for p4, q, done, reco, stop, pm, other in ((p4p, +1, done_p, reco_p, stop_p, pm_p, reco_m),
                                               (p4m, -1, done_m, reco_m, stop_m, pm_m, reco_p)):
        idx = np.nonzero(other & ~done)[0]
        if idx.size:
            d_, r_, s_, m_ = _transport_one(setup, p4[idx], zg[idx], q, rng)
            dep[idx] += d_
            reco[idx], stop[idx], pm[idx], done[idx] = r_, s_, m_, True
    # muons never transported cannot be reconstructed: kinetic energy left in the ECAL (only
    # matters for events that already fail cut (i))
    dep[~done_p, iecal] += p4p[~done_p, 0] - M_MU
    dep[~done_m, iecal] += p4m[~done_m, 0] - M_MU
    n_transported = int(done_p.sum() + done_m.sum())
    n_reco = reco_p.astype(int) + reco_m.astype(int)
    # categories of the e->mu paper, Sec. III C
    one = n_reco == 1
    other_stopped = np.where(reco_p, stop_m, stop_p)
    cat = {"I": one & other_stopped, "II": n_reco == 2, "III": one & ~other_stopped, "none": n_reco == 0}
    e_ecal = (e0 - E) + dep[:, iecal]
    hcal = dep[:, list(setup.hcal_indices)]
    veto = dep[:, setup.veto_indices[0]] if setup.veto_indices else None
    p_meas = np.where(reco_p, pm_p, np.where(reco_m, pm_m, np.nan))
    e_ecal, hcal, veto = _response(setup, e_ecal, hcal, veto, rng)
    mask, mask_nm, e_miss = _selection(setup, e_ecal, hcal, veto, p_meas, n_reco)
    w1 = np.ones(n)
    return ChunkOut(w1[mask], e_miss[mask], w1[mask_nm], e_miss[mask_nm],
                    {k: int(v.sum()) for k, v in cat.items()}, n, n_transported)


def _table(setup, *, n_showers=200, seed=0):
    from ...detector.track_lengths import track_lengths

    t = track_lengths(setup, n_showers=n_showers, seed=seed)
    return t, t.medium


@dataclass
class DimuonResult:
    dimuon_per_eot: float
    rate_simulated_stratum: float
    e_pass_gev: float
    n_simulated: int
    n_transported: int
    eot_equivalent: float
    after_cuts_per_eot: float
    after_cuts_err: float
    upper_limit_90: float | None
    categories_per_eot: dict
    e_miss_nomiss: np.ndarray
    w_nomiss: np.ndarray
    n_showers: int
    shower_rel_err: float


def simulate_dimuons(setup="na64e", *, eot=1.5e11, seed=1, workers=None, n_showers=200,
                     shower_seed=0, max_events=None, shower_err=True, table=None) -> DimuonResult:
    """Dimuon background for ``eot`` EOT-equivalent (forced conversions, see module docstring).

    ``shower_err``: estimate the statistical error of dimuon_per_eot from a second, independent
    shower table (seed ``shower_seed + 1``): sigma_rel ~ |I0 - I1| / (sqrt 2 mean) (a one-degree-
    of-freedom estimate, i.e. itself uncertain by ~70 %).
    """
    if not (isinstance(eot, (int, float)) and math.isfinite(eot) and eot > 0):
        raise InputError("eot", f"must be a finite number > 0; got {eot!r}")
    st = load_setup(setup)
    e0 = float(st.beam.energy_gev)
    if table is None:
        table, med = _table(st, n_showers=n_showers, seed=shower_seed)
    else:
        med = table.medium
        n_showers = table.n_showers
    sig_fn = lambda E: dimuon.macroscopic_sigma_per_cm(E, med)  # noqa: E731
    total = table.integral("gamma", sig_fn, e_min=4 * M_MU, e_max=e0)
    shower_rel_err = float("nan")
    if shower_err:
        from ...detector.track_lengths import track_lengths

        seed0 = int(table.meta.get("key_inputs", {}).get("seed", shower_seed))
        t1 = track_lengths(med, beam=table.primary, energy=table.energy_gev, n_showers=table.n_showers,
                           seed=seed0 + 1)
        i1 = t1.integral("gamma", sig_fn, e_min=4 * M_MU, e_max=e0)
        shower_rel_err = abs(total - i1) / (math.sqrt(2.0) * 0.5 * (total + i1))
    e_pass = pass_threshold_gev(st)
    stratum = table.integral("gamma", sig_fn, e_min=e_pass, e_max=e0)
    n = int(math.ceil(eot * stratum))
    if max_events is not None:
        n = min(n, int(max_events))
    n_chunks = max(1, math.ceil(n / CHUNK))
    seeds = np.random.SeedSequence(seed).spawn(n_chunks)
    sizes = [CHUNK] * (n_chunks - 1) + [n - CHUNK * (n_chunks - 1)]
    args = [(st, seeds[i], sizes[i], table, e_pass, e0, st.ecal.z_start_cm) for i in range(n_chunks)]
    workers = workers or min(2, os.cpu_count() or 1)
    if workers > 1 and n_chunks > 1:
        with ProcessPoolExecutor(workers) as ex:
            outs = list(ex.map(dimuon_chunk, args))
    else:
        outs = [dimuon_chunk(a) for a in args]
    w_evt = stratum / n  # per EOT per simulated event
    n_sel = sum(o.w_sel.size for o in outs)
    after = n_sel * w_evt
    err = math.sqrt(n_sel) * w_evt
    eot_eq = n / stratum
    ul = 2.302585 / eot_eq if n_sel == 0 else None
    cats = {k: sum(o.cat[k] for o in outs) * w_evt for k in ("I", "II", "III", "none")}
    cats["none"] += total - stratum  # E_gamma < E_pass: contained, nothing reconstructed
    em = np.concatenate([o.emiss_nomiss for o in outs]) if outs else np.empty(0)
    return DimuonResult(total, stratum, e_pass, n, sum(o.n_transported for o in outs), eot_eq, after, err, ul,
                        cats, em, np.full(em.size, w_evt), n_showers, shower_rel_err)


# ----------------------------------------------------------------------------- hadrons
@dataclass
class HadronResult:
    per_eot: float
    per_eot_err: float
    upper_limit_90: float | None
    survival: dict  # species -> (value, err) per beam hadron
    decay_probability: dict
    d_srd_cm: float
    d_srd_source: str
    eot_equivalent: float
    e_miss_nomiss: np.ndarray
    w_nomiss: np.ndarray
    config: hadrons.HadronConfig


def simulate_hadrons(setup="na64e", *, n_per_channel=100_000, seed=1, config=None) -> HadronResult:
    """Hadron decays in flight through the setup and the selection (forced decays, weights)."""
    from ...detector.muon import transport

    cfg = config or hadrons.HadronConfig()
    st = load_setup(setup)
    e0 = float(st.beam.energy_gev)
    d, d_src = _decay_distance_cm(st, cfg)
    z_ecal = st.ecal.z_start_cm
    iecal = st.elements.index(st.ecal)
    seeds = np.random.SeedSequence([seed, 7]).spawn(len(hadrons.CHANNELS))
    surv = {"pi-": [0.0, 0.0], "K-": [0.0, 0.0]}
    pdec = {}
    em_all, w_all = [], []
    per_eot_species = {"pi-": cfg.pi_per_e * cfg.srd_suppression,
                       "K-": cfg.pi_per_e * cfg.k_per_pi * cfg.srd_suppression}
    eot_eq = math.inf
    for (ch, (species, br)), ss in zip(hadrons.CHANNELS.items(), seeds):
        rng = np.random.default_rng(ss)
        s = hadrons.sample_decays(ch, n_per_channel, rng, momentum_gev=e0, z_ecal_cm=z_ecal, d_srd_cm=d)
        pdec[species] = s.p_decay
        eot_eq = min(eot_eq, n_per_channel / (per_eot_species[species] * s.p_decay * br))
        ok = s.p4_mu[:, 3] > 1e-6
        tr = transport(st, s.p4_mu[ok], s.z_decay_cm[ok], rng, charge=-1)
        dep = tr.deposit
        reco = tr.in_acceptance & np.isfinite(tr.p_measured)
        e_ecal = dep[:, iecal] + s.e_ecal_extra[ok]
        hcal = dep[:, list(st.hcal_indices)]
        veto = dep[:, st.veto_indices[0]] if st.veto_indices else None
        e_ecal, hcal, veto = _response(st, e_ecal, hcal, veto, rng)
        mask, m_nm, e_miss = _selection(st, e_ecal, hcal, veto, np.where(reco, tr.p_measured, np.nan),
                                        reco.astype(int))
        w = s.weight_per_hadron[ok]
        surv[species][0] += float(w[mask].sum())
        surv[species][1] += float((w[mask] ** 2).sum())
        em_all.append(e_miss[m_nm])
        w_all.append(w[m_nm] * per_eot_species[species])
    per = sum(per_eot_species[sp] * surv[sp][0] for sp in surv)
    err = math.sqrt(sum(per_eot_species[sp] ** 2 * surv[sp][1] for sp in surv))
    survival = {sp: (v[0], math.sqrt(v[1])) for sp, v in surv.items()}
    ul = 2.302585 / eot_eq if per == 0 else None
    return HadronResult(per, err, ul, survival, pdec, d, d_src, eot_eq, np.concatenate(em_all),
                        np.concatenate(w_all), cfg)
