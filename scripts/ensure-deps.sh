#!/bin/sh
# Installs the npm dependencies (including the Node 24 runtime from the npm
# package `node`) when they are missing or older than package-lock.json.
set -eu
cd "$(dirname "$0")/.."
if [ ! -x node_modules/.bin/vitest ] || [ ! -x node_modules/.bin/node ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
