#!/usr/bin/env bash
# The candidates the bundled resources/optimizers/2d.json was chosen from (issue 19), and the choice:
# eleven trainings on random 2-d quadratics (the paper's recipe; random scaling 1, 2, 3; random scaling 2 with a
# log meta-loss, with final-loss validation, with meta-batch 8, with twice the epochs; RNNprop with and without
# random scaling), each 30-80 s on one thread, then `l2l select` on 100 selection instances of randomly scaled
# 2-d quadratics (seed 5; never an evaluation instance) together with the file it replaced (docs/results/
# 2d-previous.json; recorded in the selection as bundled.json).
# Usage: scripts/experiments/2d_candidates.sh [L2L] [DIR]    (defaults: build/app/l2l, a fresh temporary directory)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
l2l="$(realpath "${1:-$root/build/app/l2l}")"
dir="${2:-$(mktemp -d "${TMPDIR:-/tmp}/l2l-2d-candidates.XXXXXX")}"
mkdir -p "$dir" && cd "$dir"
common=(--problem quadratic2d:start_noise=1 --validation-runs 50 --seed 11 --threads 1 -q)
train() { local name="$1"; shift; echo "training $name" >&2; "$l2l" train "${common[@]}" "$@" --out "$name.json"; }
train paper --epochs 20000 --validate-every 200
train rs1 --epochs 20000 --validate-every 200 --random-scale 1
train rs2 --epochs 20000 --validate-every 200 --random-scale 2
train rs3 --epochs 20000 --validate-every 200 --random-scale 3
train rs2-log --epochs 20000 --validate-every 200 --random-scale 2 --meta-loss log
train rs2-final --epochs 20000 --validate-every 200 --random-scale 2 --validate-final
train rs2-mb8 --epochs 5000 --validate-every 50 --random-scale 2 --meta-batch 8
train rs2-40k --epochs 40000 --validate-every 200 --random-scale 2
train rnnprop --epochs 20000 --validate-every 200 --rnnprop
train rnnprop-rs2 --epochs 20000 --validate-every 200 --rnnprop --random-scale 2
train rnnprop-rs2-log --epochs 20000 --validate-every 200 --rnnprop --random-scale 2 --meta-loss log
"$l2l" select --problem quadratic2d:start_noise=1,xscale=2 --candidates \
  "$root/docs/results/2d-previous.json" paper.json rs1.json rs2.json rs3.json rs2-final.json rs2-mb8.json \
  rs2-40k.json rs2-log.json rnnprop.json rnnprop-rs2.json rnnprop-rs2-log.json --out chosen.json --runs 100 --seed 5 \
  --threads 1
echo "chosen: $dir/chosen.json" >&2
