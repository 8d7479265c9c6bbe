#!/usr/bin/env bash
# The test suite under sanitizers (a long run, not part of CI; its results go into the issue notes).
#   scripts/sanitize.sh [asan|tsan|all] [extra ctest arguments]      default all
# asan: the whole tree (core, ui, app, tests) built by clang at -O1 with AddressSanitizer, UndefinedBehavior-
#       Sanitizer (float-cast-overflow included; any report ends the test) and LeakSanitizer, then every ctest
#       test under Xvfb except the checks that do not run our code under test (formatting, layering) and the
#       committed-fingerprint tests, whose hashes are those of the GCC Release build, not of this one.
# tsan: the tests that run threads (lanes on the thread pool and their thread-count independence, meta-training
#       on threads, the studio's worker threads and their 1000 start/stops) built with
#       ThreadSanitizer at -O1; any data race ends the test.
# -O1 keeps an Eigen-heavy file to about a minute on 2 cores; ccache is used when present. Both runs scale the
# tests' wall-clock limits by 8 (L2L_TIME_SCALE, tests/TimeLimits.h) and Qt Test's 300 s limit per test function
# likewise: sanitized code is slower by design (a soak of 1000 start/stops takes about 5 minutes under TSan).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
what="${1:-all}"
shift || true
command -v clang++ >/dev/null || { echo "sanitize.sh: installing clang"; apt-get install -y --no-install-recommends clang >/dev/null; }
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
supp="$root/tests/sanitizers"

configure() { # dir flags
  cmake -S "$root" -B "$1" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
        -DCMAKE_CXX_FLAGS="$2" -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" -DCMAKE_EXE_LINKER_FLAGS="$2" \
        -DL2L_ARCH=x86-64-v3 -DL2L_SKIP_CPU_CHECK=ON "${launcher[@]}" >/dev/null
}
status=0
export L2L_TIME_SCALE=8 QTEST_FUNCTION_TIMEOUT=$((300000 * 8))
if [ "$what" = asan ] || [ "$what" = all ]; then
  dir="$root/build-asan"
  start=$SECONDS
  configure "$dir" "-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
  cmake --build "$dir" --parallel "$(nproc)"
  built=$SECONDS
  clang -shared -fPIC -O1 -o "$dir/nodlclose.so" "$supp/nodlclose.c"
  export LD_PRELOAD="$dir/nodlclose.so"
  export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:detect_stack_use_after_return=0"
  export LSAN_OPTIONS="suppressions=$supp/lsan.supp:print_suppressions=0"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
  (cd "$dir" && xvfb-run -a -s "-screen 0 1280x800x24" ctest --output-on-failure --timeout 3600 \
      -E "check_format|check_layers|fingerprint_committed|fingerprint_emulated" "$@") || status=1
  echo "sanitize.sh asan: build $((built - start)) s, tests $((SECONDS - built)) s"
fi
if [ "$what" = tsan ] || [ "$what" = all ]; then
  dir="$root/build-tsan"
  start=$SECONDS
  configure "$dir" "-fsanitize=thread"
  tests=(test_parallel test_evaluation test_training test_worker)
  cmake --build "$dir" --parallel "$(nproc)" --target "${tests[@]}"
  built=$SECONDS
  export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$supp/tsan.supp"
  regex="^($(IFS='|'; echo "${tests[*]}"))\$"
  (cd "$dir" && xvfb-run -a -s "-screen 0 1280x800x24" ctest --output-on-failure --timeout 3600 -R "$regex" "$@") ||
    status=1
  echo "sanitize.sh tsan: build $((built - start)) s, tests $((SECONDS - built)) s"
fi
exit $status
