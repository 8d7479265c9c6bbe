#!/usr/bin/env bash
# Builds the Debian package and checks it on this machine (Debian 12, as root):
#   1. configures build-pkg/ (Release, Ninja) and builds what is installed (not the tests), then `cpack -G DEB`:
#      build-pkg/l2l-studio_VERSION_ARCH.deb, its dependencies from dpkg-shlibdeps;
#   2. `apt-get install ./l2l-studio_*.deb`;
#   3. in a private mount namespace where the source tree (and so the build tree) is hidden under an empty tmpfs,
#      with a fresh HOME: scripts/check_install.sh --installed /usr (resources, exit statuses, man page, bash
#      completion, desktop/AppStream/MIME files), `l2l eval --problem quadratic --runs 2 --steps 10` from PATH,
#      MNIST from ~/.local/share/l2l-studio/mnist (copied there from data/mnist when present), the studio launched
#      from the desktop entry's Exec line under xvfb-run with an experiment file (its window must show the file)
#      and with --screenshot-tour, and xdg-mime's answer for experiment, lesson and optimizer files;
#   4. `apt-get remove --purge l2l-studio` and a check that none of its files, and none of its MIME types, is left.
# Usage: bash scripts/package.sh           build and check (installs what it needs: setup.sh --packaging)
#        bash scripts/package.sh --build   only build the .deb
#        L2L_PKG_BUILD_DIR=DIR             another build directory (default build-pkg/)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${L2L_PKG_BUILD_DIR:-$root/build-pkg}"
say() { echo "package: $*"; }
fail() {
  echo "package: FAIL: $*" >&2
  exit 1
}

launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
# CMAKE_SKIP_INSTALL_ALL_DEPENDENCY: cpack installs what was built here, without building the test suite first.
# L2L_MPI=OFF: the desktop package does not depend on OpenMPI (libopenmpi3 and its cluster libraries); meta-training
# over MPI ranks is for a build from source on the cluster (README "Meta-training over MPI").
nice -n 10 cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_SKIP_INSTALL_ALL_DEPENDENCY=ON \
  -DL2L_MPI=OFF "${launcher[@]}" >/dev/null
nice -n 10 cmake --build "$build" --target l2l l2l-studio l2l_docs
rm -f "$build"/l2l-studio_*.deb
(cd "$build" && nice -n 10 cpack -G DEB >/dev/null)
debs=("$build"/l2l-studio_*.deb)
deb="${debs[0]}"
[ -f "$deb" ] || fail "cpack made no .deb in $build"
say "built $deb ($(du -h "$deb" | cut -f1), installed size $(dpkg-deb -f "$deb" Installed-Size) KiB)"
say "Depends: $(dpkg-deb -f "$deb" Depends)"
say "Recommends: $(dpkg-deb -f "$deb" Recommends); Suggests: $(dpkg-deb -f "$deb" Suggests)"
[ "${1:-}" = "--build" ] && exit 0

[ "$(id -u)" -eq 0 ] || fail "run as root to install and remove the package (or pass --build)"
bash "$root/scripts/setup.sh" --packaging >/dev/null
export DEBIAN_FRONTEND=noninteractive
apt_get() { apt-get -o DPkg::Lock::Timeout=900 -q "$@"; }

apt_get install -y --reinstall "$deb" >/dev/null
dpkg-query -W -f='${Status} ${Version}\n' l2l-studio | grep -q "install ok installed" || fail "l2l-studio is not installed"
dpkg -L l2l-studio | sort >"$build/package-files.txt"
say "installed: $(grep -c . "$build/package-files.txt") paths (list in $build/package-files.txt)"

# The checks, with the source and build trees out of sight: a private mount namespace puts an empty tmpfs over
# the source tree's directory (and over the build directory when that lies elsewhere).
work="$(mktemp -d /tmp/l2l-package.XXXXXX)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/home/.local/share/l2l-studio" "$work/files"
if [ -f "$root/data/mnist/train-images-idx3-ubyte" ]; then
  cp -r "$root/data/mnist" "$work/home/.local/share/l2l-studio/mnist"
fi
cp /usr/share/l2l-studio/examples/fig4-quadratic.json "$work/files/fig4.l2l.json"
cp /usr/share/l2l-studio/optimizers/quadratic.json "$work/files/quadratic.l2l.json"
cp /usr/share/l2l-studio/lessons/learning-to-learn.json "$work/files/lecture.l2l.json"
cp /usr/share/l2l-studio/examples/fig4-quadratic.json "$work/files/plain-experiment.json"
cp "$root/scripts/check_install.sh" "$work/check_install.sh"
cat >"$work/checks.sh" <<'EOF'
set -euo pipefail
work=$1
say() { echo "package: $*"; }
fail() { echo "package: FAIL: $*" >&2; exit 1; }
export HOME="$work/home" XDG_RUNTIME_DIR="$work/runtime"
unset L2L_RESOURCE_DIR L2L_DATA_DIR L2L_MNIST_DIR L2L_FASHION_MNIST_DIR L2L_CACHE_DIR XDG_DATA_HOME
mkdir -m 700 -p "$XDG_RUNTIME_DIR"
cd "$work"
[ "$(command -v l2l)" = /usr/bin/l2l ] || fail "l2l on PATH is $(command -v l2l)"
l2l --version | sed 's/^/package:   /'
bash "$work/check_install.sh" --installed /usr

