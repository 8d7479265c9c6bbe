#!/usr/bin/env bash
# Speed figures, measured here and now (never compare them with another machine's): `l2l bench` (every kernel as a
# share of this machine's measured FMA peak, peak memory), the side-by-side ratio to the PyTorch reference in
# ../shared/peer when it is set up, the whole `l2l train --problem mnist --epochs 4` process, and the first-result
# latency of `l2l eval` from an empty cache, with and without the shipped tuned rates. Run it on an idle machine:
# the load averages are recorded with every figure.
# Usage: scripts/bench.sh [path/to/l2l] [rounds=3]      L2L_BENCH_PROBLEMS="mnist neural-art" limits the latencies,
#        L2L_BENCH_SHIPPED_ONLY="convnet" skips their timing without the shipped rates
# Writes docs/results/bench.json (l2l bench), docs/results/speed.json (the rest) and docs/results/speed.md.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
l2l="${1:-$root/build/app/l2l}"
rounds="${2:-3}"
out="$root/docs/results"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
load() { cut -d' ' -f1-3 /proc/loadavg; }
seconds() { # command... -> wall seconds on stdout, its output in $tmp/out
  local t0 t1
  t0=$(date +%s.%N)
  "$@" >"$tmp/out" 2>&1
  t1=$(date +%s.%N)
  python3 -c "print('%.2f' % ($t1 - $t0))"
}

echo "bench.sh: l2l bench (load $(load))"
bench_date="$(date -u +%Y-%m-%dT%H:%M:%SZ)"; bench_load="$(load)"; bench_t0=$SECONDS
"$l2l" bench --repeats 15 --json "$out/bench.json" >"$tmp/bench.txt"
# The run time RESULTS states for the bench section (reproduce-times.json, as scripts/reproduce.sh records it) is
# this run's: the time of an earlier `reproduce.sh bench` no longer describes the bench.json written here.
python3 "$root/scripts/record_time.py" "$out/reproduce-times.json" bench "$((SECONDS - bench_t0))" "$bench_date" \
  "$bench_load" "$("$l2l" --version 2>/dev/null | head -n 1 || echo unknown)" "$(nproc)"
rows=()
ratio="null"
peer="$root/../shared/peer"
if [ -x "$peer/ratio.sh" ] && [ -d "${L2L_PEER_CACHE:-$HOME/.cache/l2l-peer}/ob" ]; then
  echo "bench.sh: PyTorch reference, $rounds rounds (load $(load))"
  "$peer/ratio.sh" "$l2l" "$rounds" | tee "$tmp/ratio.txt"
  ratio=$(grep -oE "ratio [0-9.]+x" "$tmp/ratio.txt" | grep -oE "[0-9.]+" || echo null)
fi
echo "bench.sh: whole training process (load $(load))"
train_load="$(load)"
train_s=$(L2L_CACHE_DIR="$tmp/cache-train" seconds "$l2l" train --problem mnist --epochs 4 --out "$tmp/t.json" --quiet)
# The reference's whole process for the same 4 episodes (it validates nothing; our side includes the validation).
peer_train_s=null
peer_load=""
if [ "$ratio" != null ]; then
  peer_load="$(load)"
  cache="${L2L_PEER_CACHE:-$HOME/.cache/l2l-peer}"
  peer_train_s=$(LD_LIBRARY_PATH="$cache/ob/usr/lib/x86_64-linux-gnu/openblas-openmp" OMP_NUM_THREADS=2 \
    seconds /usr/bin/python3 "$peer/l2l_torch.py" --problem mnist --episodes 4 --eval-timing 0 --threads 2 --no-quality)
  echo "bench.sh: PyTorch reference, 4 episodes, whole process: $peer_train_s s (load $peer_load); l2l train: $train_s s"
fi
latency=()
for p in ${L2L_BENCH_PROBLEMS:-mnist convnet neural-art}; do # the conv net without shipped rates takes minutes
  for shipped in yes no; do
    # L2L_BENCH_SHIPPED_ONLY="convnet": time those only with the shipped rates (the conv net's search takes ~25 min)
    [ "$shipped" = no ] && [[ " ${L2L_BENCH_SHIPPED_ONLY:-} " == *" $p "* ]] && continue
    rm -rf "$tmp/cache"
    env_shipped=()
    [ "$shipped" = no ] && env_shipped=(L2L_SHIPPED_RATES=)
    l=$(load)
    read -r first total < <(env "${env_shipped[@]}" L2L_CACHE_DIR="$tmp/cache" "$root/scripts/first_result.py" "$l2l" "$p")
    echo "bench.sh: l2l eval --problem $p, empty cache, shipped rates $shipped: evaluation began at $first s, ended at $total s (load $l)"
    latency+=("$p $shipped $first $total $l")
  done
done
python3 - "$out" "$ratio" "$train_s" "$train_load" "$peer_train_s" "$peer_load" "${latency[@]}" <<'PY'
import json, sys, datetime
out, ratio, train_s, train_load, peer_train_s, peer_load = sys.argv[1:7]
bench = json.load(open(out + "/bench.json"))
lat = []
for item in sys.argv[7:]:
    p, shipped, first, total, *l = item.split()
    lat.append({"problem": p, "shipped_rates": shipped == "yes", "evaluation_began_seconds": float(first),
                "process_seconds": float(total), "load": " ".join(l)})
doc = {"format": "l2l-speed", "version": 1, "date": datetime.datetime.utcnow().strftime("%Y-%m-%dT%H:%M:%SZ"),
       "tool": bench["tool"], "peak_gflops_per_core": bench["peak_gflops_per_core"],
       "peer_ratio": None if ratio == "null" else float(ratio),
       "train_mnist_4_epochs_seconds": float(train_s), "train_load": train_load,
       "peer_train_4_episodes_seconds": None if peer_train_s == "null" else float(peer_train_s), "peer_load": peer_load,
       "first_result": lat}
json.dump(doc, open(out + "/speed.json", "w"), indent=1)
md = ["Measured by `scripts/bench.sh` on %s (%s; fp32 peak %.1f GFLOP/s per core, measured)."
      % (doc["date"], doc["tool"], doc["peak_gflops_per_core"]), "",
      "| what | figure | load average |", "|---|---|---|"]
if doc["peer_ratio"] is not None:
    md.append("| MNIST meta-training episode, PyTorch reference / l2l (median of rounds) | %.2fx | see ratio.sh output |" % doc["peer_ratio"])
md.append("| `l2l train --problem mnist --epochs 4`, whole process | %.1f s | %s |" % (doc["train_mnist_4_epochs_seconds"], train_load))
if doc["peer_train_4_episodes_seconds"] is not None:
    md.append("| PyTorch reference, 4 MNIST episodes, whole process (no validation; ours includes it) | %.1f s (ratio %.2fx) | %s |"
              % (doc["peer_train_4_episodes_seconds"], doc["peer_train_4_episodes_seconds"] / doc["train_mnist_4_epochs_seconds"], peer_load))
for r in lat:
    md.append("| `l2l eval --problem %s` (defaults), empty cache, %s: evaluation begins / process ends | %.1f s / %.1f s | %s |"
              % (r["problem"], "shipped rates" if r["shipped_rates"] else "no shipped rates",
                 r["evaluation_began_seconds"], r["process_seconds"], r["load"]))
open(out + "/speed.md", "w").write("\n".join(md) + "\n")
print("\n".join(md))
PY
