#!/usr/bin/env bash
# Formats every C++ file of the project with .clang-format (clang-format 14, Debian 12's; setup.sh installs it).
#   scripts/format.sh          format in place
#   scripts/format.sh --check  change nothing; list the files that are not formatted and exit 1 if any
# The ctest check_format runs the --check form.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
formatter="$(command -v clang-format-14 || command -v clang-format || true)"
if [ -z "$formatter" ]; then echo "format.sh: clang-format not found (scripts/setup.sh installs it)" >&2; exit 2; fi
mapfile -t files < <(git ls-files --cached --others --exclude-standard 'core/*.h' 'core/*.cpp' 'ui/*.h' 'ui/*.cpp' 'app/*.h' 'app/*.cpp' 'tests/*.h' 'tests/*.cpp' 2>/dev/null ||
                     find core ui app tests -name '*.h' -o -name '*.cpp')
if [ "${1:-}" = "--check" ]; then
  bad=0
  for f in "${files[@]}"; do
    if ! "$formatter" --dry-run --Werror "$f" >/dev/null 2>&1; then echo "not formatted: $f"; bad=$((bad + 1)); fi
  done
  echo "check_format: $bad of ${#files[@]} files not formatted ($("$formatter" --version | head -1))"
  [ "$bad" -eq 0 ]
else
  "$formatter" -i "${files[@]}"
  echo "format.sh: formatted ${#files[@]} files"
fi
