#!/bin/sh
# The playground command (README): installs the npm dependencies when missing,
# then runs the demo on Node 24. Prometheus is used when installed.
set -eu
cd "$(dirname "$0")/.."
sh scripts/ensure-deps.sh
echo "glidepath: starting the playground on Node $(node_modules/.bin/node -v) (npm run playground -- --help lists the flags)" >&2
exec node_modules/.bin/node node_modules/tsx/dist/cli.mjs playground/main.ts "$@"
