#!/usr/bin/env python3
"""Measures meta-training over MPI ranks on this machine (README "Meta-training over MPI", issue 22).

Usage: python3 scripts/mpi_scaling.py [--l2l build/app/l2l] [--mpirun mpirun] [--out docs/results/mpi-scaling.json] [--smoke]

Writes one JSON file; scripts/make_docs.py turns it into the README's table and scaling model (no number in the
README is typed by hand). It measures:
  - seconds per epoch of `l2l train` for MNIST (the paper's 2x20 LSTM, 5,141 weights) and the conv net (two nets,
    one per parameter group), meta-batch B, as 1 rank x 1 thread, 1 rank x 2 threads and 2 ranks x 1 thread: the
    wall time of a run of E2 epochs minus that of a run of E1 epochs, over E2 - E1 (start-up, data loading and the
    final validation cancel out);
  - the time of one meta-update's exchange between 2 ranks (`l2l mpi-bench`: B meta-gradients of P floats,
    every rank receiving all of them, as l2l train does) and of one MPI_Allreduce of P floats, for comparison.
Every figure carries the 1-minute load average before and after it (/proc/loadavg) and the cores other processes
kept busy during its runs (from /proc/stat minus this script's children); a run during which others used more
than 0.15 cores is repeated (up to 4 times, keeping the least disturbed). Best run while nothing else runs.
"""
import argparse
import datetime
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# problem flags, meta-batch, (E1, E2). Epochs differ in cost (an instance whose loss stops being finite ends its
# episode early), so E2 - E1 should span several; every layout trains the same epochs, so layouts compare equal work.
TRAININGS = [
    ("mnist", ["--problem", "mnist"], 2, (1, 4)),
    ("mnist", ["--problem", "mnist"], 4, (1, 3)),
    ("convnet", ["--problem", "convnet", "--groups", "per-block"], 2, (1, 2)),
]
LAYOUTS = [(1, 1), (1, 2), (2, 1)]  # ranks, threads per rank
COMMON = ["--horizon", "100", "--unroll", "20", "--validation-runs", "2", "--validate-every", "1000", "--seed", "1",
          "-q"]


def loadavg():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def busy_cpu_seconds():
    """CPU seconds the whole machine has spent busy (user, nice, system, irq, softirq, steal) since boot."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / os.sysconf("SC_CLK_TCK")


def children_cpu_seconds():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)  # includes mpirun's ranks (mpirun waits for them)
    return r.ru_utime + r.ru_stime


def run_once(cmd):
    busy0, own0, t0 = busy_cpu_seconds(), children_cpu_seconds(), time.monotonic()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seconds = time.monotonic() - t0
    if p.returncode != 0:
        sys.exit("mpi_scaling: %s failed (exit %d):\n%s%s" % (" ".join(cmd), p.returncode, p.stdout, p.stderr[-3000:]))
    # Cores that other processes kept busy meanwhile (a build, another test): the run's wall time is then not ours.
    others = max(0.0, (busy_cpu_seconds() - busy0) - (children_cpu_seconds() - own0)) / seconds
    return seconds, p.stdout, others


def run(cmd, tries=4, quiet=0.15):
    """The run with the least interference of up to `tries` (the first with others below `quiet` cores)."""
    best = None
    for _ in range(tries):
        seconds, out, others = run_once(cmd)
        if best is None or others < best[2]:
            best = (seconds, out, others)
        if others < quiet:
            break
        print("mpi_scaling: other processes used %.2f cores during that run; again" % others, flush=True)
    return best


def mpi_prefix(args, ranks):
    return [args.mpirun, "--allow-run-as-root", "--oversubscribe", "-n", str(ranks)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--l2l", default=os.path.join(ROOT, "build/app/l2l"))
    ap.add_argument("--mpirun", default="mpirun")
    ap.add_argument("--out", default=os.path.join(ROOT, "docs/results/mpi-scaling.json"))
    ap.add_argument("--smoke", action="store_true", help="tiny runs to check the script itself (figures meaningless)")
    args = ap.parse_args()
    if args.smoke:
        COMMON[1], COMMON[3] = "4", "2"  # horizon 4, unroll 2
    version = subprocess.run([args.l2l, "--version"], stdout=subprocess.PIPE, text=True, check=True).stdout
    doc = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%MZ"),
           "cpu": platform.processor() or "", "cores": os.cpu_count(), "tool": version.splitlines()[0],
           "settings": " ".join(COMMON[:-1]), "horizon": int(COMMON[1]), "unroll": int(COMMON[3]),
           "trainings": [], "exchange": []}
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                doc["cpu"] = line.split(":", 1)[1].strip()
                break
    with tempfile.TemporaryDirectory() as tmp:
        for name, flags, batch, (e1, e2) in TRAININGS:
            for ranks, threads in LAYOUTS:
                before = loadavg()
                seconds, others = [], []
                for epochs in (e1, e2):
                    cmd = (mpi_prefix(args, ranks) if ranks > 1 else []) + [args.l2l, "train"] + flags + COMMON + [
                        "--meta-batch", str(batch), "--threads", str(threads), "--epochs", str(epochs),
                        "--out", os.path.join(tmp, "t.json")]
                    t, _, other = run(cmd)
                    seconds.append(t)
                    others.append(round(other, 3))
                rec = {"problem": name, "flags": " ".join(flags), "meta_batch": batch, "ranks": ranks,
                       "threads": threads, "epochs": [e1, e2], "seconds": [round(s, 3) for s in seconds],
                       "per_epoch": round((seconds[1] - seconds[0]) / (e2 - e1), 3),
                       "loadavg": [before, loadavg()], "other_cores": others}
                print("mpi_scaling: %s B=%d %d rank(s) x %d thread(s): %.2f s per epoch (load %.2f -> %.2f, others %s "
                      "cores)" % (name, batch, ranks, threads, rec["per_epoch"], rec["loadavg"][0], rec["loadavg"][1],
                                  others), flush=True)
                doc["trainings"].append(rec)
        for floats in (5141, 10282):
            before = loadavg()
            _, out, other = run(mpi_prefix(args, 2) + [args.l2l, "mpi-bench", "--floats", str(floats), "--members",
                                                 "2,4,8,16,32,64,128", "--repeats", "20" if args.smoke else "300"])
            after = loadavg()
            for line in out.splitlines():
                if line.startswith("#") or not line.strip():
                    continue
                ranks, fl, members, ex_us, ar_us = line.split()
                doc["exchange"].append({"ranks": int(ranks), "floats": int(fl), "members": int(members),
                                        "exchange_us": float(ex_us), "allreduce_us": float(ar_us),
                                        "loadavg": [before, after], "other_cores": round(other, 3)})
            print("mpi_scaling: exchange of %d floats measured (load %.2f -> %.2f)" % (floats, before, after),
                  flush=True)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1, sort_keys=True)
        f.write("\n")
    print("mpi_scaling: wrote %s; python3 scripts/make_docs.py puts it into README.md" % args.out)


if __name__ == "__main__":
    main()
