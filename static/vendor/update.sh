#!/bin/sh
# Refresh the vendored front-end files from the npm packages pinned in ../../package.json.
# Run from the repository root after `npm ci`; commit the result (node_modules stays out of git).
set -eu
N=node_modules
V=static/vendor
U=$N/@undp/design-system/docs

rm -rf "$V/undp-design-system" "$V/leaflet" "$V/leaflet.markercluster" "$V/world-atlas" "$V/topojson-client" "$V/axe-core"
mkdir -p "$V/undp-design-system/css/components" "$V/undp-design-system/fonts" "$V/undp-design-system/images" \
  "$V/leaflet/images" "$V/leaflet.markercluster" "$V/world-atlas" "$V/topojson-client" "$V/axe-core"

# UNDP Design System: the minimal base (no grid: our layout is CSS grid), the few components we use, and
# only the font files our pages use. @font-face rules of fonts we do not ship are removed, so that no
# page ever asks for a missing file.
FONTS="proximanova-regular-webfont proximanova-regularit-webfont proximanova-semibold-webfont-2 proximanova-bold-webfont soehne-breit-web-fett soehne-breit-web-dreiviertelfett"
for f in $FONTS; do cp "$U/fonts/$f.woff2" "$V/undp-design-system/fonts/"; done
${PYTHON:-.venv/bin/python} - "$U" "$V/undp-design-system" $FONTS <<'PY'
import re, sys, pathlib
src, dst, fonts = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), set(sys.argv[3:])
def keep(m):
    f = re.search(r"fonts/([\w.-]+)\.woff2", m.group(0))
    return m.group(0) if f and f.group(1) in fonts else ""
css = (src / "css/base-minimal-no-grid.min.css").read_text()
(dst / "css/base-minimal-no-grid.min.css").write_text(re.sub(r"@font-face\{[^}]*\}", keep, css))
for c in ("buttons", "chips", "pagination"):
    (dst / f"css/components/{c}.min.css").write_text((src / f"css/components/{c}.min.css").read_text())
images = set()
for p in dst.rglob("*.css"):
    images |= set(re.findall(r"images/([\w.-]+\.svg)", p.read_text()))
for name in images:
    (dst / "images" / name).write_bytes((src / "images" / name).read_bytes())
PY
cp $N/@undp/design-system/LICENSE "$V/undp-design-system/LICENSE"

cp $N/leaflet/dist/leaflet.js $N/leaflet/dist/leaflet.css "$V/leaflet/"
cp $N/leaflet/dist/images/*.png "$V/leaflet/images/"
cp $N/leaflet/LICENSE "$V/leaflet/LICENSE"
cp $N/leaflet.markercluster/dist/leaflet.markercluster.js $N/leaflet.markercluster/dist/MarkerCluster.css \
  $N/leaflet.markercluster/dist/MarkerCluster.Default.css "$V/leaflet.markercluster/"
cp $N/leaflet.markercluster/MIT-LICENCE.txt "$V/leaflet.markercluster/LICENSE" 2>/dev/null || cp $N/leaflet.markercluster/LICENSE* "$V/leaflet.markercluster/"
cp $N/world-atlas/countries-110m.json $N/world-atlas/LICENSE "$V/world-atlas/"
cp $N/topojson-client/dist/topojson-client.min.js $N/topojson-client/LICENSE "$V/topojson-client/"
cp $N/axe-core/axe.min.js $N/axe-core/LICENSE "$V/axe-core/"
# The source maps are not vendored: drop their references, or the production manifest storage
# (collectstatic) fails on the missing .map files.
sed -i '/sourceMappingURL=/d' "$V/leaflet/leaflet.js" "$V/leaflet.markercluster/leaflet.markercluster.js"
for p in @undp/design-system leaflet leaflet.markercluster world-atlas topojson-client axe-core; do
  printf '%s %s\n' "$p" "$(node -p "require('./$N/$p/package.json').version")"
done > "$V/VERSIONS"
