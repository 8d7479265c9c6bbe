#!/usr/bin/env bash
# Re-makes every table and plot of docs/RESULTS.md with the project's own commands.
# Usage: scripts/reproduce.sh [build/app/l2l]   (takes about 15 minutes on 2 cores)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
l2l="${1:-$root/build/app/l2l}"
out="$root/docs/results"
mkdir -p "$out"
run() { # name, then l2l eval arguments
  local name="$1"; shift
  echo "== $name: l2l eval $*" >&2
  "$l2l" eval "$@" --json "$out/$name.json" --plot "$out/$name.png" --markdown "$out/$name.md" -q
}
run quadratic        --problem quadratic --optimizers sgd,nag,rmsprop,adam,lstm --runs 100 --steps 100 --seed 1
run mnist-100        --problem mnist --optimizers sgd,nag,rmsprop,adam,lstm --runs 20 --steps 100 --seed 1
run mnist-200        --problem mnist --optimizers sgd,nag,rmsprop,adam,lstm --runs 20 --steps 200 --seed 1
run mnist-40-units   --problem mnist:hidden=40 --optimizers sgd,nag,rmsprop,adam,lstm --runs 20 --steps 100 --seed 1
run mnist-2-layers   --problem mnist:hidden=20-20 --optimizers sgd,nag,rmsprop,adam,lstm --runs 20 --steps 100 --seed 1
run mnist-relu       --problem mnist:activation=relu --optimizers sgd,nag,rmsprop,adam,lstm --runs 20 --steps 100 --seed 1
run fashion-mnist    --problem fashion-mnist --optimizers sgd,nag,rmsprop,adam,lstm --runs 20 --steps 100 --seed 1
echo "tables and plots written to $out" >&2
