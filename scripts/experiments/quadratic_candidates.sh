#!/usr/bin/env bash
# Issue 19: learned optimizers for quadratics that hold up off their training scale. Trains candidates with the
# paper's recipe and with random scaling (Lv et al. 2017), picks one with `l2l select` on selection instances
# (a stream no report draws), and measures every candidate's transfer matrix on the evaluation seed.
#
# Usage: scripts/experiments/quadratic_candidates.sh OUTDIR      (L2L=path/to/l2l, default build/app/l2l)
# Writes OUTDIR/<name>.json (optimizers), OUTDIR/select.txt, OUTDIR/transfer.{json,png,txt}, OUTDIR/times.txt.
# Cost on the project's 2-core machine: about 6 minutes (one thread per training).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
l2l="${L2L:-$root/build/app/l2l}"
out="${1:?usage: quadratic_candidates.sh OUTDIR}"
mkdir -p "$out"
: > "$out/times.txt"
train() { # name, flags...
  local name="$1"; shift
  local start; start=$(date +%s.%N)
  "$l2l" train --problem quadratic --epochs 20000 --validate-every 500 --validation-runs 100 --seed 11 --threads 1 \
    "$@" --out "$out/$name.json" -q
  echo "$name $(echo "$(date +%s.%N) - $start" | bc) s: l2l train --problem quadratic --epochs 20000 --validate-every 500 --validation-runs 100 --seed 11 --threads 1 $*" >> "$out/times.txt"
}
train paper
train rs1 --random-scale 1
train rs2 --random-scale 2
train rs3 --random-scale 3
train rs2-log --random-scale 2 --meta-loss log
names=(paper rs1 rs2 rs3 rs2-log)
files=(); for n in "${names[@]}"; do files+=("$out/$n.json"); done
# Selection on quadratics whose coordinates are rescaled (xscale=2): the family the transfer is meant for, on
# the selection stream (seed 5), never an evaluation instance.
"$l2l" select --problem quadratic:xscale=2 --candidates "${files[@]}" --runs 100 --seed 5 --out "$out/selected.json" \
  --quiet > "$out/select.txt"
"$l2l" transfer --optimizers "$root/resources/optimizers/quadratic.json" "${files[@]}" --family quadratic \
  --runs 50 --seed 101 --json "$out/transfer.json" --png "$out/transfer.png" -q > "$out/transfer.txt"
cat "$out/select.txt" "$out/transfer.txt"
