#!/usr/bin/env bash
# Re-makes every table and plot of docs/RESULTS.md with the project's own commands.
# Usage: scripts/reproduce.sh [build/app/l2l]   (about 25 minutes on 2 cores with nothing tuned yet, plus about 60 for the conv nets)
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
run mnist-100        --problem mnist --optimizers sgd,nag,rmsprop,adam,lstm,lstm:$out/mnist-first-order.json,lstm:$out/mnist-second-order.json --runs 20 --steps 100 --seed 1
run mnist-200        --problem mnist --optimizers sgd,nag,rmsprop,adam,lstm,lstm:$out/mnist-first-order.json,lstm:$out/mnist-second-order.json --runs 20 --steps 200 --seed 1
run mnist-40-units   --problem mnist:hidden=40 --optimizers sgd,nag,rmsprop,adam,lstm,lstm:$out/mnist-first-order.json --runs 20 --steps 100 --seed 1
run mnist-2-layers   --problem mnist:hidden=20-20 --optimizers sgd,nag,rmsprop,adam,lstm,lstm:$out/mnist-first-order.json --runs 20 --steps 100 --seed 1
run mnist-relu       --problem mnist:activation=relu --optimizers sgd,nag,rmsprop,adam,lstm,lstm:$out/mnist-first-order.json --runs 20 --steps 100 --seed 1
run fashion-mnist    --problem fashion-mnist --optimizers sgd,nag,rmsprop,adam,lstm,lstm:$out/mnist-first-order.json --runs 20 --steps 100 --seed 1
# Neural art (paper Fig. 8-9): held-out content, the training style at 64x64, then a new style at 128x128.
art_opts=sgd,nag,rmsprop,adam,lstm
run art-64           --problem neural-art:size=64,style=scream,content=test --optimizers $art_opts --runs 10 --steps 128 --seed 1
run art-128          --problem neural-art:size=128,style=hubble,content=test --optimizers $art_opts --runs 10 --steps 128 --seed 1
# The final images side by side (content, style, then the optimizers in the order above), same tuned rates.
"$l2l" art --content chelsea --style scream --size 64 --optimizers $art_opts --steps 128 --out "$out/art-64-images.png" -q
"$l2l" art --content chelsea --style hubble --size 128 --optimizers $art_opts --steps 128 --out "$out/art-128-images.png" -q
# Conv net (paper Fig. 7) on Fashion-MNIST, the CIFAR-10 substitute: two LSTMs (bundled convnet.json) vs one
# shared LSTM vs the baselines (rates tuned on a reduced grid: 3 instances, 1e-3..3), test-split curves every
# 10 steps; then the 5- and 2-class subsets with LSTM-sub, trained only on the held-out classes 5-9.
conv_tune="--tune-runs 3 --tune-min 0.001 --tune-max 3 --test-every 10"
run convnet          --problem convnet --optimizers sgd,nag,rmsprop,adam,lstm:$out/convnet-shared.json,lstm --runs 10 --steps 100 --seed 1 $conv_tune
run convnet-5        --problem convnet:classes=0-4 --optimizers sgd,nag,rmsprop,adam,lstm,lstm:$out/convnet-sub.json --runs 10 --steps 100 --seed 1 $conv_tune
run convnet-2        --problem convnet:classes=0+1 --optimizers sgd,nag,rmsprop,adam,lstm,lstm:$out/convnet-sub.json --runs 10 --steps 100 --seed 1 $conv_tune
echo "tables and plots written to $out" >&2
