#!/bin/sh
# The playground command (README): installs the npm dependencies when missing,
# then runs the demo on Node 24. Prometheus is used when installed.
set -eu
cd "$(dirname "$0")/.."
sh scripts/ensure-deps.sh
exec node_modules/.bin/tsx playground/main.ts "$@"
