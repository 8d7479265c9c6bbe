#!/usr/bin/env bash
# Fuzzes the readers of files from strangers with libFuzzer under AddressSanitizer and UBSan (a long run: not part
# of the test suite; the ctest test_fuzz_replay replays the committed inputs in every build).
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET ...]     default 60 s, every target
# Targets: optimizer experiment checkpoint spec idx cifar image tuning-cache transfer (tests/fuzz/FuzzTargets.cpp).
# Starts from tests/fuzz/corpus/<target>/ and works in build-fuzz/corpus/<target>/. An input that crashes is
# written to build-fuzz/crashes/<target>/; copy it into tests/fuzz/corpus/<target>/ once fixed, so CI replays it.
# Prints one line per target: runs, coverage, crashes.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${1:-60}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(optimizer experiment checkpoint spec idx cifar image tuning-cache transfer)
if ! command -v clang++ >/dev/null; then
  echo "fuzz.sh: installing clang (libFuzzer)"; apt-get install -y --no-install-recommends clang >/dev/null
fi
build="$root/build-fuzz"
# float-cast-overflow is part of clang's "undefined" group; -O1 keeps the Eigen-heavy files affordable.
flags="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -g -O1"
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
      -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" -DL2L_FUZZ=ON \
      -DL2L_ARCH=x86-64-v3 -DL2L_SKIP_CPU_CHECK=ON "${launcher[@]}" >/dev/null
names=()
for t in "${targets[@]}"; do names+=("fuzz_${t//-/_}"); done
cmake --build "$build" --parallel "$(nproc)" --target "${names[@]}"
# One target per core at a time; each gets SECONDS of its own.
fuzz_one() {
  local t="$1" bin="$build/tests/fuzz_${1//-/_}"
  local work="$build/corpus/$t" crashes="$build/crashes/$t" log="$build/fuzz-$t.log"
  mkdir -p "$work" "$crashes"
  # -rss_limit_mb: a reader that allocates without bound is a finding too. -timeout: a hang is one.
  "$bin" "$work" "$root/tests/fuzz/corpus/$t" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
    -artifact_prefix="$crashes/" -print_final_stats=1 >"$log" 2>&1
}
status=0

for t in "${targets[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$(nproc)" ]; do wait -n || status=1; done
  fuzz_one "$t" &
done
while [ "$(jobs -rp | wc -l)" -gt 0 ]; do wait -n || status=1; done
for t in "${targets[@]}"; do
  log="$build/fuzz-$t.log" crashes="$build/crashes/$t"
  runs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')"
  cov="$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo '?')"
  units="$(ls "$build/corpus/$t" | wc -l)"
  echo "fuzz $t: $runs runs in ${seconds} s, coverage $cov, corpus $units inputs," \
       "$(ls "$crashes" | wc -l) crash input(s) in $crashes"
done
exit $status
