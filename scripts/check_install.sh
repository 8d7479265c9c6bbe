#!/usr/bin/env bash
# Checks an installed L2L Studio on its own: the binaries find their resources in <prefix>/share/l2l-studio (not
# the source tree), `l2l` returns the documented exit statuses (0 ok, 1 bad input, 2 usage, 130 interrupted),
# runs an evaluation, and the man page, bash completion, desktop entry, icons, AppStream and MIME files are in place.
#   scripts/check_install.sh BUILD_DIR            cmake --install BUILD_DIR into a temporary prefix and check it
#                                                 (the ctest test_install; a few seconds)
#   scripts/check_install.sh --installed PREFIX   check an existing installation (scripts/package.sh: /usr)
# Tools that are not installed (desktop-file-validate, appstreamcli, xmllint) are skipped with a note.
set -euo pipefail
fail() { echo "check_install: FAIL: $*" >&2; exit 1; }
note() { echo "check_install: $*"; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
if [ "${1:-}" = "--installed" ]; then
  prefix="${2:?usage: check_install.sh --installed PREFIX}"
elif [ -n "${1:-}" ]; then
  prefix="$tmp/prefix"
  cmake --install "$1" --prefix "$prefix" >/dev/null
else
  echo "usage: check_install.sh BUILD_DIR | --installed PREFIX" >&2
  exit 2
fi
share="$prefix/share"
l2l="$prefix/bin/l2l"
[ -x "$l2l" ] && [ -x "$prefix/bin/l2l-studio" ] || fail "$prefix/bin/l2l or l2l-studio is missing"

# Resources from the installed tree, whatever the source tree holds.
resources="$("$l2l" --version | sed -n 's/^resources: //p')"
[ "$resources" = "$share/l2l-studio" ] || fail "l2l --version says 'resources: $resources', expected $share/l2l-studio"
for f in optimizers/quadratic.json optimizers/mnist.json tuned-rates.json examples/fig4-quadratic.json art/scream.png \
         fingerprints DATA_LICENSES.md fetch-mnist.sh; do
  [ -e "$share/l2l-studio/$f" ] || fail "$share/l2l-studio/$f is missing"
done
[ -x "$share/l2l-studio/fetch-mnist.sh" ] || fail "fetch-mnist.sh is not executable"
studio="$(QT_QPA_PLATFORM=offscreen "$prefix/bin/l2l-studio" --version | sed -n 's/^resources: //p')"
[ "$studio" = "$share/l2l-studio" ] || fail "l2l-studio --version says 'resources: $studio'"
note "ok: l2l and l2l-studio use $share/l2l-studio"

# Exit statuses.
expect() { # STATUS COMMAND...
  local want=$1 got=0
  shift
  "$@" >"$tmp/out" 2>"$tmp/err" || got=$?
  [ "$got" -eq "$want" ] || fail "'${*#"$prefix/bin/"}' exited $got, expected $want: $(head -c 300 "$tmp/err")"
}
expect 0 "$l2l" --version
expect 0 "$l2l" --help
grep -q "130  interrupted" "$tmp/out" || fail "l2l --help does not list the exit statuses"
expect 0 "$l2l" eval --help
expect 2 "$l2l"
expect 2 "$l2l" no-such-command
expect 2 "$l2l" eval --no-such-flag
expect 2 "$l2l" art --content chelsea # --out is required
expect 1 "$l2l" eval --problem no-such-problem
expect 1 "$l2l" eval --runs 0
expect 1 "$l2l" eval --optimizers sgd:no_such_key=1
expect 1 "$l2l" completion zsh
expect 0 "$l2l" eval --problem quadratic --optimizers sgd,adam,lstm --runs 2 --steps 10 -q --no-cache
grep -q "lstm:quadratic.json" "$tmp/out" || fail "l2l eval did not run the bundled LSTM: $(cat "$tmp/out")"
# Ctrl-C: eval stops at its next step; a command that does not poll (fingerprint) stops at once.
HOME="$tmp" "$l2l" eval --problem quadratic:dim=1000 --runs 20 --steps 100000 --threads 1 -q --no-cache >/dev/null 2>&1 &
pid=$!
sleep 1
kill -INT "$pid"
got=0
wait "$pid" || got=$?
[ "$got" -eq 130 ] || fail "l2l eval after SIGINT exited $got, expected 130"
# (fingerprint's MNIST workloads give it time to be interrupted; without MNIST it stops before that.)
if "$l2l" eval --problem mnist --optimizers sgd:lr=0.1 --runs 1 --steps 1 -q >/dev/null 2>&1; then
  "$l2l" fingerprint --threads 1 >/dev/null 2>&1 &
  pid=$!
  sleep 1
  kill -INT "$pid"
  got=0
  wait "$pid" || got=$?
  [ "$got" -eq 130 ] || fail "l2l fingerprint after SIGINT exited $got, expected 130"
else
  note "MNIST not found: the SIGINT check of a command that does not poll (fingerprint) is skipped"
fi
note "ok: exit statuses 0, 1, 2, 130"

# A missing data set says how to get it.
if [ ! -e /usr/share/datasets/mnist ]; then
  expect 1 env -u L2L_MNIST_DIR -u L2L_DATA_DIR HOME="$tmp/home" XDG_DATA_HOME= "$l2l" eval --problem mnist -q
  grep -q "fetch-mnist.sh" "$tmp/err" || fail "no hint how to get MNIST: $(cat "$tmp/err")"
  note "ok: a missing MNIST names $share/l2l-studio/fetch-mnist.sh"
fi

# The man page, rendered.
man="$share/man/man1/l2l.1.gz"
[ -f "$man" ] || fail "$man is missing"
if command -v man >/dev/null; then
  MANWIDTH=100 man -l "$man" 2>/dev/null >"$tmp/man.txt"
else
  zcat "$man" >"$tmp/man.txt"
fi
for want in "EXIT STATUS" "l2l eval" "--problem" "rosenbrock" "adam"; do
  grep -q -- "$want" "$tmp/man.txt" || fail "the man page lacks '$want'"
done
note "ok: man page ($(wc -l <"$tmp/man.txt") lines)"

# Bash completion: commands, problem names and keys, optimizer names, choices.
completion="$share/bash-completion/completions/l2l"
[ -f "$completion" ] || fail "$completion is missing"
complete_line() { # LINE -> the candidates
  bash -c 'source "$1"; COMP_LINE=$2; COMP_POINT=${#2}; _l2l; echo "${COMPREPLY[*]}"' _ "$completion" "$1"
}
check_completion() { # LINE EXPECTED
  local got
  got="$(complete_line "$1")"
  [ "$got" = "$2" ] || fail "completing '$1' gave '$got', expected '$2'"
}
check_completion "l2l ev" "eval"
check_completion "l2l eval --pro" "--problem"
check_completion "l2l eval --problem rosen" "rosenbrock"
check_completion "l2l eval -p quadratic:d" "dim="
check_completion "l2l eval --optimizers sgd,ad" "sgd,adam"
check_completion "l2l train --lr-schedule c" "constant cosine"
note "ok: bash completion"

# Desktop entry, icons, AppStream, MIME.
desktop="$share/applications/l2l-studio.desktop"
[ -f "$desktop" ] || fail "$desktop is missing"
grep -q '^Exec=l2l-studio %F$' "$desktop" || fail "$desktop: unexpected Exec line"
for mime in application/x-l2l-experiment application/x-l2l-lesson application/x-l2l-optimizer; do
  grep -q "^MimeType=.*$mime;" "$desktop" || fail "$desktop does not claim $mime"
  grep -q "type=\"$mime\"" "$share/mime/packages/l2l-studio.xml" || fail "l2l-studio.xml does not define $mime"
done
for icon in scalable/apps/l2l-studio.svg 16x16/apps/l2l-studio.png 48x48/apps/l2l-studio.png 256x256/apps/l2l-studio.png; do
  [ -f "$share/icons/hicolor/$icon" ] || fail "icon $icon is missing"
done
if command -v desktop-file-validate >/dev/null; then
  desktop-file-validate "$desktop" >"$tmp/dfv" 2>&1 || fail "desktop-file-validate: $(cat "$tmp/dfv")"
else
  note "desktop-file-validate not installed: skipped"
fi
if command -v appstreamcli >/dev/null; then
  appstreamcli validate --no-net "$share/metainfo/l2l-studio.metainfo.xml" >"$tmp/as" 2>&1 || true
  ! grep -q '^E:' "$tmp/as" || fail "appstreamcli: $(cat "$tmp/as")"
else
  note "appstreamcli not installed: skipped"
fi
if command -v xmllint >/dev/null; then
  xmllint --noout "$share/mime/packages/l2l-studio.xml" "$share/metainfo/l2l-studio.metainfo.xml" || fail "xmllint"
fi
note "ok: desktop entry, icons, AppStream and MIME files"
note "all checks passed ($prefix)"
