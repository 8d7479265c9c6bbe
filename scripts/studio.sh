#!/usr/bin/env bash
# Command (a) of the README: install what is missing, build, launch the studio on its bundled defaults.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/setup.sh"
"$root/scripts/build.sh"
exec "$root/build/app/l2l-studio" "$@"
