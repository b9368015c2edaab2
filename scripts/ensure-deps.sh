#!/bin/sh
# Installs the npm dependencies (including the Node 24 runtime from the npm
# package `node`) when they are missing or older than package-lock.json, and
# says what it is doing: a first install takes a minute or two.
set -eu
cd "$(dirname "$0")/.."
if [ ! -x node_modules/.bin/vitest ] || [ ! -x node_modules/.bin/node ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "glidepath: installing the npm dependencies (first run, or package-lock.json changed; about a minute)..." >&2
  major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
  if [ "$major" -lt 24 ]; then
    # package.json asks for Node >= 24 ("engines"); npm on an older Node warns
    # EBADENGINE for it and for packages that ask the same. Harmless here: the
    # install brings Node 24 (the npm package `node`) and the playground runs on it.
    echo "glidepath: your node is $(node -v); npm's EBADENGINE warnings are harmless here: the playground runs on the Node 24 this install brings." >&2
  fi
  # engine-strict stays off so an older Node can install; progress on, so the wait is visible.
  npm ci --no-audit --no-fund --engine-strict=false --loglevel=error --progress=true
  echo "glidepath: dependencies installed." >&2
fi
