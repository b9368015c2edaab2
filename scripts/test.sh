#!/bin/sh
# The test command (README, .ci/run): installs what the tests need on a fresh
# Debian machine, then runs the whole suite on Node 24 and closes with a plain
# "N passed, N failed, N skipped" line.
set -eu
cd "$(dirname "$0")/.."
sh scripts/ensure-deps.sh
sh scripts/install-test-servers.sh
exec node scripts/run-tests.mjs "$@"
