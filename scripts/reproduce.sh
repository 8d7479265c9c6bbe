#!/usr/bin/env bash
# Re-makes every table and plot of docs/RESULTS.md with the project's own commands, then writes every number
# of docs/RESULTS.md and of README.md's Results section from those files (scripts/make_docs.py).
#
# Usage: scripts/reproduce.sh [--l2l PATH] [--no-times] [--families LIST] [SECTION...]   (default: every section)
#        scripts/reproduce.sh --list                                       (the sections and their rough cost)
#   --l2l PATH   the l2l binary (default build/app/l2l; a lone path to an executable also works, as before)
#   --families LIST  the transfer section runs only these comma-separated families (quadratic, 2d, mnist,
#                neural-art, convnet), e.g. after re-making one bundled optimizer; the others' files stay as they are
#   --no-times   do not update docs/results/reproduce-times.json (e.g. for a second run that checks that
#                `git diff` stays empty: the times and dates recorded there change from run to run)
#
# Every invocation uses a fresh, private tuning cache (L2L_CACHE_DIR, see core/eval/Tuning.cpp), removed at the end:
# learning rates come from this run's build, never from another build's cache (a rate shipped in
# resources/tuned-rates.json is used only by a build of the same description, whose own search re-makes it, so
# the results are the same; a section's time then has no search in it). Sections run in one
# invocation share it (the MNIST selection runs reuse the MNIST section's tuned NAG rates).
# The seconds of each section, its start date, the load average then and `l2l --version` are merged into
# docs/results/reproduce-times.json, which RESULTS.md's run-time statement is generated from.
#
# The whole script is one brace group, read before any of it runs: editing this file while a run goes on (hours)
# does not change, or cut, what that run does.
{
set -euo pipefail
root="$(CDPATH='' cd -- "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Every path given to l2l is relative to the project root, where the commands run, so the files written name
# resources/... and docs/results/..., not this checkout's place: a clone elsewhere can go on from a stopped transfer.
out="docs/results"
l2l="$root/build/app/l2l"

# name|rough cost on the project's 2-core machine with nothing tuned (estimates from the timings stated in
# RESULTS.md and README.md before this script recorded them; see reproduce-times.json for measured ones)
sections=(
  "bench|about 2 min: l2l bench --repeats 15 (writes bench.json when the build's bench has --json)"
  "quadratic|under 1 min: 10-d quadratics, 100 runs"
  "2d|about 1 min: five 2-d functions, 50 runs each"
  "mnist|about 5 min: MNIST at 100 and 200 steps, 20 runs, 3 LSTMs"
  "mnist-unseen|about 3 min: the bundled LSTM vs tuned NAG and Adam on 50 runs of seed 20261205, which no optimizer was trained or selected on and no earlier file was reported on, 100 and 200 steps"
  "generalisation|about 6 min: MNIST with 40 units, 2 layers, ReLU"
  "fashion-mnist|about 2 min: Fashion-MNIST with the MNIST optimizers"
  "art|about 10 min: neural art at 64x64 and 128x128, and the two image strips"
  "convnet|about 60 min: the conv net on 10, 5 and 2 classes with test curves"
  "transfer|about 30 min, and about 25 min more for the conv net (hours if its rate search, docs/results/transfer-convnet-search.json, is redone): every bundled optimizer on a grid of variants of its problem (l2l transfer)"
)
names=()
for s in "${sections[@]}"; do names+=("${s%%|*}"); done

chosen=()
keep_times=0
families=",quadratic,2d,mnist,neural-art,convnet,"
while (($#)); do
  case "$1" in
    --list) for s in "${sections[@]}"; do printf '%-16s %s\n' "${s%%|*}" "${s#*|}"; done; exit 0 ;;
    --l2l) l2l="$2"; shift ;;
    --no-times) keep_times=1 ;;
    --families)
      families=",$2,"; shift
      for f in ${families//,/ }; do
        case "$f" in quadratic|2d|mnist|neural-art|convnet) ;;
          *) echo "reproduce.sh: unknown transfer family '$f' (quadratic, 2d, mnist, neural-art, convnet)" >&2; exit 1 ;;
        esac
      done ;;
    -h|--help) sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *)
      if [[ " ${names[*]} " == *" $1 "* ]]; then chosen+=("$1")
      elif [[ "$1" == */* && -x "$1" ]]; then l2l="$1"
      else echo "reproduce.sh: unknown section '$1' (sections: ${names[*]}; see --list)" >&2; exit 1
      fi ;;
  esac
  shift
done
partial=1
if ((${#chosen[@]} == 0)); then chosen=("${names[@]}"); partial=0; fi
[[ -x "$l2l" ]] || { echo "reproduce.sh: no l2l binary at $l2l (build with scripts/build.sh, or pass --l2l PATH)" >&2; exit 1; }
l2l="$(CDPATH='' cd -- "$(dirname "$l2l")" && pwd)/$(basename "$l2l")" # as given from the caller's directory
CDPATH='' cd -- "$root"
mkdir -p "$out"

L2L_CACHE_DIR="$(mktemp -d "${TMPDIR:-/tmp}/l2l-reproduce-cache.XXXXXX")"
export L2L_CACHE_DIR
trap 'rm -rf "$L2L_CACHE_DIR"' EXIT
tool="$("$l2l" --version 2>/dev/null | head -n 1 || true)"
tool="${tool:-unknown}"
echo "== $tool; tuning cache $L2L_CACHE_DIR (fresh); sections: ${chosen[*]}" >&2

run() { # name, then l2l eval arguments
  local name="$1"; shift
  echo "== $name: l2l eval $*" >&2
  "$l2l" eval "$@" --json "$out/$name.json" --plot "$out/$name.png" --markdown "$out/$name.md" -q
  relative_paths "$out/$name.json"
}

# l2l writes what it resolved itself as absolute paths: the bundled optimizer ("lstm" ->
# /CHECKOUT/resources/optimizers/...) and the data set found in the source tree (data=/CHECKOUT/data/mnist). In an
# evaluation's JSON they are made relative to the project root, as the paths given on the command line are, so the
# committed files do not depend on where the checkout is (nothing reads these paths back: they name what ran).
relative_paths() { # file
  python3 - "$1" "$root/" <<'EOF'
import json, os, sys
path, prefix = sys.argv[1], sys.argv[2]
with open(path, encoding="utf-8") as f:
    text = f.read()
text = text.replace(json.dumps(prefix)[1:-1], "")
with open(path + ".tmp", "w", encoding="utf-8") as f:
    f.write(text)
os.replace(path + ".tmp", path)
EOF
}

record_time() { # section, seconds, start date, load average at the start
  if ((keep_times)); then return 0; fi
  python3 "$root/scripts/record_time.py" "$out/reproduce-times.json" "$1" "$2" "$3" "$4" "$tool" "$(nproc)"
}

drop_time() { # section: its recorded time no longer describes its files
  if ((keep_times)) || [[ ! -f "$out/reproduce-times.json" ]]; then return 0; fi
  python3 - "$out/reproduce-times.json" "$1" <<'EOF'
import json, os, sys
path, section = sys.argv[1:]
with open(path, encoding="utf-8") as f:
    doc = json.load(f)
doc["sections"].pop(section, None)
with open(path + ".tmp", "w", encoding="utf-8") as f:
    f.write(json.dumps(doc, indent=2, sort_keys=True) + "\n")
os.replace(path + ".tmp", path)
EOF
}

bench_skipped=0
section_bench() {
  local help
  help="$("$l2l" bench --help 2>&1 || true)"
  if [[ "$help" == *--json* ]]; then
    echo "== bench: l2l bench --repeats 15 --json $out/bench.json" >&2
    "$l2l" bench --repeats 15 --json "$out/bench.json"
  else
    echo "reproduce.sh: WARNING: this build's 'l2l bench' cannot write JSON (no --json option): bench.json not made," \
         "the speed tables stay 'not yet generated'" >&2
    bench_skipped=1
  fi
}

section_quadratic() {
  run quadratic --problem quadratic --optimizers sgd,nag,rmsprop,adam,lstm --runs 100 --steps 100 --seed 1
}

section_2d() { # the 2-d functions of the Trajectories view; lstm = resources/optimizers/2d.json
  run 2d-quadratic2d    --problem quadratic2d:start_noise=1 --optimizers sgd,nag,rmsprop,adam,lstm --runs 50 --steps 100 --seed 1
  local p
  for p in ill-conditioned saddle himmelblau rosenbrock; do
    run "2d-$p" --problem "$p" --optimizers sgd,nag,rmsprop,adam,lstm --runs 50 --steps 100 --seed 1
  done
}

mnist_opts="sgd,nag,rmsprop,adam,lstm,lstm:$out/mnist-first-order.json"
section_mnist() {
  run mnist-100 --problem mnist --optimizers "$mnist_opts,lstm:$out/mnist-second-order.json" --runs 20 --steps 100 --seed 1
  run mnist-200 --problem mnist --optimizers "$mnist_opts,lstm:$out/mnist-second-order.json" --runs 20 --steps 200 --seed 1
}

# Issue 19's test of the bundled optimizer: 50 runs of an evaluation seed that no optimizer was trained or selected on
# (the bundled one was chosen by l2l select on the selection stream), against the tuned baselines, paired, at the
# training horizon and at twice it; the optimizer it replaced (docs/results/mnist-previous.json) and the one before
# (docs/results/mnist-previous-2.json) beside it. The seed was 4242 until 2026-12-05, when it had reported three
# bundled files (docs/results/mnist-unseen-4242-*.json); 20261205 (the date it was fixed, before its first run) had
# never been run by anyone.
section_mnist_unseen() {
  local older="lstm:$out/mnist-previous.json,lstm:$out/mnist-previous-2.json"
  run mnist-unseen-100 --problem mnist --optimizers "nag,adam,lstm,$older" --runs 50 --steps 100 --seed 20261205
  run mnist-unseen-200 --problem mnist --optimizers "nag,adam,lstm,$older" --runs 50 --steps 200 --seed 20261205
}

section_generalisation() {
  run mnist-40-units --problem mnist:hidden=40 --optimizers "$mnist_opts" --runs 20 --steps 100 --seed 1
  run mnist-2-layers --problem mnist:hidden=20-20 --optimizers "$mnist_opts" --runs 20 --steps 100 --seed 1
  run mnist-relu     --problem mnist:activation=relu --optimizers "$mnist_opts" --runs 20 --steps 100 --seed 1
}

section_fashion_mnist() {
  run fashion-mnist --problem fashion-mnist --optimizers "$mnist_opts" --runs 20 --steps 100 --seed 1
}

art_opts=sgd,nag,rmsprop,adam,lstm
section_art() { # paper Fig. 8-9: held-out content, the training style at 64x64, then a new style at 128x128
  run art-64  --problem neural-art:size=64,style=scream,content=test --optimizers $art_opts --runs 10 --steps 128 --seed 1
  run art-128 --problem neural-art:size=128,style=hubble,content=test --optimizers $art_opts --runs 10 --steps 128 --seed 1
  # The final images side by side (content, style, then the optimizers in the order above), tuned rates.
  "$l2l" art --content chelsea --style scream --size 64 --optimizers $art_opts --steps 128 --out "$out/art-64-images.png" -q
  "$l2l" art --content chelsea --style hubble --size 128 --optimizers $art_opts --steps 128 --out "$out/art-128-images.png" -q
}

# Conv net (paper Fig. 7) on Fashion-MNIST, the CIFAR-10 substitute: two LSTMs (bundled convnet.json) vs one
# shared LSTM vs the baselines (rates tuned on a reduced grid: 3 instances, 1e-3..3), test-split curves every
# 10 steps; then the 5- and 2-class subsets with LSTM-sub, trained only on the held-out classes 5-9.
conv_tune=(--tune-runs 3 --tune-min 0.001 --tune-max 3 --test-every 10)
section_convnet() {
  run convnet   --problem convnet --optimizers "sgd,nag,rmsprop,adam,lstm:$out/convnet-shared.json,lstm" --runs 10 --steps 100 --seed 1 "${conv_tune[@]}"
  run convnet-5 --problem convnet:classes=0-4 --optimizers "sgd,nag,rmsprop,adam,lstm,lstm:$out/convnet-sub.json" --runs 10 --steps 100 --seed 1 "${conv_tune[@]}"
  run convnet-2 --problem convnet:classes=0+1 --optimizers "sgd,nag,rmsprop,adam,lstm,lstm:$out/convnet-sub.json" --runs 10 --steps 100 --seed 1 "${conv_tune[@]}"
}

# Transfer matrices (issue 19): each bundled optimizer on its family's grid of variants (l2l transfer --family),
# on evaluation seed 101, which no optimizer was selected on. The quadratic one beside the paper-recipe optimizer
# it replaced (docs/results/quadratic-paper.json), the MNIST one beside the first-order file.
transfer() { # name, then l2l transfer arguments
  local name="$1"; shift
  [[ "$families" == *",$name,"* ]] || return 0
  echo "== transfer-$name: l2l transfer $*" >&2
  local date load t0=$SECONDS
  date="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  load="$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)"
  # A stopped run (Ctrl-C, or a session that ended) left its finished variants in the file: go on from them (l2l
  # refuses a file of another transfer). A resumed run's time is not the whole run's, so none is recorded for it.
  local resume=()
  drop_time "transfer-$name" # until this run ends, no time describes the family's file
  if [[ -f "$out/transfer-$name.json" ]] && grep -q '"cancelled": true' "$out/transfer-$name.json"; then
    resume=(--resume "$out/transfer-$name.json")
    echo "   going on from the stopped run in $out/transfer-$name.json" >&2
  fi
  "$l2l" transfer "$@" --seed 101 --json "$out/transfer-$name.json" --png "$out/transfer-$name.png" -q \
    ${resume[@]+"${resume[@]}"} > "$out/transfer-$name.txt"
  if ((${#resume[@]} == 0)); then record_time "transfer-$name" $((SECONDS - t0)) "$date" "$load"; fi
}
section_transfer() {
  transfer quadratic --optimizers "resources/optimizers/quadratic.json" "$out/quadratic-paper.json" \
    --family quadratic --runs 50
  transfer 2d --optimizers "resources/optimizers/2d.json" "$out/2d-previous.json" --family 2d --runs 50
  transfer mnist --optimizers "resources/optimizers/mnist.json" "$out/mnist-previous.json" \
    "$out/mnist-first-order.json" --family mnist --runs 20
  transfer neural-art --optimizers "resources/optimizers/neural-art.json" --family neural-art --runs 10
  # The conv net with the convnet section's reduced rate search (3 instances, 1e-3..3). The search takes hours, so it
  # was made once, of the file then bundled (docs/results/transfer-convnet-search.json: l2l transfer --optimizers
  # docs/results/convnet-previous.json --family convnet --runs 10 --seed 101 and the search settings below), and this
  # matrix re-runs each variant's best baseline from it at its recorded rate (--baselines-from; l2l refuses a re-run
  # that ends more than 1 % from the recorded mean). Delete that file to search every rate again.
  local conv_from=()
  if [[ -f "$out/transfer-convnet-search.json" ]]; then conv_from=(--baselines-from "$out/transfer-convnet-search.json"); fi
  transfer convnet --optimizers "resources/optimizers/convnet.json" "$out/convnet-previous.json" --family convnet --runs 10 \
    "${conv_tune[@]:0:6}" ${conv_from[@]+"${conv_from[@]}"}
}

for s in "${names[@]}"; do # in the canonical order, whatever the order on the command line
  [[ " ${chosen[*]} " == *" $s "* ]] || continue
  start_date="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  start_load="$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)"
  t0=$SECONDS
  "section_${s//-/_}"
  if [[ "$s" == transfer ]]; then continue; fi # its families record their own times
  if [[ "$s" != bench || "$bench_skipped" == 0 ]]; then record_time "$s" $((SECONDS - t0)) "$start_date" "$start_load"; fi
done
echo "tables and plots written to $out" >&2

# The documents: every number of docs/RESULTS.md and README.md's Results section, from the files above. A partial
# run leaves placeholders only for the sections it did not run and that have no files yet; a section that ran
# must have produced its files.
allow=()
if ((partial)); then
  skipped=()
  for s in "${names[@]}"; do [[ " ${chosen[*]} " == *" $s "* ]] || skipped+=("$s"); done
  if ((${#skipped[@]})); then allow=("--allow-missing=$(IFS=,; echo "${skipped[*]}")"); fi
fi
extra=()
if ((bench_skipped)); then extra+=(bench); fi
if ((keep_times)); then extra+=(times); fi # no new times: leave the run-time statement as it is, or a placeholder
for e in ${extra[@]+"${extra[@]}"}; do
  if ((${#allow[@]})); then allow=("${allow[0]},$e"); else allow=("--allow-missing=$e"); fi
done
python3 scripts/make_docs.py ${allow[@]+"${allow[@]}"}
exit
}
