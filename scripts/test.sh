#!/usr/bin/env bash
# Command (b) of the README: install what is missing, build, run the whole test suite (widget and
# OpenGL tests need a display: everything runs inside one Xvfb server).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/setup.sh"
"$root/scripts/build.sh"
cd "$root/build"
xvfb-run -a -s "-screen 0 1280x800x24" ctest --output-on-failure --timeout 900 "$@"
