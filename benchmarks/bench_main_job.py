"""Benchmark: the README's main job, ``leptoportal reach na64e-lfv``, as a user runs it.

    python benchmarks/bench_main_job.py [--config na64e-lfv] [--skip-cold]

Times three situations, each with the default ``--workers auto`` and with ``--workers serial``
(the baseline, measured in the same run, on the same machine):

* cold: empty caches (a fresh ``LEPTOPORTAL_CACHE_DIR``: cross-section, shower, muon and
  background tables are built) into a new output directory;
* warm: the caches of the cold run, into a new output directory;
* resume: ``--resume`` of the finished scan.

Prints wall seconds, the ratio auto/serial per situation, and the targets (cold <= 90 s, warm
<= 45 s, resume <= 5 s on 2 cores); checks that the auto and serial runs wrote the same reach.csv
data rows.  Each cold run builds its own cache folder, so the two cold runs do not help each
other; the warm runs use their own cold run's caches.  Events, masses and the background's
EOT-equivalent are the config's.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGETS = {"cold": 90.0, "warm": 45.0, "resume": 5.0}


def _run(args, cache, out) -> float:
    env = {**os.environ, "LEPTOPORTAL_CACHE_DIR": str(cache), "MPLBACKEND": "Agg"}
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, "-m", "leptoportal", "reach", *args, "--output", str(out), "--no-progress"],
                       env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        raise SystemExit(f"leptoportal reach {' '.join(args)} failed:\n{p.stderr}")
    return dt


def _rows(out: Path) -> list[str]:
    return [ln for ln in (out / "reach.csv").read_text().splitlines() if not ln.startswith("#")]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", default="na64e-lfv")
    ap.add_argument("--skip-cold", action="store_true", help="only warm and resume (caches built untimed)")
    a = ap.parse_args()
    print(f"# {a.config}: {os.cpu_count()} CPUs; auto = the default --workers auto, serial = --workers serial")
    times: dict = {}
    outs = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for mode in ("serial", "auto"):
            cache = tmp / f"cache-{mode}"
            out = tmp / f"cold-{mode}"
            t = _run([a.config, "--workers", mode], cache, out)
            if not a.skip_cold:
                times[("cold", mode)] = t
            out_w = tmp / f"warm-{mode}"
            times[("warm", mode)] = _run([a.config, "--workers", mode], cache, out_w)
            times[("resume", mode)] = _run([a.config, "--workers", mode, "--resume"], cache, out_w)
            outs[mode] = out_w
        same = _rows(outs["serial"]) == _rows(outs["auto"])
    print(f"{'situation':>10} {'serial [s]':>11} {'auto [s]':>9} {'auto/serial':>12} {'target [s]':>11}  met (auto)")
    for sit in ("cold", "warm", "resume"):
        if (sit, "auto") not in times:
            continue
        s, w = times[(sit, "serial")], times[(sit, "auto")]
        print(f"{sit:>10} {s:11.1f} {w:9.1f} {w / s:12.2f} {TARGETS[sit]:11.0f}  {'yes' if w <= TARGETS[sit] else 'NO'}")
    print(f"reach.csv data rows identical (auto vs serial): {same}")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
