#!/usr/bin/env bash
# Does racing the rates (l2l tune --tune-race) pick the full grid's rate? For each bundled problem of
# resources/tuned-rates.json (the full grid's search, made by scripts/ship_rates.sh) and each of sgd, nag, rmsprop
# and adam, this tunes with --tune-race from an empty cache and compares the chosen rate with the full grid's. The
# full grid's rate comes from the shipped table when it was made by this build (its search gives the same bits),
# else from a full search here. Wall times of both searches are measured here unless the table applies and
# --no-grid-times is given (the grid then is not re-run; its time column says so).
# Writes a Markdown table to stdout (and to the file given by --out), with the date, the build and the load average.
# Usage: scripts/race_check.sh [--out FILE] [--no-grid-times] [path/to/l2l] [problem[@steps] ...]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out=""
grid_times=1
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    --no-grid-times) grid_times=0; shift ;;
    *) break ;;
  esac
done
l2l="${1:-$root/build/app/l2l}"
shift || true
problems=("$@")
source "$root/scripts/tuned-problems.sh"
[ ${#problems[@]} -gt 0 ] || problems=("${tuned_problems[@]}")
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
build="$("$l2l" --version | sed -n 's/^l2l [^ ]* (\(.*\))$/\1/p')"
shipped_build="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["build"])' "$root/resources/tuned-rates.json")"
# The best rate of one search: the line marked "<- best" of `l2l tune`'s listing.
best() { sed -n 's/^  lr \([^ ]*\) .*<- best$/\1/p' "$1"; }
rows="$tmp/rows"
: >"$rows"
load_start="$(cut -d' ' -f1-3 /proc/loadavg)"
for entry in "${problems[@]}"; do
  p="${entry%@*}"
  steps=100
  [ "$p" = "$entry" ] || steps="${entry##*@}"
  for opt in sgd nag rmsprop adam; do
    t0=$(date +%s.%N)
    L2L_SHIPPED_RATES="" "$l2l" tune --problem "$p" --optimizers "$opt" --steps "$steps" --no-cache --tune-race \
      --quiet >"$tmp/race.txt"
    t_race=$(python3 -c "import sys; print('%.1f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$t0" "$(date +%s.%N)")
    dropped=$(grep -c "dropped by the race" "$tmp/race.txt" || true)
    if [ "$grid_times" = 0 ] && [ "$build" = "$shipped_build" ]; then
      # The shipped table's search, for this build: its best rate, without re-running it.
      canon=$(sed -n 's/^problem \(.*\), [0-9]* steps, .*/\1/p' "$tmp/race.txt")
      grid_best=$(python3 - "$root/resources/tuned-rates.json" "$canon" "$opt" "$steps" <<'PY'
import json, sys
table, canon, opt, steps = sys.argv[1:5]
name, _, opts = canon.partition(":")  # the shipped keys are without the data path (ShippedRates::withoutDataPath)
kept = [o for o in opts.split(",") if o and not o.startswith("data=")]
canon = name + (":" + ",".join(kept) if kept else "")
entries = json.load(open(table))["entries"]
for key, e in entries.items():
    parts = key.split(" | ")
    if parts[0] == canon and parts[1].split(":")[0] == opt and parts[2] == "steps=" + steps:
        print("%.3g" % e["best_rate"])
        break
else:
    sys.exit("race_check.sh: no shipped entry for %s, %s, %s steps" % (canon, opt, steps))
PY
)
      t_grid="(shipped)"
    else
      t0=$(date +%s.%N)
      L2L_SHIPPED_RATES="" "$l2l" tune --problem "$p" --optimizers "$opt" --steps "$steps" --no-cache --quiet \
        >"$tmp/grid.txt"
      t_grid=$(python3 -c "import sys; print('%.1f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$t0" "$(date +%s.%N)")
      grid_best=$(best "$tmp/grid.txt")
    fi
    race_best=$(best "$tmp/race.txt")
    same=no
    python3 -c "import sys; sys.exit(0 if abs(float(sys.argv[1]) / float(sys.argv[2]) - 1) < 1e-3 else 1)" \
      "$race_best" "$grid_best" && same=yes
    echo "| \`$p\` | $steps | $opt | $grid_best | $race_best | $same | $dropped | $t_grid | $t_race |" >>"$rows"
    echo "race_check.sh: $p $opt: grid $grid_best, race $race_best ($same), $t_race s" >&2
  done
done
{
  echo "Racing the rates against the full grid (16 rates x 5 tuning instances), \`scripts/race_check.sh\`,"
  echo "$(date -u +%Y-%m-%d), build \`$build\`, load average at the start $load_start, at the end $(cut -d' ' -f1-3 /proc/loadavg)."
  echo
  echo "| problem | steps | optimizer | grid's rate | race's rate | same | rates dropped by the race | grid s | race s |"
  echo "|---|---|---|---|---|---|---|---|---|"
  cat "$rows"
} | tee "${out:-/dev/null}"
