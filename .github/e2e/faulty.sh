#!/usr/bin/env bash
# The faulty release: the same manifest with podinfo answering random 500s.
set -euo pipefail
sed 's/{ name: PODINFO_RANDOM_ERROR, value: "false" }/{ name: PODINFO_RANDOM_ERROR, value: "true" }/' \
  .github/e2e/podinfo.yaml > "$RUNNER_TEMP/podinfo-faulty.yaml"
grep -q 'PODINFO_RANDOM_ERROR, value: "true"' "$RUNNER_TEMP/podinfo-faulty.yaml"
