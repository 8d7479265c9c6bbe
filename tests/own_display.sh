#!/usr/bin/env bash
# Runs one GUI test on an X server of its own: Xvfb at the suite's 1280x800x24, its display number chosen by the
# server (-displayfd, no race between tests starting together). Tests that ran side by side (ctest -j) on one
# shared display took the pointer, the keyboard focus and the active window from each other (a hover read-out
# that saw another test's pointer, a window that never became active). Without Xvfb: the display given.
#   own_display.sh TEST [ARGS...]
set -u
if ! command -v Xvfb >/dev/null 2>&1; then exec "$@"; fi
dir=$(mktemp -d "${TMPDIR:-/tmp}/l2l-display.XXXXXX")
Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp 3>"$dir/display" 2>"$dir/xvfb.log" &
xvfb=$!
cleanup() {
  kill "$xvfb" 2>/dev/null
  wait "$xvfb" 2>/dev/null
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
for _ in $(seq 100); do # the number arrives when the server is ready (at most 10 s)
  [[ -s "$dir/display" ]] && break
  if ! kill -0 "$xvfb" 2>/dev/null; then break; fi
  sleep 0.1
done
if [[ ! -s "$dir/display" ]]; then
  echo "own_display.sh: Xvfb did not start:" >&2
  cat "$dir/xvfb.log" >&2
  exit 1
fi
DISPLAY=":$(head -n1 "$dir/display")" "$@"
