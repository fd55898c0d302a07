#!/bin/sh
# Re-vendor the plotting library from npm at the versions pinned in package.json / package-lock.json:
# web/vendor/{d3.min.js,plot.umd.min.js} (+ their licences). The app has no bundler; index.html loads them
# as classic scripts (globals d3 and Plot). Run from anywhere: sh web/vendor/update.sh
set -eu
cd "$(dirname "$0")"
npm ci --no-audit --no-fund --ignore-scripts
cp node_modules/d3/dist/d3.min.js d3.min.js
cp node_modules/d3/LICENSE LICENSE.d3
cp node_modules/@observablehq/plot/dist/plot.umd.min.js plot.umd.min.js
cp node_modules/@observablehq/plot/LICENSE LICENSE.plot
rm -rf node_modules
sha256sum d3.min.js plot.umd.min.js > SHA256SUMS
echo "vendored: d3 $(node -p "require('./package-lock.json').packages['node_modules/d3'].version"), @observablehq/plot $(node -p "require('./package-lock.json').packages['node_modules/@observablehq/plot'].version")"