say "l2l eval --problem quadratic --runs 2 --steps 10"
l2l eval --problem quadratic --runs 2 --steps 10 -q | sed 's/^/package:   /'
if [ -d "$HOME/.local/share/l2l-studio/mnist" ]; then
  l2l eval --problem mnist --optimizers sgd:lr=0.1,lstm --runs 1 --steps 5 -q | grep -q "lstm:mnist.json" ||
    fail "l2l eval on MNIST from ~/.local/share/l2l-studio/mnist"
  say "ok: MNIST found in ~/.local/share/l2l-studio/mnist"
fi

# The studio from its desktop entry: Exec=l2l-studio %F with %F an experiment file; its window must name it.
exec_line=$(sed -n 's/^Exec=//p' /usr/share/applications/l2l-studio.desktop)
read -ra cmd <<<"${exec_line//%F/$work/files/fig4.l2l.json}"
say "launching '${cmd[*]}' under xvfb-run"
cat >"$work/launch.sh" <<'INNER'
"$@" >"$LAUNCH_LOG" 2>&1 &
pid=$!
for _ in $(seq 1 120); do
  if xwininfo -root -tree 2>/dev/null | grep -q "fig4.l2l.json"; then
    win=$(xwininfo -root -tree | grep "fig4.l2l.json" | head -1 | awk '{print $1}')
    icon=$(xprop -id "$win" _NET_WM_ICON 2>/dev/null | cut -c1-40 | head -1)
    echo "window $win: $(xprop -id "$win" _NET_WM_NAME | cut -d= -f2-); ${icon:-no _NET_WM_ICON}"
    kill "$pid"; wait "$pid" 2>/dev/null || true
    exit 0
  fi
  kill -0 "$pid" 2>/dev/null || { echo "l2l-studio exited early"; cat "$LAUNCH_LOG"; exit 1; }
  sleep 0.5
done
echo "no window naming fig4.l2l.json after 60 s"; kill "$pid"; exit 1
INNER
LAUNCH_LOG="$work/launch.log" timeout 120 xvfb-run -a -s "-screen 0 1280x800x24" bash "$work/launch.sh" "${cmd[@]}" \
  >"$work/launch.out" 2>&1 || fail "the studio did not open the file from its desktop entry: $(cat "$work/launch.out")"
sed 's/^/package:   /' "$work/launch.out"
say "ok: the desktop entry's Exec line opened the experiment"
read -ra cmd <<<"${exec_line// %F/}"
timeout 600 xvfb-run -a -s "-screen 0 1280x800x24" "${cmd[@]}" --screenshot-tour "$work/tour" >"$work/tour.log" 2>&1 ||
  fail "l2l-studio --screenshot-tour: $(tail -5 "$work/tour.log")"
say "ok: l2l-studio --screenshot-tour wrote $(ls "$work/tour" | grep -c '\.png$') PNGs"

# File types, as the desktop sees them.
for pair in fig4.l2l.json:application/x-l2l-experiment quadratic.l2l.json:application/x-l2l-optimizer \
            lecture.l2l.json:application/x-l2l-lesson plain-experiment.json:application/x-l2l-experiment; do
  got=$(xdg-mime query filetype "$work/files/${pair%%:*}")
  [ "$got" = "${pair#*:}" ] || fail "xdg-mime query filetype ${pair%%:*}: $got, expected ${pair#*:}"
  say "ok: xdg-mime query filetype ${pair%%:*} = $got"
done
for type in application/x-l2l-experiment application/x-l2l-optimizer application/x-l2l-lesson; do
  got=$(xdg-mime query default "$type")
  [ "$got" = l2l-studio.desktop ] || fail "xdg-mime query default $type: '$got'"
done
say "ok: xdg-mime query default application/x-l2l-{experiment,optimizer,lesson} = l2l-studio.desktop"
EOF
hide=("$root")
case "$build" in "$root"/*) ;; *) hide+=("$build") ;; esac
unshare --mount --propagation private bash -c '
  work=$1; shift
  for dir in "$@"; do mount -t tmpfs -o size=1m l2l-hidden "$dir"; done
  [ -z "$(ls -A "$1")" ] || { echo "package: FAIL: $1 is not hidden" >&2; exit 1; }
  echo "package: hidden: $* (empty tmpfs in a private mount namespace)"
  bash "$work/checks.sh" "$work"
' _ "$work" "${hide[@]}"

apt_get remove -y --purge l2l-studio >/dev/null
! dpkg-query -W -f='${Status}\n' l2l-studio 2>/dev/null | grep -q "install ok installed" || fail "l2l-studio is still installed"
left=()
while read -r path; do
  if [ -f "$path" ] || [ -L "$path" ]; then left+=("$path"); fi
done <"$build/package-files.txt"
if [ -e /usr/share/l2l-studio ]; then left+=(/usr/share/l2l-studio); fi
[ ${#left[@]} -eq 0 ] || fail "left after purge: ${left[*]}"
if grep -rqs "x-l2l-" /usr/share/mime/types /usr/share/mime/globs2 /usr/share/mime/magic; then
  fail "the MIME database still knows x-l2l types"
fi
if grep -qs "l2l-studio" /usr/share/applications/mimeinfo.cache; then
  fail "mimeinfo.cache still names l2l-studio.desktop"
fi
say "ok: removed with --purge; none of its $(grep -c . "$build/package-files.txt") paths' files, MIME types or desktop cache entries are left"
say "all checks passed: $deb"
