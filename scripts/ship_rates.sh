#!/usr/bin/env bash
# Writes resources/tuned-rates.json: the tuned rates of the hand-designed optimizers (sgd, nag, rmsprop, adam) on
# the bundled problems at their defaults (100 steps, the default grid of 16 rates x 5 instances), tuned from an
# empty cache by the given build, without the table it replaces. A build uses the table only when its description
# (`l2l --version` prints it) is the one recorded here; test_evaluation re-tunes the quick entries and compares.
# Usage: scripts/ship_rates.sh [--add] [path/to/l2l] [problem[@steps] ...]   default build/app/l2l, every bundled
#        problem; @steps tunes for that many steps (the Art view's 128); --add keeps the table's other entries (same
#        build only) instead of replacing the table.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
add=0
if [ "${1:-}" = "--add" ]; then add=1; shift; fi
l2l="${1:-$root/build/app/l2l}"
shift || true
problems=("$@")
source "$root/scripts/tuned-problems.sh"
[ ${#problems[@]} -gt 0 ] || problems=("${tuned_problems[@]}")
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
for entry in "${problems[@]}"; do
  p="${entry%@*}"
  steps=100
  [ "$p" = "$entry" ] || steps="${entry##*@}"
  start=$SECONDS
  L2L_SHIPPED_RATES="" "$l2l" tune --problem "$p" --optimizers sgd,nag,rmsprop,adam --steps "$steps" \
    --cache "$tmp/tuning.json" --quiet >/dev/null
  echo "ship_rates.sh: $p tuned in $((SECONDS - start)) s (load $(cut -d' ' -f1-3 /proc/loadavg))"
done
build="$("$l2l" --version | sed -n 's/^l2l [^ ]* (\(.*\))$/\1/p')"
python3 - "$tmp/tuning.json" "$root/resources/tuned-rates.json" "$build" "$add" <<'PY'
import json, os, sys
cache, out, build, add = sys.argv[1:5]
if not build:
    sys.exit("ship_rates.sh: could not read the build description from `l2l --version`")
entries = {}
if add == "1":
    old = json.load(open(out))
    if old.get("build") != build:
        sys.exit("ship_rates.sh: --add: the table was made by '%s', not '%s'; re-make it whole" % (old.get("build"), build))
    entries.update(old["entries"])
for key, e in json.load(open(cache))["entries"].items():
    parts = key.split(" | ")
    name, _, opts = parts[0].partition(":")
    kept = [o for o in opts.split(",") if o and not o.startswith("data=")]
    parts[0] = name + (":" + ",".join(kept) if kept else "")
    entries[" | ".join(parts)] = e
doc = {"format": "l2l-tuned-rates", "version": 1, "build": build,
       "generated_by": "scripts/ship_rates.sh", "entries": dict(sorted(entries.items()))}
tmp = out + ".tmp"
with open(tmp, "w") as f:
    json.dump(doc, f, indent=1)
    f.write("\n")
os.replace(tmp, out)
print("ship_rates.sh: %d entries for build '%s' in %s" % (len(entries), build, out))
PY
