#!/usr/bin/env bash
# Renders the application icon's PNG sizes from packaging/icons/l2l-studio.svg (rsvg-convert, from Debian's
# librsvg2-bin: `scripts/setup.sh --packaging` installs it). The PNGs are committed, so a build needs no SVG
# renderer; run this after changing the SVG and commit the PNGs with it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="$root/packaging/icons"
command -v rsvg-convert >/dev/null || { echo "render_icons: needs rsvg-convert (bash scripts/setup.sh --packaging)" >&2; exit 1; }
for size in 16 24 32 48 64 128 256 512; do
  rsvg-convert -w "$size" -h "$size" "$dir/l2l-studio.svg" -o "$dir/l2l-studio-$size.png"
done
echo "render_icons: wrote $dir/l2l-studio-{16,24,32,48,64,128,256,512}.png"
